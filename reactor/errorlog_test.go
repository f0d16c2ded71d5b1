package reactor

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// panickyError is an error whose Error method dereferences a nil pointer,
// as a typed nil of a pointer type with a value receiver does.
type panickyError struct{ msg *string }

func (e *panickyError) Error() string { return *e.msg }

// captureSlog sends log/slog's output to a buffer for the rest of the test.
func captureSlog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

// A panic while an error is being reported — in the observer, or in the
// error's own Error method — is contained: Run returns normally, the
// reactor can be closed, and both problems reach log/slog.
func TestReactor_PanicWhileReportingIsContained(t *testing.T) {
	cases := []struct {
		name     string
		observer func(ErrorEvent)
		fail     func(r *Reactor)
		want     []string
	}{
		{"observer panics",
			func(ErrorEvent) { panic("observer broke") },
			func(r *Reactor) { r.CallLater(0, func() { panic("timed call broke") }) },
			[]string{"timed call broke", "observer broke"}},
		{"Error method panics, default logging",
			nil,
			func(r *Reactor) { r.CallLater(0, func() { panic(&panickyError{}) }) },
			[]string{"Error method"}},
		{"Error method panics, unhandled at shutdown",
			nil,
			func(r *Reactor) { _ = Fail(&panickyError{}) },
			[]string{"Unhandled error in Deferred", "Error method panicked"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logged := captureSlog(t)
			var opts []Option
			if tc.observer != nil {
				opts = append(opts, WithErrorObserver(tc.observer))
			}
			r, err := New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			r.CallWhenRunning(func() {
				tc.fail(r)
				r.CallLater(10*time.Millisecond, func() { _ = r.Stop() })
			})
			run(t, r, 5*time.Second)
			if err := r.Close(); err != nil {
				t.Errorf("Close after the panic: %v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(logged.String(), want) {
					t.Errorf("log/slog lacks %q:\n%s", want, logged)
				}
			}
		})
	}
}

// Errback of a typed nil error is refused as Errback(nil) is: there is no
// error there.
func TestDeferred_ErrbackOfTypedNilIsRefused_D03(t *testing.T) {
	var typedNil *panickyError
	d := NewDeferred(nil)
	if err := d.Errback(typedNil); !errors.Is(err, ErrNoCurrentException) {
		t.Fatalf("Errback(typed nil) = %v, want ErrNoCurrentException", err)
	}
	if d.Called() {
		t.Error("Errback(typed nil) fired the Deferred")
	}
	if f := NewFailure(typedNil); !errors.Is(f, ErrNoCurrentException) {
		t.Errorf("NewFailure(typed nil) = %v, want ErrNoCurrentException", f)
	}
}

// WithDebugging checks the threading contract: a Deferred fired on a
// goroutine that does not run its reactor panics naming CallFromThread;
// fired on the reactor's goroutine — directly, through CallFromThread, or
// inside an InlineCallbacks body — it does not.
func TestDeferred_DebuggingCatchesFiringFromAnotherGoroutine(t *testing.T) {
	r, err := New(WithDebugging())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := NewDeferred(nil)
	caught := make(chan any, 1)
	go func() {
		defer func() { caught <- recover() }()
		_ = d.Callback("from another goroutine")
	}()
	v := <-caught
	if msg, _ := v.(string); !strings.Contains(msg, "CallFromThread") {
		t.Fatalf("Callback from another goroutine: recovered %v, want a panic naming CallFromThread", v)
	}
	if d.Called() {
		t.Error("the Deferred fired anyway")
	}

	var got []any
	viaThread := NewDeferred(nil)
	viaThread.AddCallback(func(v any) (any, error) { got = append(got, v); return nil, nil })
	inner := NewDeferred(nil)
	InlineCallbacks(func(await Await) (any, error) {
		v, err := await(inner)
		got = append(got, v)
		return nil, err
	})
	r.CallWhenRunning(func() {
		_ = inner.Callback("awaited")
		go r.CallFromThread(func() {
			_ = viaThread.Callback("through CallFromThread")
			_ = r.Stop()
		})
	})
	run(t, r, 5*time.Second)
	if len(got) != 2 {
		t.Errorf("results %v, want both Deferreds fired on the reactor goroutine", got)
	}
}
