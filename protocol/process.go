package protocol

import (
	"fmt"
	"strconv"
	"syscall"

	"github.com/braid-go/braid/reactor"
)

// ReactorProcess ports IReactorProcess: starting child processes.
// braid.Reactor implements it with fork/exec, pipes and an exit watcher
// (a pidfd on Linux 5.4 and later); a fake
// implements it by recording the calls.
type ReactorProcess interface {
	// SpawnProcess ports spawnProcess (P-01..P-06): start executable with
	// argv args (args[0] included, and free-form, as in Twisted), connect
	// the child's descriptors as opts.ChildFDs says, and drive proto.
	// Before it returns, the child is running and proto.MakeConnection has
	// been called. See braid.Reactor.SpawnProcess for what the real
	// reactor does beyond this contract.
	SpawnProcess(proto ProcessProtocol, executable string, args []string, opts SpawnOptions) (ProcessTransport, error)
}

// ProcessProtocol ports Twisted's IProcessProtocol: the callbacks a process
// transport makes for one child process. Every call arrives on the reactor
// goroutine, in the order docs/SEMANTICS.md §4.2 gives: MakeConnection
// inside SpawnProcess; then ChildDataReceived and ChildConnectionLost for
// each pipe; ProcessExited when the child is reaped; ProcessEnded once,
// last, when the child is reaped and every pipe is closed.
//
// Embed [BaseProcessProtocol] and add only the methods you need: its
// dispatch finds Twisted's per-descriptor conveniences on your type.
type ProcessProtocol interface {
	// MakeConnection ports makeConnection: it records the transport; the
	// base then calls ConnectionMade (the transport is usable there).
	MakeConnection(t ProcessTransport)
	// ChildDataReceived ports childDataReceived: data read from the pipe the
	// child writes as childFD. data is the receiver's to keep.
	ChildDataReceived(childFD int, data []byte)
	// ChildConnectionLost ports childConnectionLost: the pipe for childFD
	// is closed.
	ChildConnectionLost(childFD int)
	// ProcessExited ports processExited: the child was reaped. reason wraps
	// a *ProcessDone or a *ProcessTerminated.
	ProcessExited(reason *reactor.Failure)
	// ProcessEnded ports processEnded: the child was reaped and every pipe
	// is closed. It is the last call, made once; reason is equal to
	// ProcessExited's (a separate Failure).
	ProcessEnded(reason *reactor.Failure)
}

// BaseProcessProtocol ports twisted.internet.protocol.ProcessProtocol: an
// embeddable [ProcessProtocol] whose ProcessExited and ProcessEnded do
// nothing and whose other methods do Twisted's default dispatch to these
// optional methods of the type embedding it, each called only if that type
// has it:
//
//	ConnectionMade()          after MakeConnection has set Transport
//	OutReceived(data []byte)  ChildDataReceived for fd 1
//	ErrReceived(data []byte)  ChildDataReceived for fd 2
//	InConnectionLost()        ChildConnectionLost for fd 0
//	OutConnectionLost()       ChildConnectionLost for fd 1
//	ErrConnectionLost()       ChildConnectionLost for fd 2
//
// Data and closes on other fds go nowhere unless you override
// ChildDataReceived or ChildConnectionLost. For example:
//
//	type collector struct {
//		protocol.BaseProcessProtocol
//		out []byte
//	}
//	func (c *collector) OutReceived(b []byte) { c.out = append(c.out, b...) }
//
// The base reaches your methods once bound to your value (see [Binder]):
// SpawnProcess and the test doubles bind it; a protocol driven by hand
// needs [Bind] first, and a base never bound panics, naming that fix,
// rather than skip your methods. The zero value is ready to use.
type BaseProcessProtocol struct {
	// Transport is set by MakeConnection (Twisted's self.transport).
	Transport ProcessTransport
	// Connected is set by MakeConnection (Twisted's self.connected).
	Connected bool

	outer ProcessProtocol
}

// Bind records the value embedding the base (see [Binder]). A value that
// is not a [ProcessProtocol] is ignored.
func (b *BaseProcessProtocol) Bind(outer any) {
	if p, ok := outer.(ProcessProtocol); ok {
		b.outer = p
	}
}

// Outer returns the value the base is bound to — the protocol embedding it —
// or nil before Bind. A base built on this one calls its embedding type's
// methods through it.
func (b *BaseProcessProtocol) Outer() ProcessProtocol { return b.outer }

func (b *BaseProcessProtocol) bound(method string) ProcessProtocol {
	if b.outer == nil {
		unboundPanic("BaseProcessProtocol", method)
	}
	return b.outer
}

// MakeConnection ports makeConnection: it sets Transport and Connected, then
// calls ConnectionMade if the embedding type has one.
func (b *BaseProcessProtocol) MakeConnection(t ProcessTransport) {
	outer := b.bound("MakeConnection")
	b.Transport = t
	b.Connected = true
	if m, ok := outer.(interface{ ConnectionMade() }); ok {
		m.ConnectionMade()
	}
}

// ChildDataReceived dispatches fd 1 to OutReceived and fd 2 to ErrReceived
// (P-07), when the embedding type has them; data on other fds is dropped.
func (b *BaseProcessProtocol) ChildDataReceived(childFD int, data []byte) {
	outer := b.bound("ChildDataReceived")
	switch childFD {
	case 1:
		if m, ok := outer.(interface{ OutReceived([]byte) }); ok {
			m.OutReceived(data)
		}
	case 2:
		if m, ok := outer.(interface{ ErrReceived([]byte) }); ok {
			m.ErrReceived(data)
		}
	}
}

// ChildConnectionLost dispatches fds 0, 1 and 2 to InConnectionLost,
// OutConnectionLost and ErrConnectionLost (P-07), when the embedding type
// has them.
func (b *BaseProcessProtocol) ChildConnectionLost(childFD int) {
	outer := b.bound("ChildConnectionLost")
	var m func()
	switch childFD {
	case 0:
		if o, ok := outer.(interface{ InConnectionLost() }); ok {
			m = o.InConnectionLost
		}
	case 1:
		if o, ok := outer.(interface{ OutConnectionLost() }); ok {
			m = o.OutConnectionLost
		}
	case 2:
		if o, ok := outer.(interface{ ErrConnectionLost() }); ok {
			m = o.ErrConnectionLost
		}
	}
	if m != nil {
		m()
	}
}

// ProcessExited does nothing.
func (b *BaseProcessProtocol) ProcessExited(reason *reactor.Failure) {}

// ProcessEnded does nothing.
func (b *BaseProcessProtocol) ProcessEnded(reason *reactor.Failure) {}

// ProcessTransport ports IProcessTransport: the parent's handle on one
// child, what a [ProcessProtocol]'s MakeConnection gets. Methods are called
// on the reactor goroutine.
type ProcessTransport interface {
	// Pid returns the child's process id, or 0 once it has been reaped
	// (Twisted's transport.pid, None after the reap; P-12).
	Pid() int
	// Write ports write (P-16): data goes to the child's stdin (fd 0),
	// copied and queued; after CloseStdin, or without a stdin pipe, it is
	// dropped silently.
	Write(data []byte)
	// WriteSequence ports writeSequence: Write of each slice in turn.
	WriteSequence(seq [][]byte)
	// WriteToChild ports writeToChild (P-16): data goes to the pipe the
	// parent writes for childFD; an error wrapping ErrUnknownChildFD when
	// there is none.
	WriteToChild(childFD int, data []byte) error
	// CloseChildFD ports closeChildFD (P-17): a pipe the parent writes is
	// closed once its queue is flushed; a pipe the parent reads stops being
	// read. ChildConnectionLost follows either way.
	CloseChildFD(childFD int)
	// CloseStdin, CloseStdout and CloseStderr are CloseChildFD(0), (1), (2).
	CloseStdin()
	CloseStdout()
	CloseStderr()
	// LoseConnection ports loseConnection (P-18): close all three pipes. It
	// sends no signal.
	LoseConnection()
	// SignalProcess ports signalProcess (P-14, P-15): send sig to the
	// child. Once the child has been reaped it returns an error wrapping
	// ErrProcessExitedAlready, whatever sig is. Twisted's names go through
	// ParseSignal.
	SignalProcess(sig syscall.Signal) error
	// PauseProducing and ResumeProducing port pauseProducing and
	// resumeProducing (P-20): stop and restart reading the pipes the child
	// writes.
	PauseProducing()
	ResumeProducing()
}

// GroupSignaler is the optional part of a [ProcessTransport] that signals
// the child's whole process group: the child and whatever it started that
// stayed in its group — also once the child itself has been reaped, while
// any member lives. braid's transport has it; it needs
// SpawnOptions.NewProcessGroup ([ErrNoProcessGroup] otherwise) and gives
// [ErrProcessExitedAlready] once no member is left. Beyond Twisted (W-03).
type GroupSignaler interface {
	SignalProcessGroup(sig syscall.Signal) error
}

// ChildFD says what SpawnProcess connects to one of the child's file
// descriptors: one value of Twisted's childFDs mapping. [ChildFDRead] ('r')
// and [ChildFDWrite] ('w') make pipes; any value of 0 or more is Twisted's
// integer form, a descriptor of the parent's that the child inherits.
type ChildFD int

const (
	// ChildFDRead is Twisted's 'r': a pipe the child writes and the parent
	// reads; what arrives goes to ChildDataReceived.
	ChildFDRead ChildFD = -1
	// ChildFDWrite is Twisted's 'w': a pipe the parent writes (Write for
	// fd 0, WriteToChild for any fd) and the child reads.
	ChildFDWrite ChildFD = -2
)

// String returns Twisted's notation: 'r', 'w' or the parent's fd number.
func (c ChildFD) String() string {
	switch {
	case c == ChildFDRead:
		return "'r'"
	case c == ChildFDWrite:
		return "'w'"
	case c >= 0:
		return strconv.Itoa(int(c))
	}
	return "invalid ChildFD " + strconv.Itoa(int(c))
}

// SpawnOptions configures SpawnProcess; it carries the keyword arguments of
// Twisted's spawnProcess plus what Twisted lacks. The zero value is
// Twisted's default: an EMPTY environment, the parent's working directory,
// stdin/stdout/stderr piped, no process group, children left running at
// reactor shutdown. Like exec.Cmd's, each field says how it interacts with
// the others.
type SpawnOptions struct {
	// Env is the child's environment as "KEY=value" strings. Unlike
	// os/exec, a nil Env means an EMPTY environment, as Twisted's default
	// env={} (P-02): the child gets no PATH, HOME or USER. See InheritEnv.
	// An entry without "=", or with an empty KEY, makes SpawnProcess fail
	// with a *SpawnError; when a KEY appears twice the last value wins, as
	// in os/exec (a dict in Twisted cannot hold two).
	Env []string
	// InheritEnv gives the child the parent's environment (Twisted's
	// env=None), with the entries of Env added on top (a key in Env
	// replaces the parent's).
	InheritEnv bool
	// Dir is the child's working directory (Twisted's path); empty means the
	// parent's.
	Dir string
	// ChildFDs maps each child fd to what it is connected to (Twisted's
	// childFDs). nil means {0: ChildFDWrite, 1: ChildFDRead, 2: ChildFDRead};
	// a non-nil empty map gives the child no descriptors at all. Fds above 2
	// are allowed. The child gets no other descriptor of the parent's, except
	// one the program holds without close-on-exec (Go never opens such; one
	// inherited from the program's own parent would pass), which Twisted
	// would close too.
	ChildFDs map[int]ChildFD
	// Credential runs the child as another user and group (Twisted's uid
	// and gid); nil keeps the parent's.
	Credential *Credential
	// NewProcessGroup starts the child in a process group of its own, led
	// by the child, so that SignalProcessGroup (see GroupSignaler),
	// KillOnShutdown and trial's cleanup reach the processes it starts (a
	// shell's children, a server's workers). Beyond Twisted.
	NewProcessGroup bool
	// SignalGroup makes SignalProcess signal the whole process group
	// instead of the child alone; it implies NewProcessGroup. Beyond Twisted.
	SignalGroup bool
	// KillOnShutdown kills (SIGKILL, the group if there is one) and reaps
	// the child in a 'before shutdown' trigger of the reactor, without
	// further protocol callbacks. By default, as in Twisted, shutdown
	// closes the pipes and leaves the child running (braid still reaps it
	// when it exits, so it never stays a zombie).
	KillOnShutdown bool
}

// SpawnError is the error SpawnProcess returns when the child could not be
// started: bad arguments, no such executable, an executable that cannot be
// run, a working directory that does not exist, or a failing pipe or fork.
// Twisted reports exec failures as a child exiting with status 1 (P-05);
// braid returns them instead, and ConnectionMade is never called (see
// docs/DESIGN.md). Err is the OS error, so errors.Is(err, fs.ErrNotExist) and
// errors.Is(err, fs.ErrPermission) work.
type SpawnError struct {
	// Executable is the executable as passed to SpawnProcess.
	Executable string
	// Op is the step that failed: "argv", "env", "childFDs", "lookup",
	// "pipe", "chdir", "exec", "watch" (no descriptor for the exit
	// watcher) or "register"; "platform" where processes are not
	// supported (windows, errors.Is(err, errors.ErrUnsupported)).
	Op string
	// Path is what the step was about: the resolved executable, the working
	// directory, the PATH searched.
	Path string
	// Err is the underlying error.
	Err error
}

func (e *SpawnError) Error() string {
	msg := "protocol: spawn " + strconv.Quote(e.Executable) + ": " + e.Op
	if e.Path != "" {
		msg += " " + e.Path
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *SpawnError) Unwrap() error { return e.Err }

// procSignalNames are the only names Twisted's signalProcess translates
// (P-14).
var procSignalNames = map[string]syscall.Signal{
	"HUP":  syscall.SIGHUP,
	"STOP": sigStop,
	"INT":  syscall.SIGINT,
	"KILL": syscall.SIGKILL,
	"TERM": syscall.SIGTERM,
}

// ParseSignal translates the signal names Twisted's signalProcess accepts
// — exactly "HUP", "STOP", "INT", "KILL" and "TERM" (P-14) — for ported
// code that passes names:
//
//	sig, err := protocol.ParseSignal("TERM") // Twisted: transport.signalProcess("TERM")
//	if err == nil {
//		err = transport.SignalProcess(sig)
//	}
//
// Any other name gives an error wrapping [ErrUnknownSignal] (Twisted raises
// from os.kill).
func ParseSignal(name string) (syscall.Signal, error) {
	if s, ok := procSignalNames[name]; ok {
		return s, nil
	}
	return 0, fmt.Errorf("protocol: signal %q: %w (Twisted knows HUP, STOP, INT, KILL and TERM)", name, ErrUnknownSignal)
}
