//go:build unix

package process

import (
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// waitNoHang collects the child's exit status if it has exited, through
// its exit watcher, which it releases once the child is reaped (or found
// reaped by someone else). Without a watcher — the orphanage holds it, or
// it was released — the child is not the reactor's to reap: ECHILD.
func (p *Process) waitNoHang() (syscall.WaitStatus, bool, error) {
	w := p.exit.w
	if w == nil {
		return 0, false, unix.ECHILD
	}
	st, ok, err := w.reap()
	if ok || err != nil {
		p.exit.release()
	}
	return st, ok, err
}

// tryReap reaps the child if it has exited (Twisted's reapProcess).
func (p *Process) tryReap() {
	if p.reaped || p.reaping || p.done || p.orphan != nil {
		return // an orphan is the orphanage's to reap
	}
	st, ok, err := p.waitNoHang()
	if err != nil {
		// ECHILD: something else reaped our child (W-01). Twisted would wait
		// forever; report the end with an unknown status instead.
		p.r.LogError(reactor.NewFailure(fmt.Errorf("protocol: reap pid %d: %w", p.origPid, err)), "reapProcess")
		p.statusUnknown = true
		p.childReaped(0)
		return
	}
	if ok {
		p.childReaped(st)
	}
}

// childReaped ports BaseProcess.processEnded(status): the status is
// recorded, pid cleared, ProcessExited called, then ProcessEnded if every
// pipe is closed. Before that, pipes whose other end is already closed are
// drained, so their data and losses precede ProcessExited (see
// procPipe.drain).
func (p *Process) childReaped(st syscall.WaitStatus) {
	p.exit.release()
	p.reaping = true
	p.procDrainHungUp()
	p.reaping = false
	p.reaped = true
	p.pid = 0
	p.status = int(st)
	if p.statusUnknown {
		p.status = -1
	}
	if p.killed {
		return
	}
	if proto := p.proto; proto != nil {
		reason := p.reason()
		procCall(p.r, "unexpected error in processExited", func() { proto.ProcessExited(reason) })
	}
	p.maybeCallProcessEnded()
}

// reason returns a fresh Failure for the exit status (P-12).
func (p *Process) reason() *reactor.Failure {
	if p.statusUnknown {
		return reactor.NewFailure(&protocol.ProcessTerminated{ExitCode: -1, Status: -1, Pid: p.origPid})
	}
	return reactor.NewFailure(exitReason(syscall.WaitStatus(p.status), p.origPid))
}

// exitReason converts a raw wait status into the reason Twisted reports:
// *ProcessDone for exit 0, *ProcessTerminated otherwise.
func exitReason(status syscall.WaitStatus, pid int) error {
	switch {
	case status.Exited() && status.ExitStatus() == 0:
		return &protocol.ProcessDone{Status: int(status), Pid: pid}
	case status.Signaled():
		return &protocol.ProcessTerminated{ExitCode: -1, Signal: status.Signal(), Status: int(status), Pid: pid}
	default:
		return &protocol.ProcessTerminated{ExitCode: status.ExitStatus(), Status: int(status), Pid: pid}
	}
}

// childConnectionLost ports Process.childConnectionLost: the pipe is
// forgotten, the protocol told, and ProcessEnded considered.
func (p *Process) childConnectionLost(pp *procPipe) {
	for i, q := range p.pipes {
		if q == pp {
			p.pipes = append(p.pipes[:i], p.pipes[i+1:]...)
			break
		}
	}
	if proto := p.proto; proto != nil && !p.killed {
		procCall(p.r, "childConnectionLost", func() { proto.ChildConnectionLost(pp.childFD) })
	}
	p.maybeCallProcessEnded()
}

// maybeCallProcessEnded ports Process.maybeCallProcessEnded (P-08, P-11):
// ProcessEnded waits until every pipe is closed and the child is reaped;
// closing the last pipe tries a reap at once.
func (p *Process) maybeCallProcessEnded() {
	if len(p.pipes) > 0 || p.reaping || p.done || p.killed {
		return
	}
	if !p.reaped {
		p.tryReap()
		return
	}
	proto := p.proto
	p.proto = nil
	p.finish()
	if proto != nil {
		reason := p.reason()
		procCall(p.r, "unexpected error in processEnded", func() { proto.ProcessEnded(reason) })
	}
}

// sendSignal signals the child alone, through its exit watcher while the
// reactor holds it, or through the orphanage once the reactor dropped it
// (ESRCH once the child is reaped). Either way only before the reap, so
// that a pid recycled after it is never hit.
func (p *Process) sendSignal(s syscall.Signal) error {
	if w := p.exit.w; w != nil {
		return w.signal(s)
	}
	if p.orphan != nil {
		return p.orphan.signal(s)
	}
	return syscall.ESRCH
}

// waitReaped waits at most timeout for the (SIGKILLed) child to exit and
// reaps it without callbacks.
func (p *Process) waitReaped(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, ok, err := p.waitNoHang()
		if err != nil {
			// ECHILD: reaped elsewhere; nothing is left to wait for.
			p.reaped, p.pid, p.status, p.statusUnknown = true, 0, -1, true
			return nil
		}
		if ok {
			p.reaped, p.pid, p.status = true, 0, int(st)
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("protocol: pid %d (%s) not reaped %v after SIGKILL", p.origPid, p.argv0(), timeout)
		}
		awaitExit(p.exit.w, min(left, 100*time.Millisecond))
	}
}

// procCall runs one protocol method, logging a panic through the reactor
// (Twisted logs every exception a protocol raises) and returning it as a
// Failure.
func procCall(r *reactor.Reactor, why string, f func()) (failed *reactor.Failure) {
	defer func() {
		if v := recover(); v != nil {
			failed = reactor.FailureFromPanic(v)
			r.LogError(failed, why)
		}
	}()
	f()
	return nil
}
