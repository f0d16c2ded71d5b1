package reactor

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poller is the reactor's epoll set plus an eventfd that CallFromThread
// writes to wake a blocked wait. Timeouts go through epoll_pwait2, which
// takes nanoseconds, so sub-millisecond timers neither spin nor oversleep;
// kernels without it fall back to epoll_wait with the timeout rounded up to
// the next millisecond.
//
// The eventfd is watched edge-triggered: every write reports it once, so
// a wake-up is never read back — one syscall less per CallFromThread that
// finds the reactor asleep. Its counter grows by one per wake-up and could
// not reach its limit (2^64-2) in centuries.
type poller struct {
	epfd     int
	wakefd   int
	events   []unix.EpollEvent
	ready    []readyEvent
	noPwait2 bool
	// closed makes close idempotent: Reactor.release closes the poller and
	// the GC cleanup registered in New calls close again later, by which
	// time the descriptor numbers may belong to another reactor.
	closed atomic.Bool
}

const initialEvents = 128

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("reactor: epoll_create1: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("reactor: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(wakefd)
		unix.Close(epfd)
		return nil, fmt.Errorf("reactor: epoll_ctl(eventfd): %w", err)
	}
	return &poller{epfd: epfd, wakefd: wakefd, events: make([]unix.EpollEvent, initialEvents)}, nil
}

func (p *poller) close() {
	if !p.closed.CompareAndSwap(false, true) {
		return
	}
	unix.Close(p.wakefd)
	unix.Close(p.epfd)
}

// register adds, modifies or (with events == 0) removes fd. gen is stored in
// the event so a stale event for a descriptor that was removed and replaced
// within one turn can be recognised and skipped.
func (p *poller) register(fd int, events uint32, gen uint32, known bool) error {
	if events == 0 {
		err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EBADF) {
			return nil // closed already: the kernel dropped it from the set
		}
		return err
	}
	ev := unix.EpollEvent{Events: events, Fd: int32(fd), Pad: int32(gen)}
	if known {
		err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
		if !errors.Is(err, unix.ENOENT) {
			return err
		}
		// The fd was closed and its number reused: register it afresh.
	}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	if errors.Is(err, unix.EEXIST) {
		err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
	}
	return err
}

// wait blocks for at most timeout (forever when timeout < 0) and returns the
// ready descriptors. EINTR counts as a wake-up with nothing ready.
func (p *poller) wait(timeout time.Duration) ([]readyEvent, error) {
	n, err := p.epollWait(timeout)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return nil, nil
		}
		return nil, err
	}
	ready := p.ready[:0]
	for _, ev := range p.events[:n] {
		if int(ev.Fd) == p.wakefd {
			continue // edge-triggered: nothing to read back
		}
		ready = append(ready, readyEvent{fd: int(ev.Fd), gen: uint32(ev.Pad), events: ev.Events})
	}
	p.ready = ready
	if n == len(p.events) && n < 1<<16 {
		p.events = make([]unix.EpollEvent, 2*n) // a busy set: read more next time
	}
	return ready, nil
}

// tightTimers reports whether sub-millisecond waits are exact: they are
// with epoll_pwait2 (Linux 5.11), rounded up to a millisecond without it.
func (p *poller) tightTimers() bool { return !p.noPwait2 }

func (p *poller) epollWait(timeout time.Duration) (int, error) {
	if !p.noPwait2 {
		var tsp *unix.Timespec
		var ts unix.Timespec
		if timeout >= 0 {
			ts = unix.NsecToTimespec(int64(timeout))
			tsp = &ts
		}
		if timeout > 0 && timeout < time.Millisecond {
			// The kernel lets a timed sleep overrun by the thread's timer
			// slack (50 µs by default): half of a 100 µs timer. Ask this
			// thread for a tight slack before a sub-millisecond wait. The
			// setting stays with the OS thread, which the Go runtime may
			// reuse for other goroutines; their sleeps just get more exact.
			_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
		}
		// Direct calls, so that the pointers converted in the argument
		// lists stay alive for the call (unsafe.Pointer rule 4).
		var n uintptr
		var errno unix.Errno
		if timeout == 0 {
			// A poll that cannot block need not tell the scheduler it
			// may (entersyscall/exitsyscall): 0.27 µs, a tenth of a
			// reactor turn with nothing to do (bench/RESULTS.md).
			n, _, errno = unix.RawSyscall6(unix.SYS_EPOLL_PWAIT2, uintptr(p.epfd),
				uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)),
				uintptr(unsafe.Pointer(tsp)), 0, 0)
		} else {
			n, _, errno = unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(p.epfd),
				uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)),
				uintptr(unsafe.Pointer(tsp)), 0, 0)
		}
		if errno == 0 {
			return int(n), nil
		}
		if errno != unix.ENOSYS {
			return 0, errno
		}
		p.noPwait2 = true
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	return unix.EpollWait(p.epfd, p.events, ms)
}

// wake makes a blocked or upcoming wait return. Safe from any goroutine.
func (p *poller) wake() {
	one := [8]byte{1}
	_, _ = unix.Write(p.wakefd, one[:]) // never read back, but the counter cannot near its limit
}

// Event bits, named for the dispatch logic in loop_io.go.
const (
	pollIn           = unix.EPOLLIN
	pollOut          = unix.EPOLLOUT
	pollDisconnected = unix.EPOLLHUP | unix.EPOLLERR
)
