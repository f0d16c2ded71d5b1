package process

import (
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// waitidWatcher watches a child on a kernel without pidfds. A goroutine
// blocks in waitid(P_PID, pid, WEXITED|WNOWAIT), which returns once the
// child has exited but leaves it a zombie, then makes an eventfd readable:
// that eventfd is what the reactor watches. The reap itself, wait4 of that
// pid only, happens on the goroutine that owns the watcher (the reactor's,
// or the orphanage's), and only after the waiter has returned, so the
// waiter never outlives the child's pid. Since nothing else reaps and an
// unreaped child's pid cannot be reused, kill(pid) before the reap cannot
// hit a stranger — unless another library reaps our child with wait(-1),
// which no pid-based watcher can prevent.
//
// The waiter costs an OS thread while the child runs, as os/exec's Wait.
type waitidWatcher struct {
	pid    int
	exited chan struct{} // closed once waitid has returned: the child is a zombie (or gone)

	mu     sync.Mutex // keeps the waiter from writing to a closed (maybe reused) efd
	efd    int
	closed bool
}

func newWaitidWatcher(pid int) (exitWatcher, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, err
	}
	w := &waitidWatcher{pid: pid, efd: efd, exited: make(chan struct{})}
	go w.wait()
	return w, nil
}

// wait is the waiter goroutine.
func (w *waitidWatcher) wait() {
	var si unix.Siginfo
	for {
		// ECHILD here means someone else reaped the child: reap says so.
		if err := unix.Waitid(unix.P_PID, w.pid, &si, unix.WEXITED|unix.WNOWAIT, nil); err != unix.EINTR {
			break
		}
	}
	// reap may go ahead from here on; if the owner reaps and closes efd
	// before the write below, closed says so.
	close(w.exited)
	w.mu.Lock()
	if !w.closed {
		one := [8]byte{1} // an eventfd takes a non-zero 8-byte count
		_, _ = unix.Write(w.efd, one[:])
	}
	w.mu.Unlock()
}

func (w *waitidWatcher) fd() int      { return w.efd }
func (w *waitidWatcher) kind() string { return watchWaitid }

func (w *waitidWatcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		_ = unix.Close(w.efd)
	}
}

func (w *waitidWatcher) signal(sig syscall.Signal) error { return syscall.Kill(w.pid, sig) }

func (w *waitidWatcher) reap() (syscall.WaitStatus, bool, error) {
	select {
	case <-w.exited:
	default:
		return 0, false, nil // still running, or the waiter has not seen it yet
	}
	return wait4NoHang(w.pid)
}
