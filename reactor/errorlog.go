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
// [WithErrorObserver]), or without one logs it to the reactor's logger
// ([WithLogger]) at error level, with the Failure under [FailureKey].
// Transports and protocols use it for errors nobody else will see. A panic
// in the observer is contained: both the error and the observer's panic go
// to log/slog, and the reactor carries on.
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
	logFailure(r.Logger(), f, why)
}

// logToSlog writes f to log/slog's default logger at error level.
func logToSlog(f *Failure, why string) { logFailure(slog.Default(), f, why) }

// logFailure writes f to l at error level, with why as the message: the
// record an [ErrorEventOf] reads back.
func logFailure(l *slog.Logger, f *Failure, why string) {
	l.LogAttrs(context.Background(), slog.LevelError, why,
		slog.Any(FailureKey, loggedFailure{f}),
		slog.String("type", f.TypeName()),
		slog.String("traceback", f.Traceback()))
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
