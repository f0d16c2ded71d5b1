//go:build dragonfly || freebsd || netbsd

package process

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// procWritev is writev(2), made by hand: x/sys has no Writev here, and
// these kernels' system call interface is stable.
func procWritev(fd int, bufs [][]byte) (int, error) {
	iov := make([]unix.Iovec, 0, len(bufs))
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	n, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
