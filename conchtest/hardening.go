package conchtest

import (
	"fmt"
	"syscall"
	"time"

	"github.com/braid-go/braid/internal/backoff"
	"github.com/braid-go/braid/internal/listener"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Hardening selects what a [ForwardingProcess] does beyond Conch's helper.
// Every field's zero value is Conch's behaviour, so the zero Hardening is
// the faithful port; Hardened() returns the recommended settings.
type Hardening struct {
	// Backoff retries only refused connects (ECONNREFUSED: nothing listens
	// yet), and stops retrying once the process has ended or is being
	// stopped (W-09). The pause between attempts starts at RetryInitial and
	// grows with the time already waited — RetryGrowth of it — up to
	// RetryMax, so a server that opens its port after t is found at most
	// max(RetryInitial, RetryGrowth·t) later, never more than RetryMax.
	// Any other connect failure kills the process and fails the Deferred
	// with a *ConnectFailedError when it has ended. Faithful: every failure is retried 0.1 s later,
	// forever (C-05).
	Backoff bool
	// RetryInitial is the first pause (default 1 ms).
	RetryInitial time.Duration
	// RetryMax caps the pause (default 100 ms).
	RetryMax time.Duration
	// RetryGrowth is the pause as a fraction of the time waited so far
	// (default 1/200: a server is found within 0.5% of its start-up time).
	RetryGrowth float64

	// Deadline bounds the wait for the port: if it has not accepted this
	// long after the spawn, the process is killed and, once it has ended,
	// the Deferred fails with a *DeadlineError naming the port. 0: wait
	// forever (Conch).
	Deadline time.Duration

	// TotalDeadline bounds the whole run, from the spawn until the Deferred
	// fires: the connect, the exchange (a server that accepts and never
	// answers, or never closes) and the stop. When it passes, the process
	// (its group, with StopGroup) is killed and its pipes closed, and the
	// Deferred fails with a *DeadlineError saying which phase was reached
	// and holding what the forwarding port had received so far — once the
	// process has ended, or GracePeriod (at least 100 ms) later if it has
	// not. 0: no bound (Conch; the test's own timeout is the bound).
	TotalDeadline time.Duration

	// VerifyListener checks, once connected and before sending Data, that
	// the socket listening on the port belongs to the spawned process, one
	// of its descendants, or its process group or session: a stale
	// listener that held the port (a server left over from an earlier run)
	// would otherwise answer in the real server's place. When it does not,
	// the connection is dropped unused, the process killed, and the
	// Deferred fails with a *ListenerError naming the port and the owner's
	// pid when it can be read. Linux only (it reads /proc). Faithful:
	// whatever answers on the port is taken for the server (Conch).
	VerifyListener bool

	// FailFast fails the Deferred with an *EndedEarlyError — the exit
	// reason and the tail of stderr — when the process ends before its port
	// ever accepted (W-10). Faithful: the Deferred fires with nil (C-15).
	FailFast bool

	// StopSignal, when set, replaces Conch's "\x03"-on-stdin (meaningless
	// without a terminal, W-13) as the first stop step: the process gets
	// this signal (e.g. syscall.SIGINT or SIGTERM) and keeps its pipes.
	StopSignal syscall.Signal
	// GracePeriod is how long the process gets after the first stop step
	// before SIGKILL. 0: SIGKILL on the next reactor turn (Conch).
	GracePeriod time.Duration
	// StopGroup sends every stop signal to the process group, so a server a
	// wrapper script started dies too (W-03). Spawn the process with
	// protocol.SpawnOptions.NewProcessGroup (SSHServer.Execute does);
	// without a group, ConnectionMade logs an error and the signals reach
	// the process alone.
	StopGroup bool

	// KeepOutput keeps the last TailSize bytes of the child's stdout and
	// stderr in Stdout and Stderr.
	KeepOutput bool
	// TailSize bounds each kept stream (default 4 KiB).
	TailSize int
}

// Hardened returns the recommended hardening: backoff retries, a check that
// the listener is the spawned process's, fail-fast, a 30 s deadline for the
// port and 60 s for the whole run, SIGTERM with a 1 s
// grace period before SIGKILL, group stop, and stderr kept.
func Hardened() Hardening {
	return Hardening{
		Backoff:        true,
		VerifyListener: true,
		Deadline:       30 * time.Second,
		TotalDeadline:  60 * time.Second,
		FailFast:       true,
		StopSignal:     syscall.SIGTERM,
		GracePeriod:    time.Second,
		StopGroup:      true,
		KeepOutput:     true,
	}
}

const defaultTailSize = 4 << 10

// nextRetry is the pause before the next attempt, waited being the time
// since the spawn.
func (h *Hardening) nextRetry(waited time.Duration) time.Duration {
	return backoff.Next(waited, h.RetryInitial, h.RetryMax, h.RetryGrowth)
}

func (h *Hardening) tailSize() int {
	if h.TailSize > 0 {
		return h.TailSize
	}
	return defaultTailSize
}

// DeadlineError is the hardened failure when the port did not accept within
// Hardening.Deadline (Phase "connect"), or the run did not end within
// Hardening.TotalDeadline (Phase "connect", "exchange" or "stop").
// Received is what the forwarding port had received by then (nil when it
// never connected).
type DeadlineError struct {
	Port     int
	Deadline time.Duration
	Attempts int
	Phase    string
	Received []byte
}

func (e *DeadlineError) Error() string {
	switch e.Phase {
	case "exchange":
		return fmt.Sprintf("conchtest: the exchange through 127.0.0.1:%d did not end within %v (received %d bytes: %q)", e.Port, e.Deadline, len(e.Received), e.Received)
	case "stop":
		return fmt.Sprintf("conchtest: the process serving 127.0.0.1:%d did not stop within %v (received %q)", e.Port, e.Deadline, e.Received)
	}
	return fmt.Sprintf("conchtest: nothing accepted on 127.0.0.1:%d within %v (%d connect attempts)", e.Port, e.Deadline, e.Attempts)
}

// As makes a [DeadlineError] a *protocol.TimeoutError (and so a
// *protocol.ConnectError) to errors.As and errors.AsType, as a connect
// timeout is.
func (e *DeadlineError) As(target any) bool {
	switch t := target.(type) {
	case **protocol.TimeoutError:
		*t = &protocol.TimeoutError{Msg: e.Error()}
		return true
	case **protocol.ConnectError:
		*t = &protocol.ConnectError{Msg: e.Error()}
		return true
	}
	return false
}

// EndedEarlyError is the hardened failure when the process ended before its
// port ever accepted (W-10). Reason is the exit reason (wrapping a
// *protocol.ProcessDone or *protocol.ProcessTerminated); Stderr is the tail
// of what the process wrote there.
type EndedEarlyError struct {
	Port     int
	Attempts int
	Reason   *reactor.Failure
	Stderr   []byte
}

func (e *EndedEarlyError) Error() string {
	msg := fmt.Sprintf("conchtest: process ended before 127.0.0.1:%d accepted (%d connect attempts): %v", e.Port, e.Attempts, e.Reason)
	if len(e.Stderr) > 0 {
		msg += "\nstderr (tail):\n" + string(e.Stderr)
	}
	return msg
}

// Unwrap returns the exit reason, so errors.As finds the
// *protocol.ProcessTerminated in it.
func (e *EndedEarlyError) Unwrap() error { return e.Reason }

// ConnectFailedError is the hardened failure for a connect error other than
// "refused", which retrying would not cure.
type ConnectFailedError struct {
	Port     int
	Attempts int
	Err      error
}

func (e *ConnectFailedError) Error() string {
	return fmt.Sprintf("conchtest: connecting to 127.0.0.1:%d failed after %d attempts: %v", e.Port, e.Attempts, e.Err)
}

// Unwrap returns the connect error.
func (e *ConnectFailedError) Unwrap() error { return e.Err }

// ListenerError is the hardened failure when the socket listening on the
// port does not belong to the spawned process or its descendants
// (Hardening.VerifyListener). Owner is the pid of the process holding it,
// 0 when it could not be told; Child is the spawned process's pid. Err,
// when set, says why the owner could not be checked at all.
type ListenerError struct {
	Port  int
	Owner int
	Child int
	Err   error
}

func (e *ListenerError) Error() string {
	return "conchtest: " + listener.Describe(fmt.Sprintf("127.0.0.1:%d", e.Port), e.Owner, e.Child, e.Err)
}

// Unwrap returns Err.
func (e *ListenerError) Unwrap() error { return e.Err }
