//go:build unix

package process

import (
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/reactor"
)

// exitWatcher is how braid learns that one child has exited, reaps it and
// signals it, without a SIGCHLD handler and without wait(-1), so that no
// other library's child is ever touched. Each platform has its own (see
// exitWatcherKind): a pidfd on Linux 5.4 and later, a waiter goroutine
// and an eventfd on older Linux kernels, a kqueue on darwin and the BSDs.
//
// A watcher is used from one goroutine at a time: the reactor's while it
// owns the child, the orphanage's (under its lock) after.
type exitWatcher interface {
	// fd is a descriptor that is readable, level-triggered, once the
	// child has exited: what the reactor (and awaitExit) watch.
	fd() int
	// reap collects the child's status if it has exited, without
	// blocking; ok is false while it runs. An error (ECHILD) means the
	// child was reaped by someone else.
	reap() (st syscall.WaitStatus, ok bool, err error)
	// signal sends sig to the child; it is only called before a
	// successful reap, while the child's pid cannot have been reused.
	signal(sig syscall.Signal) error
	// close releases the watcher's descriptors (and nothing else).
	close()
	// kind names the watcher, as exitWatcherKind does.
	kind() string
}

// awaitExit waits at most timeout (for ever if negative) for w's
// descriptor to become readable, and reports whether it did.
func awaitExit(w exitWatcher, timeout time.Duration) bool {
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	deadline := time.Now().Add(timeout)
	for {
		fds := []unix.PollFd{{Fd: int32(w.fd()), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if err == nil {
			return n > 0
		}
		if err != unix.EINTR {
			return false
		}
		if timeout >= 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return false
			}
			ms = int((left + time.Millisecond - 1) / time.Millisecond)
		}
	}
}

// procExitFD is the child's exit watcher as a reactor.ReadDescriptor: it
// becomes readable when the child exits, which is how braid learns of the
// exit (P-21, W-05).
type procExitFD struct {
	p *Process
	w exitWatcher // nil once released: reaped, or handed to the orphanage
}

// Fileno returns the watcher's descriptor, -1 once released.
func (d *procExitFD) Fileno() int {
	if d.w == nil {
		return -1
	}
	return d.w.fd()
}

// String names the process and the kind of watcher, for reports of
// leftover descriptors.
func (d *procExitFD) String() string {
	kind := exitWatcherKind()
	if d.w != nil {
		kind = d.w.kind()
	}
	return fmt.Sprintf("<process exit watcher (%s) pid=%d argv0=%q fd=%d>", kind, d.p.origPid, d.p.argv0(), d.Fileno())
}

// DoRead reaps the child if it has exited.
func (d *procExitFD) DoRead() error {
	d.p.tryReap()
	return nil
}

// ConnectionLost is called when the reactor drops the watcher (shutdown,
// or a RemoveAll). The child is not signalled. If it is still
// unreaped, the orphanage takes the watcher and reaps the child when it
// exits, so it is never left a zombie; signals still reach it, through
// the orphanage, until then. That includes a child KillAndReap gave up
// waiting for: it still holds its watcher, and must not be left a zombie
// when it does die. No protocol callback follows.
func (d *procExitFD) ConnectionLost(reason *reactor.Failure) {
	p := d.p
	if d.w != nil && !p.gone() && !p.done {
		p.r.RemoveReader(d)
		p.orphan = adopt(d.w)
		d.w = nil
		return
	}
	d.release()
}

// release unregisters and closes the watcher, without callbacks.
func (d *procExitFD) release() {
	if d.w == nil {
		return
	}
	d.p.r.RemoveReader(d)
	d.w.close()
	d.w = nil
}
