package protocol

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"

	"github.com/braid-go/braid/reactor"
)

// ProcessProtocol ports Twisted's IProcessProtocol (with the dispatch
// methods of twisted.internet.protocol.ProcessProtocol): the callbacks a
// ProcessTransport drives for one child process. Every call arrives on the
// reactor goroutine, in the order TWISTED_SEMANTICS.md §4.2 gives:
// MakeConnection (and through it ConnectionMade) inside SpawnProcess; then
// ChildDataReceived and ChildConnectionLost for each pipe; ProcessExited when
// the child is reaped; ProcessEnded once, last, when the child is reaped and
// every pipe is closed.
//
// Embed BaseProcessProtocol and override only what you need; its
// ChildDataReceived and ChildConnectionLost reach your OutReceived,
// ErrConnectionLost, ... overrides, as subclassing does in Twisted.
type ProcessProtocol interface {
	// MakeConnection ports makeConnection: it records the transport and
	// calls ConnectionMade.
	MakeConnection(t *ProcessTransport)
	// ConnectionMade ports connectionMade: the child is running and the
	// transport usable (Write may be called from here).
	ConnectionMade()
	// ChildDataReceived ports childDataReceived: data read from the pipe the
	// child writes as childFD. data is the receiver's to keep.
	ChildDataReceived(childFD int, data []byte)
	// OutReceived ports outReceived: data from the child's stdout.
	OutReceived(data []byte)
	// ErrReceived ports errReceived: data from the child's stderr.
	ErrReceived(data []byte)
	// ChildConnectionLost ports childConnectionLost: the pipe for childFD
	// is closed.
	ChildConnectionLost(childFD int)
	// InConnectionLost ports inConnectionLost: the child's stdin is closed.
	InConnectionLost()
	// OutConnectionLost ports outConnectionLost: the child's stdout is closed.
	OutConnectionLost()
	// ErrConnectionLost ports errConnectionLost: the child's stderr is closed.
	ErrConnectionLost()
	// ProcessExited ports processExited: the child was reaped. reason wraps
	// reactor.ProcessDone or reactor.ProcessTerminated.
	ProcessExited(reason *reactor.Failure)
	// ProcessEnded ports processEnded: the child was reaped and every pipe
	// is closed. It is the last call, made once; reason is equal to
	// ProcessExited's (a separate Failure).
	ProcessEnded(reason *reactor.Failure)
}

// BaseProcessProtocol ports twisted.internet.protocol.ProcessProtocol: an
// embeddable ProcessProtocol whose methods do nothing except Twisted's
// default dispatch (ChildDataReceived to OutReceived for fd 1 and
// ErrReceived for fd 2; ChildConnectionLost to InConnectionLost,
// OutConnectionLost and ErrConnectionLost for fds 0, 1 and 2; other fds go
// nowhere). SpawnProcess binds the base to the value that embeds it, so the
// dispatch reaches the embedding type's overrides:
//
//	type collector struct {
//		protocol.BaseProcessProtocol
//		out []byte
//	}
//	func (c *collector) OutReceived(b []byte) { c.out = append(c.out, b...) }
//
// The zero value is ready to use.
type BaseProcessProtocol struct {
	// Transport is set by MakeConnection (Twisted's self.transport).
	Transport *ProcessTransport
	// Connected is set by MakeConnection (Twisted's self.connected).
	Connected bool

	outerProc ProcessProtocol
}

// bindProcessProtocol makes the base dispatch to outer. It is promoted to
// every type that embeds BaseProcessProtocol, which is how SpawnProcess
// finds it.
func (b *BaseProcessProtocol) bindProcessProtocol(outer ProcessProtocol) { b.outerProc = outer }

func (b *BaseProcessProtocol) outer() ProcessProtocol {
	if b.outerProc != nil {
		return b.outerProc
	}
	return b
}

// MakeConnection ports makeConnection: it sets Transport and Connected, then
// calls ConnectionMade (the embedding type's, once bound).
func (b *BaseProcessProtocol) MakeConnection(t *ProcessTransport) {
	b.Transport = t
	b.Connected = true
	b.outer().ConnectionMade()
}

// ConnectionMade does nothing.
func (b *BaseProcessProtocol) ConnectionMade() {}

// ChildDataReceived dispatches fd 1 to OutReceived and fd 2 to ErrReceived
// (P-07); data on other fds is dropped.
func (b *BaseProcessProtocol) ChildDataReceived(childFD int, data []byte) {
	switch childFD {
	case 1:
		b.outer().OutReceived(data)
	case 2:
		b.outer().ErrReceived(data)
	}
}

// OutReceived does nothing.
func (b *BaseProcessProtocol) OutReceived(data []byte) {}

// ErrReceived does nothing.
func (b *BaseProcessProtocol) ErrReceived(data []byte) {}

// ChildConnectionLost dispatches fds 0, 1 and 2 to InConnectionLost,
// OutConnectionLost and ErrConnectionLost (P-07).
func (b *BaseProcessProtocol) ChildConnectionLost(childFD int) {
	switch childFD {
	case 0:
		b.outer().InConnectionLost()
	case 1:
		b.outer().OutConnectionLost()
	case 2:
		b.outer().ErrConnectionLost()
	}
}

// InConnectionLost does nothing.
func (b *BaseProcessProtocol) InConnectionLost() {}

// OutConnectionLost does nothing.
func (b *BaseProcessProtocol) OutConnectionLost() {}

// ErrConnectionLost does nothing.
func (b *BaseProcessProtocol) ErrConnectionLost() {}

// ProcessExited does nothing.
func (b *BaseProcessProtocol) ProcessExited(reason *reactor.Failure) {}

// ProcessEnded does nothing.
func (b *BaseProcessProtocol) ProcessEnded(reason *reactor.Failure) {}

// ChildFD says what SpawnProcess connects to one of the child's file
// descriptors: one value of Twisted's childFDs mapping. Use ChildFDRead
// ('r'), ChildFDWrite ('w') or ChildFDInherit(fd); the zero ChildFD is
// invalid.
type ChildFD struct {
	kind     byte // 'r', 'w' or 'i'
	parentFD int
}

var (
	// ChildFDRead is Twisted's 'r': a pipe the child writes and the parent
	// reads; what arrives goes to ChildDataReceived.
	ChildFDRead = ChildFD{kind: 'r'}
	// ChildFDWrite is Twisted's 'w': a pipe the parent writes (Write for
	// fd 0, WriteToChild for any fd) and the child reads.
	ChildFDWrite = ChildFD{kind: 'w'}
)

// ChildFDInherit is Twisted's integer form: the child gets a duplicate of
// the parent's descriptor parentFD, and the parent neither reads nor writes
// it. The parent keeps its own copy open.
func ChildFDInherit(parentFD int) ChildFD { return ChildFD{kind: 'i', parentFD: parentFD} }

// String returns Twisted's notation: 'r', 'w' or the parent's fd number.
func (c ChildFD) String() string {
	switch c.kind {
	case 'r', 'w':
		return "'" + string(c.kind) + "'"
	case 'i':
		return strconv.Itoa(c.parentFD)
	}
	return "invalid ChildFD"
}

// SpawnOptions configures SpawnProcess; it carries the keyword arguments of
// Twisted's spawnProcess plus what Twisted lacks. The zero value is
// Twisted's default: an EMPTY environment, the parent's working directory,
// stdin/stdout/stderr piped, no process group, children left running at
// reactor shutdown.
type SpawnOptions struct {
	// Env is the child's environment as "KEY=value" strings. Unlike
	// os/exec, a nil Env means an EMPTY environment, as Twisted's default
	// env={} (P-02): the child gets no PATH, HOME or USER. See InheritEnv.
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
	Credential *syscall.Credential
	// NewProcessGroup starts the child in a process group of its own, led
	// by the child, so that SignalProcessGroup and KillAndReap reach the
	// processes it starts (a shell's children, a server's workers). Beyond
	// Twisted.
	NewProcessGroup bool
	// SignalGroup makes SignalProcess signal the whole process group
	// instead of the child alone; it implies NewProcessGroup. Beyond Twisted.
	SignalGroup bool
	// KillOnShutdown kills (SIGKILL, the group if there is one) and reaps
	// the child in a 'before shutdown' trigger of the reactor, without
	// further protocol callbacks: DESIGN.md's KillChildrenOnShutdown. By
	// default, as in Twisted, shutdown closes the pipes and leaves
	// the child running.
	KillOnShutdown bool
}

// SpawnError is the error SpawnProcess returns when the child could not be
// started: bad arguments, no such executable, an executable that cannot be
// run, a working directory that does not exist, or a failing pipe or fork.
// Twisted reports exec failures as a child exiting with status 1 (P-05);
// braid returns them instead, and ConnectionMade is never called (DESIGN.md
// §8). Err is the OS error, so errors.Is(err, fs.ErrNotExist) and
// errors.Is(err, fs.ErrPermission) work.
type SpawnError struct {
	// Executable is the executable as passed to SpawnProcess.
	Executable string
	// Op is the step that failed: "argv", "env", "childFDs", "lookup",
	// "pipe", "chdir", "exec" or "register".
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

var (
	// ErrUnknownChildFD is returned by WriteToChild for a child fd that has no
	// open pipe the parent writes (Twisted raises KeyError).
	ErrUnknownChildFD = errors.New("no pipe the parent writes for this child fd")
	// ErrNoProcessGroup is returned by SignalProcessGroup for a child that
	// was not started with NewProcessGroup.
	ErrNoProcessGroup = errors.New("process was not started in a process group of its own")
)

// procSignalNames are the only names Twisted's signalProcess translates
// (P-14).
var procSignalNames = map[string]syscall.Signal{
	"HUP":  syscall.SIGHUP,
	"STOP": syscall.SIGSTOP,
	"INT":  syscall.SIGINT,
	"KILL": syscall.SIGKILL,
	"TERM": syscall.SIGTERM,
}

// procParseSignal accepts what SignalProcess accepts: a syscall.Signal, an
// int, or one of Twisted's five names.
func procParseSignal(sig any) (syscall.Signal, error) {
	switch s := sig.(type) {
	case syscall.Signal:
		return s, nil
	case int:
		return syscall.Signal(s), nil
	case string:
		if n, ok := procSignalNames[s]; ok {
			return n, nil
		}
		return 0, fmt.Errorf("protocol: signal %q: %w (Twisted knows HUP, STOP, INT, KILL and TERM)", s, reactor.ErrUnknownSignal)
	}
	return 0, fmt.Errorf("protocol: signal %v of type %T: %w", sig, sig, reactor.ErrUnknownSignal)
}
