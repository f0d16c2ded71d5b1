package reactor

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

// A pool call that panics while shutdown waits for the pool is still
// logged: the loop will not run another pass to deliver it, so the pool
// hands it to the reactor goroutine itself once the pool has stopped.
func TestThreads_PanicWhileShutdownWaitsIsLogged(t *testing.T) {
	release := make(chan struct{})
	_, log := runWith(t, func(r *Reactor) {
		_, _ = r.AddSystemEventTrigger(Before, "shutdown", func() *Deferred {
			close(release)
			return nil
		})
		if err := r.CallInThread(func() {
			<-release
			panic("late")
		}); err != nil {
			t.Fatal(err)
		}
		_ = r.Stop()
	})
	if !slices.Equal(log.whys(), []string{"callInThread"}) {
		t.Errorf("logged %q, want the panic once as callInThread", log.whys())
	}
}

// notifyHandler is a slog handler that passes each message on a channel.
type notifyHandler struct{ msgs chan string }

func (h notifyHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h notifyHandler) Handle(_ context.Context, rec slog.Record) error {
	h.msgs <- rec.Message
	return nil
}
func (h notifyHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h notifyHandler) WithGroup(string) slog.Handler      { return h }

// When shutdown has waited a while for the pool, it says so through the
// reactor's own logger (WithLogger), where a test capturing the reactor's
// log sees it, not through slog's default.
func TestThreads_ShutdownWaitIsLoggedToTheReactorLogger(t *testing.T) {
	defer func(old time.Duration) { threadPoolPatience = old }(threadPoolPatience)
	threadPoolPatience = time.Millisecond
	h := notifyHandler{msgs: make(chan string, 4)}
	r, err := New(WithLogger(slog.New(h)))
	if err != nil {
		t.Fatal(err)
	}
	r.CallWhenRunning(func() {
		_ = r.CallInThread(func() {
			select {
			case msg := <-h.msgs:
				h.msgs <- msg
			case <-time.After(5 * time.Second): // not told: let shutdown end
			}
		})
		_ = r.Stop()
	})
	run(t, r, 20*time.Second)
	select {
	case msg := <-h.msgs:
		if !strings.Contains(msg, "waiting for 1 CallInThread calls") {
			t.Errorf("logged %q", msg)
		}
	default:
		t.Error("nothing logged to the reactor's logger while shutdown waited for the pool")
	}
}

// A pool call blocked in Wait when the reactor shuts down stops waiting
// with ErrReactorShutDown, as BlockingCallFromThread does: shutdown waits
// for the pool, so waiting on until ctx ends would hold the reactor
// goroutine in Stop for as long.
func TestThreads_WaitInPoolAtShutdown(t *testing.T) {
	var got error
	runWith(t, func(r *Reactor) {
		never := NewDeferred(nil)
		started := make(chan struct{})
		_ = r.CallInThread(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			close(started)
			_, got = Wait(ctx, r, never)
		})
		<-started
		_ = r.Stop()
	})
	if !errors.Is(got, ErrReactorShutDown) {
		t.Errorf("Wait in a pool call at shutdown = %v, want ErrReactorShutDown", got)
	}
}
