package reactor

import (
	"fmt"
	"time"
)

// The error family of the reactor and of Deferreds. Naming rule, for every
// package of braid: a Twisted exception that carries no fields becomes a
// sentinel ErrX; one that carries fields becomes a pointer type XError.
// Twisted's class hierarchy is kept with Is methods, so errors.Is answers
// as Failure.check does: errors.Is(ErrConnectionAborted, ErrConnectionLost)
// holds. The transports' errors (connect, listen and process reasons) live
// in package protocol, beside the transports.

// kindError is a sentinel with a parent, so that errors.Is(child, parent) holds.
type kindError struct {
	msg    string
	parent error
}

func (e *kindError) Error() string { return e.msg }

// Is reports whether target is one of e's ancestors.
func (e *kindError) Is(target error) bool {
	for p := e.parent; p != nil; {
		if p == target {
			return true
		}
		k, ok := p.(*kindError)
		if !ok {
			return false
		}
		p = k.parent
	}
	return false
}

func kind(msg string, parent error) error { return &kindError{msg: msg, parent: parent} }

// Reactor and [DelayedCall] errors (twisted.internet.error).
var (
	// ErrDelayedCallAlreadyCalled ports error.AlreadyCalled: Cancel, Reset
	// or Delay of a DelayedCall that has already run.
	ErrDelayedCallAlreadyCalled = kind("tried to cancel an already-called event", nil)
	// ErrDelayedCallAlreadyCancelled ports error.AlreadyCancelled: Cancel,
	// Reset or Delay of a DelayedCall that was cancelled before.
	ErrDelayedCallAlreadyCancelled = kind("tried to cancel an already-cancelled event", nil)
	// ErrReactorNotRunning ports error.ReactorNotRunning: Stop on a reactor
	// that is not running or is already stopping.
	ErrReactorNotRunning = kind("can't stop reactor that isn't running", nil)
	// ErrReactorNotRestartable ports error.ReactorNotRestartable: Run after Stop.
	ErrReactorNotRestartable = kind("reactor is not restartable", nil)
	// ErrReactorAlreadyRunning ports error.ReactorAlreadyRunning: Run inside Run.
	ErrReactorAlreadyRunning = kind("reactor already running", nil)
	// ErrUnknownPhase is returned by AddSystemEventTrigger for a phase other
	// than Before, During or After (Twisted raises KeyError).
	ErrUnknownPhase = kind("unknown system event phase", nil)
	// ErrUnknownTrigger is returned by RemoveSystemEventTrigger for an id that
	// is not registered (Twisted raises ValueError).
	ErrUnknownTrigger = kind("unknown system event trigger", nil)
	// ErrDescriptorInUse is returned by AddReader or AddWriter when another
	// live object is already registered in that role for the same descriptor
	// number (Twisted silently keeps the first one).
	ErrDescriptorInUse = kind("descriptor is already watched by another object", nil)
)

// The reasons a connection ends (twisted.internet.error), shared by every
// transport; the reactor gives [ErrConnectionLost] to the descriptors it drops
// at shutdown.
var (
	// ErrConnectionClosed ports error.ConnectionClosed, the parent of
	// ErrConnectionDone and ErrConnectionLost.
	ErrConnectionClosed = kind("connection was closed", nil)
	// ErrConnectionDone ports error.ConnectionDone: an orderly close.
	ErrConnectionDone = kind("connection was closed cleanly", ErrConnectionClosed)
	// ErrConnectionLost ports error.ConnectionLost: the connection ended in a
	// non-clean fashion.
	ErrConnectionLost = kind("connection to the other side was lost in a non-clean fashion", ErrConnectionClosed)
	// ErrConnectionAborted ports error.ConnectionAborted: the local side
	// called AbortConnection. It is an ErrConnectionLost.
	ErrConnectionAborted = kind("connection was aborted locally", ErrConnectionLost)
	// ErrConnectionFdescWentAway ports error.ConnectionFdescWentAway: a
	// descriptor's Fileno returned -1 while it was still registered.
	ErrConnectionFdescWentAway = kind("file descriptor went away", ErrConnectionLost)
)

// Deferred errors (twisted.internet.defer).
var (
	// ErrCancelled ports defer.CancelledError: the Deferred was cancelled.
	ErrCancelled = kind("deferred was cancelled", nil)
	// ErrDeferredResult is returned by Callback when handed a *Deferred
	// (Twisted fails an assertion).
	ErrDeferredResult = kind("a Deferred cannot be the result of Callback", nil)
	// ErrNoCurrentException ports failure.NoCurrentExceptionError: Errback(nil)
	// returns it, and NewFailure(nil) wraps it, since Go has no "current
	// exception" to capture.
	ErrNoCurrentException = kind("errback needs a non-nil error", nil)
	// ErrReturnedSelf is the failure a chain switches to when a callback
	// returns the very Deferred it is attached to (D-11; Twisted only warns).
	ErrReturnedSelf = kind("callback returned the Deferred it was attached to", nil)
	// ErrWaitOnReactor is returned by [Wait] called on the goroutine running
	// the reactor (or in an InlineCallbacks body or a Cooperator's iterator
	// it runs), which it would block for ever (Twisted's
	// blockingCallFromThread hangs there).
	ErrWaitOnReactor = kind("Wait called on the reactor goroutine, which it would deadlock; add a callback instead", nil)
)

// AlreadyCalledError ports defer.AlreadyCalledError: Callback or Errback on
// a Deferred that has already fired. Creator and Invoker are filled when the
// Deferred was made under a reactor with [WithDebugging]: where it was made
// and where it was first fired. Match it with errors.AsType.
type AlreadyCalledError struct {
	Creator string
	Invoker string
}

func (e *AlreadyCalledError) Error() string {
	msg := "deferred has already been called"
	if e.Creator != "" {
		msg += "\ncreated at:\n" + e.Creator
	}
	if e.Invoker != "" {
		msg += "\nfirst invoked at:\n" + e.Invoker
	}
	return msg
}

// TimeoutError ports defer.TimeoutError, the failure of a Deferred whose
// [Deferred.AddTimeout] expired, or of a wait with a timeout of its own
// ([DeferredFilesystemLock.DeferUntilLocked]). (A connect timeout is
// protocol.TimeoutError, Twisted's error.TimeoutError.)
type TimeoutError struct {
	Timeout time.Duration
	// What says what timed out ("acquiring lock /run/x.lock"); empty for
	// AddTimeout.
	What string
}

func (e *TimeoutError) Error() string {
	if e.What != "" {
		return fmt.Sprintf("timed out %s after %v", e.What, e.Timeout)
	}
	return fmt.Sprintf("deferred timed out after %v", e.Timeout)
}

// FirstError ports defer.FirstError: the first failure among the members of
// a [DeferredList] with FireOnOneErrback (or of [GatherResults]). Index is the
// member's position; Sub is its Failure. Unlike Twisted's opaque wrapper,
// Unwrap returns Sub, so errors.Is sees the member's error.
type FirstError struct {
	Sub   *Failure
	Index int
}

func (e *FirstError) Error() string {
	return fmt.Sprintf("FirstError[#%d, %v]", e.Index, e.Sub.Value())
}

// Unwrap returns the member's Failure.
func (e *FirstError) Unwrap() error { return e.Sub }

// PanicError is the error a recovered panic becomes (Twisted catches every
// exception a callback raises): see [FailureFromPanic]. Value is what was
// passed to panic.
type PanicError struct {
	Value any
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns Value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}
