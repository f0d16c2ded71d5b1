package process

import (
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Kinds of exit watcher, as exitWatcherKind reports them.
const (
	watchPidfd  = "pidfd"  // Linux 5.4 and later: the child's pidfd
	watchWaitid = "waitid" // older Linux, or the braid_nopidfd build tag: a waiter goroutine and an eventfd
)

var linuxWatch struct {
	once sync.Once
	kind string
}

// exitWatcherKind reports which exit watcher this program's children get:
// watchPidfd when the kernel has pidfd_open and waitid(P_PIDFD) (Linux
// 5.4 or later; probed once, at the first call), watchWaitid otherwise or
// when the braid_nopidfd build tag forces it.
func exitWatcherKind() string {
	linuxWatch.once.Do(func() {
		linuxWatch.kind = watchWaitid
		if !forceNoPidfd && pidfdWorks() {
			linuxWatch.kind = watchPidfd
		}
	})
	return linuxWatch.kind
}

// pidfdWorks probes the two calls the pidfd watcher needs on this
// program's own pid. pidfd_open fails with ENOSYS before Linux 5.3 (or
// with EPERM under a seccomp filter that forbids it); waitid(P_PIDFD)
// fails with EINVAL before 5.4, and with ECHILD where it works, since a
// program is no child of its own.
func pidfdWorks() bool {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var si procSiginfo
	for {
		err = unix.Waitid(unix.P_PIDFD, fd, (*unix.Siginfo)(unsafe.Pointer(&si)), unix.WEXITED|unix.WNOHANG, nil)
		if err != unix.EINTR {
			return err == unix.ECHILD
		}
	}
}

// prepareExitWatch sets up sys for the fork and returns what makes the
// child's watcher once the fork succeeded. The pidfd comes from the fork
// itself (CLONE_PIDFD), so that it cannot name a recycled pid.
func prepareExitWatch(sys *syscall.SysProcAttr) func(pid int) (exitWatcher, error) {
	if exitWatcherKind() != watchPidfd {
		return newWaitidWatcher
	}
	pidfd := -1
	sys.PidFD = &pidfd
	return func(pid int) (exitWatcher, error) {
		if pidfd < 0 {
			return newWaitidWatcher(pid) // the kernel gave none after all
		}
		return &pidfdWatcher{pidfd: pidfd}, nil
	}
}
