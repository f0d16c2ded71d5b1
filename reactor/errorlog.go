package reactor

import (
	"context"
	"log/slog"
)

// ErrorEvent is one logged error: what Twisted's log.err records. Failure is
// the error with its stack; Why says where it happened ("timed call",
// "Unhandled error in Deferred", a protocol method name, ...).
type ErrorEvent struct {
	Failure *Failure
	Why     string
}

// SetErrorObserver installs the function that receives every error the
// reactor logs: panics in timed calls, triggers and I/O handlers, errors
// transports log, and unhandled Deferred errors reported at shutdown. The
// default writes them to log/slog at error level. trial installs one that
// fails the test. A nil observer restores the default. It returns the
// previous observer (nil for the default).
func (r *Reactor) SetErrorObserver(f func(ErrorEvent)) (previous func(ErrorEvent)) {
	previous = r.observer
	r.observer = f
	return previous
}

// LogError ports log.err: it hands f to the error observer. Transports and
// protocols use it for errors nobody else will see.
func (r *Reactor) LogError(f *Failure, why string) {
	if f == nil {
		return
	}
	if r.observer != nil {
		r.observer(ErrorEvent{Failure: f, Why: why})
		return
	}
	slog.Default().Log(context.Background(), slog.LevelError, why,
		"error", f.ErrorMessage(), "type", f.TypeName(), "traceback", f.Traceback())
}

// protect runs f, logging a panic instead of letting it unwind the loop.
func (r *Reactor) protect(f func(), why string) {
	defer func() {
		if v := recover(); v != nil {
			r.LogError(failureFromPanic(v), why)
		}
	}()
	f()
}
