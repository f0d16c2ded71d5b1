package protocol

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"github.com/braid-go/braid/reactor"
)

// The transports' errors (twisted.internet.error): connect and listen
// failures and the reasons a process ends. They follow reactor's naming
// rule — a sentinel ErrX for an exception without fields, a pointer type
// XError with fields — and keep Twisted's hierarchy: every connect failure
// is also a *ConnectError to errors.As and errors.AsType.

// ConnectError ports error.ConnectError, the base of the connect failures.
// OSError is the underlying error (an errno where there is one); Msg is
// Twisted's extra string. Unwrap returns OSError, so errors.Is(err,
// syscall.ECONNREFUSED) works.
type ConnectError struct {
	OSError error
	Msg     string
}

func (e *ConnectError) Error() string {
	return connectMessage("an error occurred while connecting", e.OSError, e.Msg)
}

// Unwrap returns the OS error.
func (e *ConnectError) Unwrap() error { return e.OSError }

// ConnectionRefusedError ports error.ConnectionRefusedError (a
// [ConnectError]): nobody listens on the port.
type ConnectionRefusedError struct {
	OSError error
	Msg     string
}

func (e *ConnectionRefusedError) Error() string {
	return connectMessage("connection was refused by other side", e.OSError, e.Msg)
}

// Unwrap returns the OS error (normally syscall.ECONNREFUSED).
func (e *ConnectionRefusedError) Unwrap() error { return e.OSError }

// As makes the error a *ConnectError too, as its Twisted class is one.
func (e *ConnectionRefusedError) As(target any) bool {
	return asConnectError(target, e.OSError, e.Msg)
}

// TimeoutError ports error.TimeoutError (a [ConnectError]): the connect did
// not complete in time. (A Deferred's AddTimeout fails with
// reactor.TimeoutError, Twisted's defer.TimeoutError.)
type TimeoutError struct {
	OSError error
	Msg     string
}

func (e *TimeoutError) Error() string {
	return connectMessage("user timeout caused connection failure", e.OSError, e.Msg)
}

// Unwrap returns the OS error, if any.
func (e *TimeoutError) Unwrap() error { return e.OSError }

// As makes the error a *ConnectError too, as its Twisted class is one.
func (e *TimeoutError) As(target any) bool { return asConnectError(target, e.OSError, e.Msg) }

// Timeout reports true, for net.Error-style checks.
func (e *TimeoutError) Timeout() bool { return true }

func asConnectError(target any, osErr error, msg string) bool {
	if p, ok := target.(**ConnectError); ok {
		*p = &ConnectError{OSError: osErr, Msg: msg}
		return true
	}
	return false
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

// CannotListenError ports error.CannotListenError: binding Interface:Port
// (or, for a UNIX socket, Address) failed; Err says why.
type CannotListenError struct {
	Interface string
	Port      int
	// Address is the path (or abstract name) of a UNIX socket; when set,
	// the message names it instead of Interface:Port.
	Address string
	Err     error
}

func (e *CannotListenError) Error() string {
	if e.Address != "" {
		return fmt.Sprintf("couldn't listen on %q: %v", e.Address, e.Err)
	}
	iface := e.Interface
	if iface == "" {
		iface = "any"
	}
	return fmt.Sprintf("couldn't listen on %s: %v", net.JoinHostPort(iface, strconv.Itoa(e.Port)), e.Err)
}

// Unwrap returns the bind error.
func (e *CannotListenError) Unwrap() error { return e.Err }

// ProcessDone ports error.ProcessDone, the reason a child that exited with
// status 0 ended. It is a reactor.ErrConnectionDone (and so an
// ErrConnectionClosed), as in Twisted.
type ProcessDone struct {
	// ExitCode is 0.
	ExitCode int
	// Signal is 0: the child was not killed by a signal.
	Signal syscall.Signal
	// Status is the raw wait status (0), Twisted's status.
	Status int
	// Pid is the process id the child had. Beyond Twisted.
	Pid int
}

func (e *ProcessDone) Error() string {
	return "a process has ended without apparent errors: process finished with exit code 0"
}

// Is reports the ConnectionDone ancestry.
func (e *ProcessDone) Is(target error) bool {
	return target == reactor.ErrConnectionDone || target == reactor.ErrConnectionClosed
}

// ProcessTerminated ports error.ProcessTerminated, the reason a child that
// exited with a non-zero status, or was killed by a signal, ended. It is a
// reactor.ErrConnectionLost, not an ErrConnectionDone.
type ProcessTerminated struct {
	// ExitCode is the exit status, or -1 when the child was killed by a
	// signal (Twisted's exitCode is None then).
	ExitCode int
	// Signal is the signal that killed the child, or 0 when it exited
	// (Twisted's signal is None then).
	Signal syscall.Signal
	// Status is the raw wait status, Twisted's status.
	Status int
	// Pid is the process id the child had. Beyond Twisted.
	Pid int
}

func (e *ProcessTerminated) Error() string {
	if e.Signal != 0 {
		return "a process has ended with a probable error condition: process ended by signal " + strconv.Itoa(int(e.Signal))
	}
	return "a process has ended with a probable error condition: process ended with exit code " + strconv.Itoa(e.ExitCode)
}

// Is reports the ConnectionLost ancestry.
func (e *ProcessTerminated) Is(target error) bool {
	return target == reactor.ErrConnectionLost || target == reactor.ErrConnectionClosed
}

// Errors of processes.
var (
	// ErrProcessExitedAlready ports error.ProcessExitedAlready: the child
	// has been reaped, so it cannot be signalled.
	ErrProcessExitedAlready = errors.New("process has already exited")
	// ErrUnknownSignal is wrapped by ParseSignal for a name outside
	// Twisted's set.
	ErrUnknownSignal = errors.New("unknown signal name")
	// ErrUnknownChildFD is returned by WriteToChild for a child fd that has
	// no open pipe the parent writes (Twisted raises KeyError).
	ErrUnknownChildFD = errors.New("no pipe the parent writes for this child fd")
	// ErrNoProcessGroup is returned by SignalProcessGroup for a child that
	// was not started with SpawnOptions.NewProcessGroup.
	ErrNoProcessGroup = errors.New("process was not started in a process group of its own")
)
