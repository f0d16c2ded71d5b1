//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package process

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Kinds of exit watcher, as exitWatcherKind reports them.
const watchKqueue = "kqueue"

// exitWatcherKind reports which exit watcher this program's children get:
// a kqueue of their own on darwin and the BSDs.
func exitWatcherKind() string { return watchKqueue }

// prepareExitWatch returns what makes the child's watcher once the fork
// succeeded; the fork itself needs nothing.
func prepareExitWatch(*syscall.SysProcAttr) func(pid int) (exitWatcher, error) {
	return newKqueueWatcher
}

// kqueueWatcher watches a child through a kqueue of its own holding one
// EVFILT_PROC/NOTE_EXIT event: a kqueue descriptor is readable while an
// event is pending, so the kqueue itself is what the reactor watches. The
// child is reaped with wait4 of its pid only, by the goroutine that owns
// the watcher, and signalled with kill(2) before that reap only, when its
// pid cannot have been reused — unless another library reaps our child
// with wait(-1), which no pid-based watcher can prevent.
type kqueueWatcher struct {
	pid int
	kq  int
}

func newKqueueWatcher(pid int) (exitWatcher, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(kq)
	ev := make([]unix.Kevent_t, 1)
	unix.SetKevent(&ev[0], pid, unix.EVFILT_PROC, unix.EV_ADD)
	ev[0].Fflags = unix.NOTE_EXIT
	_, err = unix.Kevent(kq, ev, nil, nil)
	if err == unix.ESRCH {
		// The child has exited already (an unreaped child of ours cannot
		// be gone): a one-shot 1 ms timer makes the kqueue readable. The
		// event is made afresh: SetKevent leaves Fflags alone, and
		// NOTE_EXIT there is no timer unit (FreeBSD refuses unknown
		// timer flags with EINVAL).
		ev[0] = unix.Kevent_t{}
		unix.SetKevent(&ev[0], 0, unix.EVFILT_TIMER, unix.EV_ADD|unix.EV_ONESHOT)
		ev[0].Data = 1
		_, err = unix.Kevent(kq, ev, nil, nil)
	}
	if err != nil {
		_ = unix.Close(kq)
		return nil, err
	}
	return &kqueueWatcher{pid: pid, kq: kq}, nil
}

func (w *kqueueWatcher) fd() int                         { return w.kq }
func (w *kqueueWatcher) kind() string                    { return watchKqueue }
func (w *kqueueWatcher) close()                          { _ = unix.Close(w.kq) }
func (w *kqueueWatcher) signal(sig syscall.Signal) error { return syscall.Kill(w.pid, sig) }

// reap reaps the child. NOTE_EXIT may come a moment before the child is
// a zombie: then reap reports it running, and the still readable kqueue
// brings the reactor back at once.
func (w *kqueueWatcher) reap() (syscall.WaitStatus, bool, error) { return wait4NoHang(w.pid) }
