package process

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pidfdWatcher watches a child through the pidfd its fork returned: the
// pidfd is readable once the child has exited, waitid(P_PIDFD) reaps that
// child and no other, and pidfd_send_signal signals it — never a recycled
// pid, even after someone else reaped it.
type pidfdWatcher struct {
	pidfd int
}

func (w *pidfdWatcher) fd() int      { return w.pidfd }
func (w *pidfdWatcher) kind() string { return watchPidfd }
func (w *pidfdWatcher) close()       { _ = unix.Close(w.pidfd) }

func (w *pidfdWatcher) signal(sig syscall.Signal) error {
	return unix.PidfdSendSignal(w.pidfd, sig, nil, 0)
}

func (w *pidfdWatcher) reap() (syscall.WaitStatus, bool, error) {
	var si procSiginfo
	for {
		err := unix.Waitid(unix.P_PIDFD, w.pidfd, (*unix.Siginfo)(unsafe.Pointer(&si)), unix.WEXITED|unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, false, err
		case si.pid == 0:
			return 0, false, nil
		}
		return si.waitStatus(), true, nil
	}
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
