package process

import (
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The orphanage reaps the children whose reactor dropped their pidfd while
// they still ran — a reactor shut down, as in Twisted, leaves its children
// running — so that none is left a zombie when it exits. It holds
// each orphan's pidfd in an epoll set of its own, watched by one goroutine
// that exists only while there are orphans; it reaps through the pidfds, so
// it never touches another library's children, and there is no SIGCHLD
// handler. Signals to an orphan go through the orphanage too: under its
// lock the pidfd is open exactly until the reap, so a signal can never
// reach a recycled pid.
var orphans = struct {
	mu   sync.Mutex
	epfd int           // -1 while no goroutine watches
	wake int           // an eventfd in epfd's set: the last orphan is gone
	fds  map[int]bool  // the orphans' pidfds
	done chan struct{} // closed when the watcher has closed epfd and ended
}{epfd: -1, wake: -1}

// adopt takes ownership of pidfd, the pidfd of an unreaped child. It
// reports false, leaving pidfd with the caller, if the orphanage cannot
// watch it (out of descriptors).
func adopt(pidfd int) bool {
	orphans.mu.Lock()
	defer orphans.mu.Unlock()
	if orphans.epfd < 0 {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return false
		}
		wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			_ = unix.Close(epfd)
			return false
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
			_ = unix.Close(epfd)
			_ = unix.Close(wake)
			return false
		}
		orphans.epfd, orphans.wake = epfd, wake
		orphans.fds = make(map[int]bool)
		orphans.done = make(chan struct{})
		go watchOrphans(epfd, wake, orphans.done)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(pidfd)}
	if err := unix.EpollCtl(orphans.epfd, unix.EPOLL_CTL_ADD, pidfd, &ev); err != nil {
		return false
	}
	orphans.fds[pidfd] = true
	return true
}

// watchOrphans reaps orphans as they exit, and ends when none is left.
func watchOrphans(epfd, wake int, done chan struct{}) {
	events := make([]unix.EpollEvent, 16)
	for {
		n, err := unix.EpollWait(epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		orphans.mu.Lock()
		for _, ev := range events[:max(n, 0)] {
			if int(ev.Fd) == wake {
				var buf [8]byte
				_, _ = unix.Read(wake, buf[:])
				continue
			}
			reapOrphanLocked(int(ev.Fd))
		}
		if len(orphans.fds) == 0 || err != nil {
			_ = unix.Close(epfd)
			_ = unix.Close(wake)
			orphans.epfd, orphans.wake = -1, -1
			close(done)
			orphans.mu.Unlock()
			return
		}
		orphans.mu.Unlock()
	}
}

// reapOrphanLocked reaps the orphan of pidfd if it has exited, then closes
// and forgets its pidfd.
func reapOrphanLocked(pidfd int) {
	if !orphans.fds[pidfd] {
		return
	}
	var si procSiginfo
	for {
		err := unix.Waitid(unix.P_PIDFD, pidfd, (*unix.Siginfo)(unsafe.Pointer(&si)), unix.WEXITED|unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err == nil && si.pid == 0 {
			return // not exited yet
		}
		break // reaped, or gone (ECHILD): either way it is no orphan of ours now
	}
	_ = unix.EpollCtl(orphans.epfd, unix.EPOLL_CTL_DEL, pidfd, nil)
	_ = unix.Close(pidfd)
	delete(orphans.fds, pidfd)
	if len(orphans.fds) == 0 {
		// The watcher may be asleep on an empty set: let it end.
		one := [8]byte{1}
		_, _ = unix.Write(orphans.wake, one[:])
	}
}

// signalOrphan sends sig to the orphan of pidfd; unix.ESRCH once it has
// been reaped.
func signalOrphan(pidfd int, sig unix.Signal) error {
	orphans.mu.Lock()
	defer orphans.mu.Unlock()
	if !orphans.fds[pidfd] {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(pidfd, sig, nil, 0)
}

// reapOrphan waits at most timeout for the orphan of pidfd to be reaped,
// reaping it here if it has exited: KillAndReap's wait for an orphan.
func reapOrphan(pidfd int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		orphans.mu.Lock()
		reapOrphanLocked(pidfd)
		gone := !orphans.fds[pidfd]
		var watcher chan struct{}
		if gone && len(orphans.fds) == 0 {
			watcher = orphans.done
		}
		orphans.mu.Unlock()
		if gone {
			if watcher != nil {
				// The last orphan: let the watcher close its descriptors
				// before returning, so that none outlives this call.
				select {
				case <-watcher:
				case <-time.After(time.Second):
				}
			}
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}
