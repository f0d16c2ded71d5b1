//go:build darwin || netbsd || openbsd

package udp

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// newDatagramSocket makes a non-blocking, close-on-exec UDP socket; without
// SOCK_CLOEXEC it does so under syscall.ForkLock, as the standard library
// does.
func newDatagramSocket(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_DGRAM, unix.IPPROTO_UDP)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
