package processutil

import (
	"fmt"
	"strconv"
	"syscall"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// UnexpectedErrorOutputError ports utils._UnexpectedErrorOutput (an
// IOError in Twisted): the failure of [GetProcessOutput], without
// Options.ErrorToo, when the child writes to stderr. It fires as soon as
// the first bytes arrive there, before the child ends; the output
// collected so far is dropped and all the child's pipes are closed, so a
// child that goes on writing usually dies of SIGPIPE.
//
// ProcessEnded fires when the child has ended, always on the error path,
// as Twisted's processEnded does: with a *protocol.ProcessDone Failure for
// an exit status of 0, a *protocol.ProcessTerminated otherwise. Add an
// errback to it — trial.AssertFailure, or one that returns nil — or its
// Failure is reported as unhandled, as Twisted logs it. Cancelling it kills
// the child (SIGKILL).
type UnexpectedErrorOutputError struct {
	// Executable is the executable as passed to GetProcessOutput.
	Executable string
	// Text is the first chunk read from the child's stderr.
	Text []byte
	// ProcessEnded fires when the child has ended (see above).
	ProcessEnded *reactor.Deferred
}

func (e *UnexpectedErrorOutputError) Error() string {
	return "processutil: " + e.Executable + ": got stderr: " + strconv.Quote(string(e.Text))
}

// SignalError is the failure of [GetProcessOutputAndValue] when the child
// was killed by a signal: Twisted errbacks with the tuple (out, err,
// signalNum), which becomes this error's fields. Reason is the exit reason
// the process transport gave; Unwrap returns it, so errors.Is(err,
// reactor.ErrConnectionLost) and errors.AsType[*protocol.ProcessTerminated]
// work.
type SignalError struct {
	// Executable is the executable as passed to GetProcessOutputAndValue.
	Executable string
	// Stdout and Stderr are what the child wrote before it died.
	Stdout, Stderr []byte
	// Signal is the signal that killed the child.
	Signal syscall.Signal
	// Reason is the *protocol.ProcessTerminated the child ended with.
	Reason *protocol.ProcessTerminated
}

func (e *SignalError) Error() string {
	return fmt.Sprintf("processutil: %s: ended by signal %d (%v)", e.Executable, int(e.Signal), e.Signal)
}

// Unwrap returns the exit reason.
func (e *SignalError) Unwrap() error { return e.Reason }
