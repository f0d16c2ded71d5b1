//go:build darwin || netbsd || openbsd

package tcp

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Without SOCK_NONBLOCK/SOCK_CLOEXEC flags or accept4 (macOS; the x/sys
// wrappers of NetBSD and OpenBSD), a new descriptor is made close-on-exec
// under syscall.ForkLock, as the standard library does, so that a child
// forked at the same moment cannot inherit it.

// newStreamSocket makes a non-blocking, close-on-exec stream socket: TCP,
// or UNIX for AF_UNIX.
func newStreamSocket(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, protoFor(family))
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	return fd, readySocket(fd)
}

// acceptNonblock accepts a connection as a non-blocking, close-on-exec
// socket.
func acceptNonblock(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	return nfd, sa, readySocket(nfd)
}

// acceptSocket accepts a connection close-on-exec, to close it at once.
func acceptSocket(fd int) (int, error) {
	nfd, _, err := acceptNonblock(fd)
	return nfd, err
}

// readySocket makes fd non-blocking, closing it on failure.
func readySocket(fd int) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return err
	}
	return nil
}
