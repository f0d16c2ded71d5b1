package process

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// procSigIgnored reads the kernel's disposition of sig (rt_sigaction with
// no new action changes nothing) and reports whether it is SIG_IGN; ok is
// false if it could not be read.
func procSigIgnored(sig syscall.Signal) (ignored, ok bool) {
	var old [16]uintptr  // struct sigaction, sa_handler first
	const sigsetSize = 8 // the kernel's sigset_t: 64 signals
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old[0])), sigsetSize, 0, 0); e != 0 {
		return false, false
	}
	return old[0] == 1, true // SIG_IGN
}
