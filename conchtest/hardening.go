package conchtest

import (
	"fmt"
	"syscall"
	"time"

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

// Hardened returns the recommended hardening: backoff retries, fail-fast, a
// 30 s deadline, SIGTERM with a 1 s grace period before SIGKILL, group stop,
// and stderr kept.
func Hardened() Hardening {
	return Hardening{
		Backoff:     true,
		Deadline:    30 * time.Second,
		FailFast:    true,
		StopSignal:  syscall.SIGTERM,
		GracePeriod: time.Second,
		StopGroup:   true,
		KeepOutput:  true,
	}
}

const (
	defaultRetryInitial = time.Millisecond
	defaultRetryMax     = 100 * time.Millisecond
	defaultRetryGrowth  = 1.0 / 200
	defaultTailSize     = 4 << 10
)

// nextRetry is the pause before the next attempt, waited being the time
// since the spawn.
func (h *Hardening) nextRetry(waited time.Duration) time.Duration {
	initial, most, growth := h.RetryInitial, h.RetryMax, h.RetryGrowth
	if initial <= 0 {
		initial = defaultRetryInitial
	}
	if most <= 0 {
		most = defaultRetryMax
	}
	if growth <= 0 {
		growth = defaultRetryGrowth
	}
	d := time.Duration(float64(waited) * growth)
	return min(max(d, initial), most)
}

func (h *Hardening) tailSize() int {
	if h.TailSize > 0 {
		return h.TailSize
	}
	return defaultTailSize
}

// DeadlineError is the hardened failure when the port did not accept within
// Hardening.Deadline.
type DeadlineError struct {
	Port     int
	Deadline time.Duration
	Attempts int
}

func (e *DeadlineError) Error() string {
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
