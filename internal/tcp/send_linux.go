//go:build unix

package tcp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// send writes b to a connected socket with MSG_NOSIGNAL, so a peer that
// has gone away gives EPIPE rather than a SIGPIPE. It calls sendto
// directly: one system call, no address, no allocation.
func send(fd int, b []byte) (int, error) {
	for {
		n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), unix.MSG_NOSIGNAL, 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		}
		return 0, e
	}
}
