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

// whyLogError is the Why of what [LogError] logs: the text Twisted's log
// gives a failure logged without a message.
const whyLogError = "Unhandled Error"

// LogError ports defer.logError, an errback that logs the Failure and
// passes it on: d.AddErrback(reactor.LogError(r)) hands every Failure
// reaching that point to l.LogError (Why "Unhandled Error") and returns it,
// so the chain stays on the error path for later errbacks. As in Twisted,
// a Failure nothing handles after that is reported once more as an
// unhandled error in the Deferred. A nil l panics, naming it.
func LogError(l ErrorLogger) Errback {
	if l == nil {
		panic("reactor: LogError: nil ErrorLogger (pass the reactor)")
	}
	return func(f *Failure) (any, error) {
		l.LogError(f, whyLogError)
		return nil, f
	}
}
