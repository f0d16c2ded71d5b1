package braid

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/braid-go/braid/reactor"
)

// SystemExitError is how main asks [React] for an exit code: a main whose
// Deferred fails with one (wrapped or not) makes React return Code, and
// nothing is logged. It ports Python's SystemExit as task.react reads it.
type SystemExitError struct {
	// Code is the exit code React returns.
	Code int
}

func (e *SystemExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// whyMainFailed is what React logs a failure of main with, as Twisted's
// react does.
const whyMainFailed = "main function encountered error"

// React ports twisted.internet.task.react: it makes a reactor (with opts,
// and with [reactor.WithSignalHandlers], as Twisted's reactor.run installs
// them), calls main with it, runs it until the Deferred main returned has
// fired, stops it, and returns the exit code for that result:
//
//   - 0 when the Deferred fires with a result;
//   - e.Code when it fails with a [*SystemExitError] e;
//   - 1 when it fails otherwise; the Failure is logged first, with the why
//     "main function encountered error", through the reactor's error
//     observer (see [reactor.WithErrorObserver]) or log/slog.
//
// Twisted's react exits the process; React returns the code instead, so
// that a program ends with
//
//	func main() { os.Exit(braid.React(run)) }
//
// and a test can call it. As in Twisted, the reactor is stopped once, when
// it is running: a Deferred that has fired before Run stops it right after
// startup. If something else stops the reactor first (main's own code, or
// SIGINT or SIGTERM through the signal handlers), React does not stop it
// again: it returns when Run does, with the code of the Deferred if it
// fired during the shutdown, and 0 if it never fired. A Deferred that never
// fires, on a reactor that nothing stops, runs React for ever, as in
// Twisted.
//
// main is called before the reactor runs. Where Twisted's react raises,
// React logs and returns 1 without running the reactor: when main panics
// or returns a nil Deferred, and when the reactor cannot be made (then to
// log/slog). A nil main panics, naming it.
func React(main func(r *Reactor) *reactor.Deferred, opts ...reactor.Option) int {
	if main == nil {
		panic("braid: React: nil main function")
	}
	r, err := New(append(append([]reactor.Option{}, opts...), reactor.WithSignalHandlers())...)
	if err != nil {
		slog.Error("braid: React cannot make a reactor", "error", err)
		return 1
	}
	finished, failure := callMain(r, main)
	if failure != nil {
		r.LogError(failure, whyMainFailed)
		_ = r.Close()
		return 1
	}
	code := 0
	stopping := false
	_, _ = r.AddSystemEventTrigger(reactor.Before, "shutdown", func() *reactor.Deferred {
		stopping = true
		return nil
	})
	finish := func(result any, stopReactor bool) {
		if stopReactor {
			_ = r.Stop() // ErrReactorNotRunning: stopped meanwhile, as Twisted ignores
		}
		f, failed := result.(*reactor.Failure)
		if !failed {
			return
		}
		if exit, ok := errors.AsType[*SystemExitError](f); ok {
			code = exit.Code
			return
		}
		r.LogError(f, whyMainFailed)
		code = 1
	}
	finished.AddBoth(func(result any) (any, error) {
		if stopping {
			finish(result, false)
		} else {
			r.CallWhenRunning(func() { finish(result, true) })
		}
		return nil, nil
	})
	if err := r.Run(); err != nil {
		r.LogError(reactor.NewFailure(err), "braid: React cannot run the reactor")
		return 1
	}
	return code
}

// callMain calls main, turning a panic or a nil Deferred into a Failure.
func callMain(r *Reactor, main func(r *Reactor) *reactor.Deferred) (d *reactor.Deferred, failure *reactor.Failure) {
	defer func() {
		if v := recover(); v != nil {
			d, failure = nil, reactor.FailureFromPanic(v)
		}
	}()
	if d = main(r); d == nil {
		return nil, reactor.NewFailure(errors.New("braid: React: main returned a nil *Deferred"))
	}
	return d, nil
}
