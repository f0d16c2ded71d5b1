package processutil

import (
	"errors"
	"slices"
	"syscall"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Options carries the keyword arguments of Twisted's three helpers. The
// zero value is Twisted's default: an EMPTY environment, the parent's
// working directory, stdin left open, stderr an error for GetProcessOutput.
type Options struct {
	// Env is the child's environment as "KEY=value" strings. nil means an
	// EMPTY environment, as Twisted's env={} default (not os/exec's "the
	// parent's"): the child gets no PATH, HOME or USER. A bare executable
	// name is still found, in /bin and /usr/bin (see
	// protocol.SpawnOptions.Env).
	Env []string
	// InheritEnv gives the child the parent's environment with Env's
	// entries on top (Twisted's env=None).
	InheritEnv bool
	// Dir is the child's working directory (Twisted's path); empty means
	// the parent's.
	Dir string
	// Stdin, when not nil, is written to the child's stdin, which is then
	// closed (Twisted's stdinBytes, which only getProcessOutputAndValue
	// takes; braid honours it in all three). A non-nil empty slice just
	// closes stdin. nil leaves stdin open, as Twisted does: a child that
	// reads it waits for ever.
	Stdin []byte
	// ErrorToo, for GetProcessOutput, adds what the child writes to stderr
	// to the output, interleaved with stdout in the order the reads
	// complete (Twisted's errortoo). Without it, anything on stderr fails
	// the Deferred with an *UnexpectedErrorOutputError. The other two
	// helpers ignore it: GetProcessOutputAndValue keeps stderr apart, and
	// GetProcessValue discards all output.
	ErrorToo bool
}

// Output is the result of [GetProcessOutputAndValue], Twisted's tuple
// (out, err, code).
type Output struct {
	Stdout, Stderr []byte
	// ExitCode is the child's exit status.
	ExitCode int
}

// GetProcessOutput ports utils.getProcessOutput: it runs executable with
// args (which do not include argv[0]; executable is passed as argv[0]) and
// returns a Deferred that fires with everything the child wrote to stdout,
// as a []byte, once it has ended — whatever its exit status, and even if a
// signal killed it. Without opts.ErrorToo, the first output on stderr
// fails the Deferred at once with an *UnexpectedErrorOutputError and closes
// the child's pipes.
//
// A child that cannot be started fails the Deferred with a
// *protocol.SpawnError (Twisted's child would write a traceback to stderr
// and exit 1). Cancelling the Deferred before it fires kills the child with
// SIGKILL and fails it with reactor.ErrCancelled; Twisted's Deferred has no
// canceller and leaves the child running, unobserved. A nil r panics,
// naming it.
func GetProcessOutput(r protocol.ReactorProcess, executable string, args []string, opts Options) *reactor.Deferred {
	p := &outputGetter{errorToo: opts.ErrorToo}
	return spawn("GetProcessOutput", r, p, &p.child, executable, args, opts)
}

// GetProcessValue ports utils.getProcessValue: it runs executable with
// args, as GetProcessOutput does, discards its output, and returns a
// Deferred that fires with its exit status, an int, once it has ended. A
// child killed by a signal gives -1 (Twisted's None, and
// os.ProcessState.ExitCode's value). Start failures and cancellation are as
// for GetProcessOutput.
func GetProcessValue(r protocol.ReactorProcess, executable string, args []string, opts Options) *reactor.Deferred {
	p := &valueGetter{}
	return spawn("GetProcessValue", r, p, &p.child, executable, args, opts)
}

// GetProcessOutputAndValue ports utils.getProcessOutputAndValue: it runs
// executable with args, as GetProcessOutput does, and returns a Deferred
// that fires with an [Output] once the child has ended — stdout, stderr and
// the exit status — or, if a signal killed it, fails with a *SignalError
// carrying the output and the signal (Twisted errbacks with the tuple
// (out, err, signal)). Start failures and cancellation are as for
// GetProcessOutput.
func GetProcessOutputAndValue(r protocol.ReactorProcess, executable string, args []string, opts Options) *reactor.Deferred {
	p := &everythingGetter{}
	return spawn("GetProcessOutputAndValue", r, p, &p.child, executable, args, opts)
}

// child is what the three protocols share: the Deferred they fire and the
// stdin they write.
type child struct {
	protocol.BaseProcessProtocol
	executable string
	stdin      []byte
	d          *reactor.Deferred
}

// ConnectionMade writes opts.Stdin, when given, and closes stdin.
func (c *child) ConnectionMade() {
	if c.stdin != nil {
		c.Transport.Write(c.stdin)
		c.Transport.CloseStdin()
	}
}

// kill is the canceller of the Deferreds the helpers return.
func (c *child) kill(*reactor.Deferred) {
	if c.Transport != nil {
		_ = c.Transport.SignalProcess(syscall.SIGKILL) // an error means it has exited already
	}
}

// waiting reports whether d is still to be fired (not cancelled, not
// failed early).
func (c *child) waiting() bool { return c.d != nil && !c.d.Called() }

func spawn(fn string, r protocol.ReactorProcess, p protocol.ProcessProtocol, c *child, executable string, args []string, opts Options) *reactor.Deferred {
	if r == nil {
		panic("processutil: " + fn + ": nil protocol.ReactorProcess (pass the reactor)")
	}
	c.executable = executable
	c.stdin = opts.Stdin
	c.d = reactor.NewDeferred(c.kill)
	argv := append([]string{executable}, args...)
	spawnOpts := protocol.SpawnOptions{Env: slices.Clone(opts.Env), InheritEnv: opts.InheritEnv, Dir: opts.Dir}
	if _, err := r.SpawnProcess(p, executable, argv, spawnOpts); err != nil {
		return reactor.Fail(err)
	}
	return c.d
}

// exitOf returns the exit status and signal an exit reason carries.
func exitOf(reason *reactor.Failure) (code int, sig syscall.Signal, terminated *protocol.ProcessTerminated) {
	if pt, ok := errors.AsType[*protocol.ProcessTerminated](reason); ok {
		return pt.ExitCode, pt.Signal, pt
	}
	if pd, ok := errors.AsType[*protocol.ProcessDone](reason); ok {
		return pd.ExitCode, 0, nil
	}
	return -1, 0, nil
}
