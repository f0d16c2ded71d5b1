package process

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// procPidFD is the child's pidfd as a reactor.ReadDescriptor: it becomes
// readable when the child exits, which is how braid learns of the exit
// without a SIGCHLD handler (P-21, W-05).
type procPidFD struct {
	p  *Process
	fd int // -1 once closed
}

// Fileno returns the pidfd, -1 once closed.
func (d *procPidFD) Fileno() int { return d.fd }

// String names the process, for reports of leftover descriptors.
func (d *procPidFD) String() string {
	return fmt.Sprintf("<process pidfd pid=%d argv0=%q fd=%d>", d.p.origPid, d.p.argv0(), d.fd)
}

// DoRead reaps the child if it has exited.
func (d *procPidFD) DoRead() error {
	d.p.tryReap()
	return nil
}

// ConnectionLost is called when the reactor drops the pidfd (shutdown, or a
// RemoveAll). The child is not signalled. If it is still unreaped,
// the orphanage takes its pidfd and reaps it when it exits, so it is never
// left a zombie; signals to it still reach it, through the orphanage, until
// then. No protocol callback follows.
func (d *procPidFD) ConnectionLost(reason *reactor.Failure) {
	p := d.p
	if d.fd >= 0 && !p.gone() && !p.killed && !p.done {
		p.r.RemoveReader(d)
		if adopt(d.fd) {
			p.orphanFD = d.fd
			d.fd = -1
			return
		}
	}
	d.closeFD()
}

func (d *procPidFD) closeFD() {
	if d.fd < 0 {
		return
	}
	d.p.r.RemoveReader(d)
	_ = unix.Close(d.fd)
	d.fd = -1
}

// procSiginfo is the part of siginfo_t that waitid fills for a child: the
// layout of the kernel's struct for SIGCHLD (128 bytes in all).
type procSiginfo struct {
	signo  int32
	errno  int32
	code   int32
	_      int32
	pid    int32
	uid    uint32
	status int32
	_      [100]byte
}

// si_code values for an exited child (CLD_*).
const (
	procCLDExited = 1
	procCLDKilled = 2
	procCLDDumped = 3
)

// waitStatus rebuilds the raw wait status Twisted reports (P-12) from what
// waitid returned.
func (si *procSiginfo) waitStatus() syscall.WaitStatus {
	switch si.code {
	case procCLDExited:
		return syscall.WaitStatus((si.status & 0xff) << 8)
	case procCLDDumped:
		return syscall.WaitStatus(si.status&0x7f | 0x80)
	default: // procCLDKilled
		return syscall.WaitStatus(si.status & 0x7f)
	}
}

// waitNoHang collects the child's exit status if it has exited: through the
// pidfd while it is open, by pid after the reactor dropped the pidfd. An
// orphan is the orphanage's to reap: waitNoHang reports it gone.
func (p *Process) waitNoHang() (syscall.WaitStatus, bool, error) {
	if p.orphanFD >= 0 {
		return 0, false, unix.ECHILD
	}
	var si procSiginfo
	idType, id := unix.P_PIDFD, p.pidfd.fd
	if id < 0 {
		idType, id = unix.P_PID, p.origPid
	}
	var err error
	for {
		err = unix.Waitid(idType, id, (*unix.Siginfo)(unsafe.Pointer(&si)), unix.WEXITED|unix.WNOHANG, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, false, err
	}
	if si.pid == 0 {
		return 0, false, nil
	}
	return si.waitStatus(), true, nil
}

// tryReap reaps the child if it has exited (Twisted's reapProcess).
func (p *Process) tryReap() {
	if p.reaped || p.reaping || p.done {
		return
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
	p.pidfd.closeFD()
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

// sendSignal signals the child alone: through its pidfd, or the
// orphanage's copy of it once the reactor dropped it (ESRCH once the
// orphanage has reaped the child). Never by bare pid, which could have
// been recycled.
func (p *Process) sendSignal(s syscall.Signal) error {
	if p.pidfd.fd >= 0 {
		return unix.PidfdSendSignal(p.pidfd.fd, s, nil, 0)
	}
	if p.orphanFD >= 0 {
		return signalOrphan(p.orphanFD, s)
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
		if p.pidfd.fd >= 0 {
			fds := []unix.PollFd{{Fd: int32(p.pidfd.fd), Events: unix.POLLIN}}
			_, _ = unix.Poll(fds, int(min(left, 100*time.Millisecond)/time.Millisecond)+1)
		} else {
			time.Sleep(min(left, time.Millisecond))
		}
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
