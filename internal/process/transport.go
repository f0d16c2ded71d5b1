//go:build unix

package process

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Process ports Twisted's process transport (twisted.internet.process.Process,
// protocol.ProcessTransport): the parent's handle on one child started by
// Spawn. It owns the parent ends of the child's pipes and an exit watcher
// (a pidfd on Linux 5.4 and later; see exitWatcherKind for the others);
// all of them are descriptors the reactor watches, so the child's output,
// the closing of its pipes and its exit all arrive as reactor events.
// There is no SIGCHLD handler: the child is reaped through its watcher,
// and signalled only while it is unreaped, so a recycled pid is not hit.
//
// Methods are called on the reactor goroutine (or while the reactor is not
// running), as every transport's.
type Process struct {
	r          *reactor.Reactor
	proto      protocol.ProcessProtocol // nil once ProcessEnded is delivered or after KillAndReap
	executable string
	args       []string

	pid     int // 0 once reaped (Twisted's pid = None)
	origPid int // the pid the child had, for messages
	status  int // the raw wait status, -1 until reaped (Twisted's status)
	pgid    int // the child's own process group, 0 if it has none

	signalGroup bool
	exit        procExitFD
	orphan      *orphan     // the orphanage's hold on the child once the reactor dropped the watcher
	pipes       []*procPipe // open parent ends, ordered by child fd

	reaped        bool // status is known (Twisted's lostProcess)
	statusUnknown bool // reaped by someone else (W-01): no status to report
	reaping       bool // status collected, pipes being drained before ProcessExited
	killed        bool // KillAndReap ran: no more protocol callbacks
	done          bool // ProcessEnded delivered or KillAndReap finished: not Live

	shutdownTrigger *reactor.TriggerID
}

// Pid returns the child's process id, or 0 once it has been reaped (Twisted's
// transport.pid, None after the reap; P-12).
func (p *Process) Pid() int { return p.pid }

// Status returns the raw wait status once the child is reaped, -1 before
// (Twisted's transport.status).
func (p *Process) Status() int { return p.status }

// Executable returns the executable as passed to SpawnProcess.
func (p *Process) Executable() string { return p.executable }

// Args returns a copy of the child's argv, argv[0] included.
func (p *Process) Args() []string { return append([]string(nil), p.args...) }

// String names the process the way Twisted's repr does, plus its argv:
// <Process pid=1234 status=-1 args=["sh" "-c" "exit 3"]>; pid=None once reaped.
func (p *Process) String() string {
	pid := "None"
	if p.pid != 0 {
		pid = strconv.Itoa(p.pid)
	}
	return fmt.Sprintf("<Process pid=%s status=%d args=%s>", pid, p.status, procQuoteArgs(p.args))
}

func procQuoteArgs(args []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Quote(a))
	}
	b.WriteByte(']')
	return b.String()
}

func (p *Process) argv0() string {
	if len(p.args) > 0 {
		return p.args[0]
	}
	return p.executable
}

func (p *Process) pipeFor(childFD int) *procPipe {
	for _, pp := range p.pipes {
		if pp.childFD == childFD {
			return pp
		}
	}
	return nil
}

// Write ports write (P-16): data goes to the child's stdin (fd 0). It is
// copied, queued without bound and written as the pipe accepts it. Once
// stdin is closed, or when the child has no stdin pipe, data is dropped
// silently, as in Twisted.
func (p *Process) Write(data []byte) {
	if pp := p.pipeFor(0); pp != nil && pp.writes {
		pp.write(data)
	}
}

// WriteSequence ports writeSequence: Write of each slice in turn.
func (p *Process) WriteSequence(seq [][]byte) {
	for _, b := range seq {
		p.Write(b)
	}
}

// WriteToChild ports writeToChild (P-16): data goes to the pipe the parent
// writes for childFD (ChildFDWrite). A child fd without such an open pipe
// gives an error wrapping ErrUnknownChildFD (Twisted raises KeyError).
func (p *Process) WriteToChild(childFD int, data []byte) error {
	pp := p.pipeFor(childFD)
	if pp == nil || !pp.writes {
		return fmt.Errorf("protocol: write to child fd %d of pid %d: %w", childFD, p.origPid, protocol.ErrUnknownChildFD)
	}
	pp.write(data)
	return nil
}

// RegisterProducer ports registerProducer (protocol.Consumer): p writes to
// the child's stdin. A streaming producer (a protocol.PushProducer) is
// paused while more than 64 KiB is queued and resumed once the queue has
// drained; a pull producer's ResumeProducing is called each time it has.
// A child without a stdin pipe gives an error wrapping ErrUnknownChildFD.
// While a producer is registered, closing stdin waits until it is
// unregistered, as in Twisted; when the pipe closes the producer is told
// StopProducing.
func (p *Process) RegisterProducer(producer protocol.Producer, streaming bool) error {
	pp := p.pipeFor(0)
	if pp == nil || !pp.writes {
		return fmt.Errorf("protocol: register a producer for the stdin of pid %d: %w", p.origPid, protocol.ErrUnknownChildFD)
	}
	return pp.registerProducer(producer, streaming)
}

// UnregisterProducer ports unregisterProducer.
func (p *Process) UnregisterProducer() {
	if pp := p.pipeFor(0); pp != nil && pp.writes {
		pp.unregisterProducer()
	}
}

var _ protocol.Consumer = (*Process)(nil)

// CloseChildFD ports closeChildFD (P-17): a pipe the parent writes is
// closed once its queued data is flushed, on a later reactor pass; a pipe
// the parent reads stops being read at once and is reported closed from a
// CallLater(0), unread data discarded. ChildConnectionLost follows either
// way. A child fd without an open pipe is ignored.
func (p *Process) CloseChildFD(childFD int) {
	if pp := p.pipeFor(childFD); pp != nil {
		pp.loseConnection()
	}
}

// CloseStdin ports closeStdin: CloseChildFD(0). Data written after it but
// before the pipe is actually closed is still delivered (P-17).
func (p *Process) CloseStdin() { p.CloseChildFD(0) }

// CloseStdout ports closeStdout: CloseChildFD(1). The child gets SIGPIPE or
// EPIPE when it writes to stdout afterwards.
func (p *Process) CloseStdout() { p.CloseChildFD(1) }

// CloseStderr ports closeStderr: CloseChildFD(2).
func (p *Process) CloseStderr() { p.CloseChildFD(2) }

// LoseConnection ports loseConnection (P-18): CloseStdin, CloseStderr and
// CloseStdout. It sends no signal; ProcessEnded still waits for the child
// to exit.
func (p *Process) LoseConnection() {
	p.CloseStdin()
	p.CloseStderr()
	p.CloseStdout()
}

// PauseProducing ports pauseProducing (P-20): stop reading every pipe the
// child writes, so that a slow consumer pushes back on the child.
func (p *Process) PauseProducing() {
	for _, pp := range p.pipes {
		if !pp.writes {
			pp.pause()
		}
	}
}

// ResumeProducing ports resumeProducing: read the pipes again.
func (p *Process) ResumeProducing() {
	for _, pp := range p.pipes {
		if !pp.writes {
			pp.resume()
		}
	}
}

// SignalProcess ports signalProcess (P-14, P-15). Signal 0 probes. Once
// the child has been reaped the error wraps protocol.ErrProcessExitedAlready
// whatever sig is, checked first as Twisted does; a child that has exited
// but is not reaped yet accepts the signal silently, as in Twisted.
//
// The signal is sent only while the child is unreaped: through its pidfd
// (pidfd_send_signal) on Linux 5.4 and later, with kill(2) by the goroutine
// that alone reaps elsewhere, so a recycled pid is not hit (W-01). With
// SpawnOptions.SignalGroup it goes to the whole process group.
func (p *Process) SignalProcess(sig syscall.Signal) error {
	if p.gone() {
		return p.exitedAlready(sig) // first, whatever sig is (P-14)
	}
	if p.signalGroup {
		return p.SignalProcessGroup(sig)
	}
	if err := p.sendSignal(sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return p.exitedAlready(sig)
		}
		return fmt.Errorf("protocol: signal %v to pid %d: %w", sig, p.origPid, err)
	}
	return nil
}

// SignalProcessGroup sends sig to every process in the child's process
// group (protocol.GroupSignaler): the child and whatever it started that
// stayed in the group, also after the child itself was reaped. It needs
// SpawnOptions.NewProcessGroup (ErrNoProcessGroup otherwise) and gives
// protocol.ErrProcessExitedAlready once no member of the group is left.
// Beyond Twisted (W-03).
func (p *Process) SignalProcessGroup(sig syscall.Signal) error {
	if p.pgid == 0 {
		return fmt.Errorf("protocol: signal group of pid %d: %w", p.origPid, protocol.ErrNoProcessGroup)
	}
	// The group outlives its leader: a server a wrapper started may run on
	// after the wrapper was reaped, and must still be reachable. The kernel
	// keeps the group's id from being reused while any member lives, so
	// the signal reaches only this group; once none lives it finds nobody
	// (ESRCH: ErrProcessExitedAlready) — unless, much later, pid numbers
	// have wrapped around to a new group of the same id, which no pidfd
	// can guard against for a group. After the reap, "nobody left" is
	// checked first, so that any sig then gives ErrProcessExitedAlready.
	if p.gone() {
		if err := syscall.Kill(-p.pgid, 0); errors.Is(err, syscall.ESRCH) {
			return p.exitedAlready(sig)
		}
	}
	if err := syscall.Kill(-p.pgid, sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return p.exitedAlready(sig)
		}
		return fmt.Errorf("protocol: signal %v to process group %d: %w", sig, p.pgid, err)
	}
	return nil
}

// gone reports whether the child has been reaped (or is being reaped), so
// that its pid must no longer be used.
func (p *Process) gone() bool { return p.reaped || p.reaping || p.pid == 0 }

func (p *Process) exitedAlready(s syscall.Signal) error {
	return fmt.Errorf("protocol: signal %v to pid %d: %w", s, p.origPid, protocol.ErrProcessExitedAlready)
}

// KillAndReap disposes of the child for good: it sends SIGKILL (to the
// whole process group when the child leads one, which also reaches
// grandchildren that outlived it), closes and unregisters every parent
// pipe end and waits (at most killReapTimeout) for the child to be reaped.
// No protocol callback follows. It is what trial's cleanup and
// SpawnOptions.KillOnShutdown use; it returns nil for a process that has
// already ended, and an error naming the pid if the child could not be
// reaped in time.
func (p *Process) KillAndReap() error {
	if p.done {
		return nil
	}
	p.killed = true
	p.proto = nil
	if p.pgid != 0 {
		// The leader is unreaped or was reaped moments ago, and the group
		// may still hold survivors: the group id cannot be a stranger's.
		_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
	}
	if !p.gone() {
		_ = p.sendSignal(syscall.SIGKILL)
	}
	for len(p.pipes) > 0 {
		pp := p.pipes[len(p.pipes)-1]
		pp.closeFD()
		p.pipes = p.pipes[:len(p.pipes)-1]
	}
	switch {
	case p.orphan != nil:
		if !p.orphan.wait(killReapTimeout) {
			return fmt.Errorf("protocol: pid %d (%s) not reaped %v after SIGKILL", p.origPid, p.argv0(), killReapTimeout)
		}
		p.reaped, p.pid = true, 0
	case !p.reaped && !p.reaping:
		if err := p.waitReaped(killReapTimeout); err != nil {
			return err
		}
	}
	p.exit.release()
	p.finish()
	return nil
}

// killReapTimeout bounds KillAndReap's wait for a SIGKILLed child.
const killReapTimeout = 5 * time.Second

// finish marks the process ended (Live no longer lists it) and drops its
// shutdown trigger.
func (p *Process) finish() {
	if p.done {
		return
	}
	p.done = true
	if p.shutdownTrigger != nil {
		_ = p.r.RemoveSystemEventTrigger(*p.shutdownTrigger)
		p.shutdownTrigger = nil
	}
}
