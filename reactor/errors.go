package reactor

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
)

// Naming rule for the error family: a Twisted exception class X that carries
// no fields becomes the sentinel ErrX; one that carries fields becomes the
// type X. Twisted's class hierarchy is kept with Is methods, so errors.Is
// answers the way Failure.check does: errors.Is(ProcessDone{}, ErrConnectionDone)
// is true, errors.Is(ProcessTerminated{}, ErrConnectionDone) is false.

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

// Reactor and DelayedCall errors (twisted.internet.error).
var (
	// ErrAlreadyCalled ports error.AlreadyCalled: the DelayedCall has already run.
	ErrAlreadyCalled = kind("tried to cancel an already-called event", nil)
	// ErrAlreadyCancelled ports error.AlreadyCancelled: the DelayedCall was cancelled before.
	ErrAlreadyCancelled = kind("tried to cancel an already-cancelled event", nil)
	// ErrReactorNotRunning ports error.ReactorNotRunning: Stop on a reactor that is
	// not running or is already stopping.
	ErrReactorNotRunning = kind("can't stop reactor that isn't running", nil)
	// ErrReactorNotRestartable ports error.ReactorNotRestartable: Run after Stop.
	ErrReactorNotRestartable = kind("reactor is not restartable", nil)
	// ErrReactorAlreadyRunning ports error.ReactorAlreadyRunning: Run inside Run.
	ErrReactorAlreadyRunning = kind("reactor already running", nil)
	// ErrUnknownPhase is returned by AddSystemEventTrigger for a phase other than
	// before, during or after (Twisted raises KeyError).
	ErrUnknownPhase = kind("unknown system event phase", nil)
	// ErrUnknownTrigger is returned by RemoveSystemEventTrigger for a handle that is
	// not registered (Twisted raises ValueError).
	ErrUnknownTrigger = kind("unknown system event trigger", nil)
)

// Connection and process errors (twisted.internet.error).
var (
	// ErrConnectionClosed ports error.ConnectionClosed, the parent of
	// ErrConnectionDone and ErrConnectionLost.
	ErrConnectionClosed = kind("connection was closed", nil)
	// ErrConnectionDone ports error.ConnectionDone: an orderly close.
	ErrConnectionDone = kind("connection was closed cleanly", ErrConnectionClosed)
	// ErrConnectionLost ports error.ConnectionLost: the connection ended in a
	// non-clean fashion.
	ErrConnectionLost = kind("connection to the other side was lost in a non-clean fashion", ErrConnectionClosed)
	// ErrConnectionAborted ports error.ConnectionAborted: the local side called
	// AbortConnection. It is an ErrConnectionLost.
	ErrConnectionAborted = kind("connection was aborted locally", ErrConnectionLost)
	// ErrConnectionFdescWentAway ports error.ConnectionFdescWentAway: a
	// descriptor's Fileno returned -1 while it was still registered.
	ErrConnectionFdescWentAway = kind("file descriptor went away", ErrConnectionLost)
	// ErrProcessExitedAlready ports error.ProcessExitedAlready: the child has
	// been reaped, so it cannot be signalled.
	ErrProcessExitedAlready = kind("process has already exited", nil)
	// ErrDescriptorInUse is returned by AddReader or AddWriter when another
	// live object is already registered in that role for the same descriptor
	// number (Twisted silently keeps the first one).
	ErrDescriptorInUse = kind("descriptor is already watched by another object", nil)
	// ErrUnknownSignal is wrapped by SignalProcess for a signal name outside
	// Twisted's set (Twisted raises TypeError from os.kill).
	ErrUnknownSignal = kind("unknown signal name", nil)
	// ErrConnectError ports error.ConnectError as a matchable kind: every
	// connect failure type in this file satisfies errors.Is(err, ErrConnectError).
	ErrConnectError = kind("an error occurred while connecting", nil)
)

// Deferred errors (twisted.internet.defer).
var (
	// ErrAlreadyCalledError ports defer.AlreadyCalledError: Callback or Errback
	// on a Deferred that has already fired. With SetDebugging(true) the
	// returned error is an *AlreadyCalledError naming both call sites.
	ErrAlreadyCalledError error = &AlreadyCalledError{}
	// ErrCancelledError ports defer.CancelledError: the Deferred was cancelled.
	ErrCancelledError = kind("deferred was cancelled", nil)
	// ErrDeferredResult is returned by Callback when handed a *Deferred
	// (Twisted fails an assertion).
	ErrDeferredResult = kind("a Deferred cannot be the result of Callback", nil)
	// ErrNilError is returned by Errback(nil); Go has no "current exception" to
	// capture (Twisted's NoCurrentExceptionError).
	ErrNilError = kind("errback needs a non-nil error", nil)
	// ErrReturnedSelf is the failure a chain switches to when a callback
	// returns the very Deferred it is attached to (D-11; Twisted only warns).
	ErrReturnedSelf = kind("callback returned the Deferred it was attached to", nil)
)

// AlreadyCalledError ports defer.AlreadyCalledError. Match it with
// errors.Is(err, ErrAlreadyCalledError). Creator and Invoker are filled only
// when SetDebugging(true) was in effect: where the Deferred was made and
// where it was first fired.
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

// Is makes every *AlreadyCalledError match ErrAlreadyCalledError.
func (e *AlreadyCalledError) Is(target error) bool { return target == ErrAlreadyCalledError }

// ProcessDone ports error.ProcessDone: the child exited with status 0. It is
// an ErrConnectionDone (and so an ErrConnectionClosed).
type ProcessDone struct {
	// Status is the raw wait status (always 0), Twisted's status.
	Status int
}

func (ProcessDone) Error() string {
	return "a process has ended without apparent errors: process finished with exit code 0"
}

// Is reports the ConnectionDone ancestry.
func (ProcessDone) Is(target error) bool {
	return target == ErrConnectionDone || target == ErrConnectionClosed
}

// ExitCode is 0: Twisted's ProcessDone.exitCode.
func (ProcessDone) ExitCode() int { return 0 }

// ProcessTerminated ports error.ProcessTerminated: the child exited with a
// non-zero status or was killed by a signal. It is an ErrConnectionLost, not
// an ErrConnectionDone.
type ProcessTerminated struct {
	// ExitCode is the exit status, or -1 when the child was killed by a signal
	// (Twisted's exitCode is None then).
	ExitCode int
	// Signal is the signal that killed the child, or 0 when it exited
	// (Twisted's signal is None then).
	Signal syscall.Signal
	// Status is the raw wait status, Twisted's status.
	Status int
}

func (e ProcessTerminated) Error() string {
	if e.Signal != 0 {
		return "a process has ended with a probable error condition: process ended by signal " + strconv.Itoa(int(e.Signal))
	}
	return "a process has ended with a probable error condition: process ended with exit code " + strconv.Itoa(e.ExitCode)
}

// Exited reports whether the child exited on its own (Twisted: exitCode is not None).
func (e ProcessTerminated) Exited() bool { return e.Signal == 0 }

// Is reports the ConnectionLost ancestry.
func (ProcessTerminated) Is(target error) bool {
	return target == ErrConnectionLost || target == ErrConnectionClosed
}

// ProcessReason converts a raw wait status into the reason Twisted reports:
// ProcessDone for exit 0, ProcessTerminated otherwise.
func ProcessReason(status syscall.WaitStatus) error {
	switch {
	case status.Exited() && status.ExitStatus() == 0:
		return ProcessDone{Status: int(status)}
	case status.Signaled():
		return ProcessTerminated{ExitCode: -1, Signal: status.Signal(), Status: int(status)}
	default:
		return ProcessTerminated{ExitCode: status.ExitStatus(), Status: int(status)}
	}
}

// ConnectError ports error.ConnectError. OSError is the underlying error (an
// errno where there is one); Msg is Twisted's extra string. Unwrap returns
// OSError, so errors.Is(err, syscall.ECONNREFUSED) works.
type ConnectError struct {
	OSError error
	Msg     string
}

func connectMessage(base string, osErr error, msg string) string {
	s := base
	if osErr != nil {
		if errno, ok := osErr.(syscall.Errno); ok {
			s += ": " + strconv.Itoa(int(errno)) + ": " + errno.Error()
		} else {
			s += ": " + osErr.Error()
		}
	}
	if msg != "" {
		s += ": " + msg
	}
	return s
}

func (e *ConnectError) Error() string {
	return connectMessage("an error occurred while connecting", e.OSError, e.Msg)
}

// Unwrap returns the OS error.
func (e *ConnectError) Unwrap() error { return e.OSError }

// Is matches ErrConnectError.
func (e *ConnectError) Is(target error) bool { return target == ErrConnectError }

// ConnectionRefusedError ports error.ConnectionRefusedError (a ConnectError):
// nobody listens on the port.
type ConnectionRefusedError struct {
	OSError error
	Msg     string
}

func (e *ConnectionRefusedError) Error() string {
	return connectMessage("connection was refused by other side", e.OSError, e.Msg)
}

// Unwrap returns the OS error (normally syscall.ECONNREFUSED).
func (e *ConnectionRefusedError) Unwrap() error { return e.OSError }

// Is matches ErrConnectError.
func (e *ConnectionRefusedError) Is(target error) bool { return target == ErrConnectError }

// TimeoutError ports error.TimeoutError (a ConnectError): the connect did not
// complete in time. It is not DeferTimeoutError (defer.TimeoutError).
type TimeoutError struct {
	OSError error
	Msg     string
}

func (e *TimeoutError) Error() string {
	return connectMessage("user timeout caused connection failure", e.OSError, e.Msg)
}

// Unwrap returns the OS error, if any.
func (e *TimeoutError) Unwrap() error { return e.OSError }

// Is matches ErrConnectError.
func (e *TimeoutError) Is(target error) bool { return target == ErrConnectError }

// Timeout reports true, for net.Error-style checks.
func (e *TimeoutError) Timeout() bool { return true }

// ConnectingCancelledError ports error.ConnectingCancelledError: the connect
// attempt was cancelled before it completed. Address is where it was going.
type ConnectingCancelledError struct {
	Address net.Addr
}

func (e *ConnectingCancelledError) Error() string {
	if e.Address == nil {
		return "connecting was cancelled"
	}
	return "connecting to " + e.Address.String() + " was cancelled"
}

// Is matches ErrConnectError and ErrCancelledError.
func (e *ConnectingCancelledError) Is(target error) bool {
	return target == ErrConnectError || target == ErrCancelledError
}

// CannotListenError ports error.CannotListenError: binding Interface:Port failed.
type CannotListenError struct {
	Interface string
	Port      int
	Err       error
}

func (e *CannotListenError) Error() string {
	iface := e.Interface
	if iface == "" {
		iface = "any"
	}
	return fmt.Sprintf("couldn't listen on %s: %v", net.JoinHostPort(iface, strconv.Itoa(e.Port)), e.Err)
}

// Unwrap returns the bind error.
func (e *CannotListenError) Unwrap() error { return e.Err }

// DeferTimeoutError ports defer.TimeoutError, raised by Deferred.AddTimeout.
// It is distinct from TimeoutError (a connect timeout).
type DeferTimeoutError struct {
	Timeout time.Duration
}

func (e *DeferTimeoutError) Error() string {
	return fmt.Sprintf("deferred timed out after %v", e.Timeout)
}

// FirstError ports defer.FirstError: the first failure among the members of a
// DeferredList with FireOnOneErrback (or of GatherResults). Index is the
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
// exception a callback raises). Value is what was passed to panic.
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

// As reports whether err's chain holds an error of type T and returns it: a
// generic errors.As, handy on a *Failure (Twisted's check for a class).
func As[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}
