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
