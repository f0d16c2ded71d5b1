//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package reactor

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// poller is the reactor's kqueue plus a self-pipe that CallFromThread
// writes to wake a blocked wait. kqueue keeps one filter per direction, so
// a descriptor watched both ways has two registrations, and a wait can
// report it twice; wait merges those into one readyEvent, as epoll gives.
// kevent takes its timeout in nanoseconds, so sub-millisecond timers
// neither spin nor round up.
type poller struct {
	kq     int
	wakefd int // the self-pipe's read end, watched by the kqueue
	wakeW  int // its write end
	events []unix.Kevent_t
	ready  []readyEvent
	// watched holds, per descriptor, the filters registered and the
	// generation they were registered under: kevent has no portable
	// user-data field to carry the generation through (it is a pointer on
	// most of these systems and an integer on NetBSD).
	watched map[int]kqWatch
	// slot maps a descriptor to its index in ready+1 during one wait, to
	// merge the read and write reports of one descriptor.
	slot   map[int]int
	closed atomic.Bool
}

type kqWatch struct {
	mask uint32
	gen  uint32
}

const initialEvents = 128

func newPoller() (*poller, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, fmt.Errorf("reactor: kqueue: %w", err)
	}
	unix.CloseOnExec(kq)
	var pfd [2]int
	if err := unix.Pipe(pfd[:]); err != nil {
		unix.Close(kq)
		return nil, fmt.Errorf("reactor: pipe: %w", err)
	}
	p := &poller{kq: kq, wakefd: pfd[0], wakeW: pfd[1], events: make([]unix.Kevent_t, initialEvents),
		watched: make(map[int]kqWatch), slot: make(map[int]int)}
	for _, fd := range pfd {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			p.close()
			return nil, fmt.Errorf("reactor: wake-up pipe: %w", err)
		}
	}
	if err := p.change(p.wakefd, unix.EVFILT_READ, unix.EV_ADD); err != nil {
		p.close()
		return nil, fmt.Errorf("reactor: kevent(wake-up pipe): %w", err)
	}
	return p, nil
}

func (p *poller) close() {
	if !p.closed.CompareAndSwap(false, true) {
		return
	}
	unix.Close(p.wakefd)
	unix.Close(p.wakeW)
	unix.Close(p.kq)
}

// change applies one filter change. Changes go one per call: without
// EV_RECEIPT (NetBSD lacks it) a batch stops at its first failure.
func (p *poller) change(fd, filter, flags int) error {
	var ch [1]unix.Kevent_t
	unix.SetKevent(&ch[0], fd, filter, flags)
	for {
		_, err := unix.Kevent(p.kq, ch[:], nil, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

// register makes fd's filters match mask: each wanted direction is added
// (adding an existing filter only updates it, so a descriptor number that
// was closed and reused is re-armed too) and each unwanted one deleted.
func (p *poller) register(fd int, mask uint32, gen uint32, known bool) error {
	w := p.watched[fd]
	if !known {
		w.mask = 0
	}
	for _, dir := range [...]struct {
		bit    uint32
		filter int
	}{{pollIn, unix.EVFILT_READ}, {pollOut, unix.EVFILT_WRITE}} {
		want, have := mask&dir.bit != 0, w.mask&dir.bit != 0
		switch {
		case want && !have:
			if err := p.change(fd, dir.filter, unix.EV_ADD); err != nil {
				return err
			}
		case !want && have:
			err := p.change(fd, dir.filter, unix.EV_DELETE)
			if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EBADF) {
				return err // ENOENT, EBADF: closed already, the kernel dropped it
			}
		}
	}
	if mask == 0 {
		delete(p.watched, fd)
		return nil
	}
	p.watched[fd] = kqWatch{mask: mask, gen: gen}
	return nil
}

// wait blocks for at most timeout (forever when timeout < 0) and returns the
// ready descriptors. EINTR counts as a wake-up with nothing ready.
func (p *poller) wait(timeout time.Duration) ([]readyEvent, error) {
	var tsp *unix.Timespec
	if timeout >= 0 {
		ts := unix.NsecToTimespec(int64(timeout))
		tsp = &ts
	}
	n, err := unix.Kevent(p.kq, nil, p.events, tsp)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return nil, nil
		}
		return nil, err
	}
	ready := p.ready[:0]
	clear(p.slot)
	for _, ev := range p.events[:n] {
		fd := int(ev.Ident)
		if fd == p.wakefd {
			p.drainWake()
			continue
		}
		w, ok := p.watched[fd]
		if !ok {
			continue // removed since the kernel queued the report
		}
		bits := kqBits(&ev)
		if i := p.slot[fd]; i > 0 {
			ready[i-1].events |= bits
			continue
		}
		ready = append(ready, readyEvent{fd: fd, gen: w.gen, events: bits})
		p.slot[fd] = len(ready)
	}
	p.ready = ready
	if n == len(p.events) && n < 1<<16 {
		p.events = make([]unix.Kevent_t, 2*n) // a busy set: read more next time
	}
	return ready, nil
}

// kqBits translates one kevent report into the loop's bits. A read report
// is pollIn, with pollDisconnected when the peer is gone and nothing is
// left to read (epoll's EPOLLIN|EPOLLHUP). A write report with EV_EOF is
// pollOut|pollDisconnected: the other end will take no more (epoll's
// EPOLLERR on a pipe whose reader closed), so a writer with nothing queued
// is not reported writable forever.
func kqBits(ev *unix.Kevent_t) uint32 {
	eof := ev.Flags&unix.EV_EOF != 0
	switch int(ev.Filter) {
	case unix.EVFILT_READ:
		if eof && ev.Data == 0 {
			return pollIn | pollDisconnected
		}
		return pollIn
	case unix.EVFILT_WRITE:
		if eof {
			return pollOut | pollDisconnected
		}
		return pollOut
	}
	return 0
}

// tightTimers reports whether sub-millisecond waits are exact; kevent's
// timeout is a timespec.
func (p *poller) tightTimers() bool { return true }

// wake makes a blocked or upcoming wait return. Safe from any goroutine.
func (p *poller) wake() {
	one := [1]byte{1}
	_, _ = unix.Write(p.wakeW, one[:]) // EAGAIN: the pipe is full of wake-ups already
}

// drainWake consumes pending wake-ups.
func (p *poller) drainWake() {
	var buf [64]byte
	for {
		n, err := unix.Read(p.wakefd, buf[:])
		if n < len(buf) || err != nil {
			return
		}
	}
}

// Event bits, named for the dispatch logic in loop_io.go. They are the
// loop's own: kqBits makes them from kqueue's filters and flags.
const (
	pollIn           = 1 << 0
	pollOut          = 1 << 2
	pollDisconnected = 1 << 4
)
