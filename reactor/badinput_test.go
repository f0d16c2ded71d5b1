package reactor

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Bad input from issue 2: each case is a documented error or no-op, never a
// panic or a hang. Every case runs with the reactor (where it has one)
// stopped by a guard if it hangs, and a panic fails the test by itself.
func TestBadInput_DocumentedErrorsOrNoOps(t *testing.T) {
	cases := []struct {
		name string
		do   func(t *testing.T) string // what happened, for comparison
		want string
	}{
		{"nil callback and errback pass the result through", func(t *testing.T) string {
			d := NewDeferred(nil)
			d.AddCallback(nil).AddErrback(nil).AddBoth(nil).AddCallbacks(nil, nil)
			_ = d.Callback("v")
			return show(d.Result())
		}, "v"},
		{"negative CallLater delay runs as soon as possible, before CallLater(0)", func(t *testing.T) string {
			r, _ := newReactor(t)
			var ev events
			r.CallLater(0, ev.adder("zero"))
			r.CallLater(-time.Hour, ev.adder("negative"))
			r.Iterate(0)
			return cmp.Diff(events{"negative", "zero"}, ev)
		}, ""},
		{"nil func to CallLater, CallFromThread, CallWhenRunning: nothing runs", func(t *testing.T) string {
			r, log := newReactor(t)
			c := r.CallLater(0, nil)
			r.CallFromThread(nil)
			r.CallWhenRunning(nil)
			r.CallWhenRunning(func() { r.CallWhenRunning(nil); _ = r.Stop() })
			run(t, r, 5*time.Second)
			if !c.Called() {
				return "nil timed call never ran"
			}
			return cmp.Diff([]string(nil), log.whys())
		}, ""},
		{"nil descriptor: AddReader/AddWriter error, Remove is a no-op", func(t *testing.T) string {
			r, _ := newReactor(t)
			r.RemoveReader(nil)
			r.RemoveWriter(nil)
			errR, errW := r.AddReader(nil), r.AddWriter(nil)
			if !errors.Is(errR, ErrConnectionFdescWentAway) || !errors.Is(errW, ErrConnectionFdescWentAway) {
				return "AddReader(nil) = " + errString(errR) + ", AddWriter(nil) = " + errString(errW)
			}
			return ""
		}, ""},
		{"Iterate with a negative delay does not block", func(t *testing.T) string {
			r, _ := newReactor(t)
			done := make(chan struct{})
			go func() {
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					r.CallFromThread(func() {}) // unblock, then fail below
				}
			}()
			start := time.Now()
			r.Iterate(-time.Second)
			close(done)
			if time.Since(start) > 4*time.Second {
				return "Iterate(-1s) blocked"
			}
			return ""
		}, ""},
		{"Stop twice", func(t *testing.T) string {
			r, _ := newReactor(t)
			var second error
			r.CallWhenRunning(func() { _ = r.Stop(); second = r.Stop() })
			run(t, r, 5*time.Second)
			return errString(second)
		}, ErrReactorNotRunning.Error()},
		{"Run twice (after Stop)", func(t *testing.T) string {
			r, _ := newReactor(t)
			r.CallWhenRunning(func() { _ = r.Stop() })
			run(t, r, 5*time.Second)
			return errString(r.Run())
		}, ErrReactorNotRestartable.Error()},
		{"Close while running", func(t *testing.T) string {
			r, _ := newReactor(t)
			var err error
			r.CallWhenRunning(func() { err = r.Close(); _ = r.Stop() })
			run(t, r, 5*time.Second)
			return errString(err)
		}, ErrReactorAlreadyRunning.Error()},
		{"Callback twice", func(t *testing.T) string {
			d := NewDeferred(nil)
			_ = d.Callback(1)
			return errString(d.Callback(2))
		}, (&AlreadyCalledError{}).Error()},
		{"Cancel after fire is a no-op", func(t *testing.T) string {
			d := Succeed(1)
			d.Cancel()
			d.Cancel()
			return show(d.Result())
		}, "1"},
		{"Callback(*Deferred)", func(t *testing.T) string {
			return errString(NewDeferred(nil).Callback(NewDeferred(nil)))
		}, ErrDeferredResult.Error()},
		{"Errback(nil)", func(t *testing.T) string {
			return errString(NewDeferred(nil).Errback(nil))
		}, ErrNoCurrentException.Error()},
		{"DelayedCall Cancel twice", func(t *testing.T) string {
			c := NewClock().CallLater(time.Second, nil)
			_ = c.Cancel()
			return errString(c.Cancel())
		}, ErrDelayedCallAlreadyCancelled.Error()},
		{"unknown trigger phase", func(t *testing.T) string {
			r, _ := newReactor(t)
			_, err := r.AddSystemEventTrigger("whenever", "startup", func() *Deferred { return nil })
			return errString(errors.Unwrap(err))
		}, ErrUnknownPhase.Error()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.do(t); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
