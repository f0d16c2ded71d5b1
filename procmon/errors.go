package procmon

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/braid-go/braid/internal/listener"
)

var (
	// ErrUnknownProcess is returned for a name that was never added, or was
	// removed (Twisted raises KeyError).
	ErrUnknownProcess = errors.New("unknown process")
	// ErrDuplicateProcess is returned by AddProcess for a name already in
	// use (Twisted raises KeyError: "remove it first").
	ErrDuplicateProcess = errors.New("process name already in use; remove it first")
	// ErrNoArgs is returned by AddProcess for an empty argv: there is no
	// executable to run (Twisted fails later, when it starts the process).
	ErrNoArgs = errors.New("empty argv: no executable to run")
	// ErrNoTCP is returned by AddProcess for a readiness port when the
	// monitor's reactor cannot make TCP connections (is no
	// protocol.ReactorTCP).
	ErrNoTCP = errors.New("a readiness port needs a reactor that implements protocol.ReactorTCP")
)

// Reasons a Ready Deferred fails with (inside a [NotReadyError]) other than
// the process's exit reason.
var (
	// ErrReadyDeadline is the Reason when the port did not accept within
	// Readiness.Deadline.
	ErrReadyDeadline = errors.New("the port did not accept within the readiness deadline")
	// ErrProcessRemoved is the Reason when RemoveProcess was called while
	// Ready waited.
	ErrProcessRemoved = errors.New("process was removed")
	// ErrServiceStopped is the Reason when StopService was called while
	// Ready waited for a process that was not running, and so will not run
	// again.
	ErrServiceStopped = errors.New("process monitor was stopped")
)

// NotReadyError is the failure of a Ready Deferred: the process named did
// not become ready. Reason says why: the exit reason (a *reactor.Failure
// wrapping a *protocol.ProcessDone or *protocol.ProcessTerminated) when the
// process ended first; the *protocol.SpawnError when it could not be
// started; ErrReadyDeadline; a *ListenerError when Readiness.VerifyListener
// found another process serving the port; the connect error when probing the port failed
// other than by refusal; ErrProcessRemoved or ErrServiceStopped. errors.Is
// and errors.As see through it to Reason.
type NotReadyError struct {
	// Name is the process's name.
	Name string
	// Port is the readiness port, 0 without a check.
	Port int
	// Host is the readiness host.
	Host string
	// Attempts counts the connect attempts made to the port.
	Attempts int
	// Deadline is Readiness.Deadline when it was what passed.
	Deadline time.Duration
	// Reason is why the process did not become ready.
	Reason error
}

func (e *NotReadyError) Error() string {
	msg := fmt.Sprintf("procmon: process %q did not become ready", e.Name)
	if e.Port != 0 {
		msg += fmt.Sprintf(" on %s (connect attempts: %d)", net.JoinHostPort(e.Host, strconv.Itoa(e.Port)), e.Attempts)
	}
	switch {
	case e.Reason == nil:
		return msg
	case errors.Is(e.Reason, ErrReadyDeadline) && e.Deadline > 0:
		return msg + ": nothing accepted within " + e.Deadline.String()
	}
	return msg + ": " + e.Reason.Error()
}

// Unwrap returns Reason.
func (e *NotReadyError) Unwrap() error { return e.Reason }

// unknown names the process in ErrUnknownProcess.
func unknown(name string) error {
	return fmt.Errorf("procmon: %w %q", ErrUnknownProcess, name)
}

// ListenerError is the Reason of a [NotReadyError] when
// Readiness.VerifyListener found the port served by a process outside the
// spawned process's tree, or could not tell (Err says why). Beyond Twisted.
type ListenerError struct {
	// Port is the readiness port.
	Port int
	// Owner is the pid of the process serving it; 0 when it could not be
	// named.
	Owner int
	// Pid is the spawned process's pid.
	Pid int
	// Err is why the owner could not be looked up, if it could not.
	Err error
}

func (e *ListenerError) Error() string {
	return listener.Describe(fmt.Sprintf("port %d", e.Port), e.Owner, e.Pid, e.Err)
}

// Unwrap returns Err.
func (e *ListenerError) Unwrap() error { return e.Err }
