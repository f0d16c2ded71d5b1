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

// LogError ports log.err: it hands f to the error observer (see
// [WithErrorObserver]), or to log/slog without one. Transports and protocols
// use it for errors nobody else will see. A panic in the observer is
// contained: both the error and the observer's panic go to log/slog, and
// the reactor carries on.
func (r *Reactor) LogError(f *Failure, why string) {
	if f == nil {
		return
	}
	if r.observer != nil {
		defer func() {
			if v := recover(); v != nil {
				logToSlog(f, why)
				logToSlog(FailureFromPanic(v), "error observer panicked while handling the error above")
			}
		}()
		r.observer(ErrorEvent{Failure: f, Why: why})
		return
	}
	logToSlog(f, why)
}

// logToSlog writes f to log/slog at error level.
func logToSlog(f *Failure, why string) {
	slog.Default().Log(context.Background(), slog.LevelError, why,
		"error", f.ErrorMessage(), "type", f.TypeName(), "traceback", f.Traceback())
}

// protect runs f, logging a panic instead of letting it unwind the loop.
func (r *Reactor) protect(f func(), why string) {
	defer func() {
		if v := recover(); v != nil {
			r.LogError(FailureFromPanic(v), why)
		}
	}()
	f()
}
