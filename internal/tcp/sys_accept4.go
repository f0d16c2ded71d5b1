//go:build linux || dragonfly || freebsd

package tcp

import "golang.org/x/sys/unix"

// newStreamSocket makes a non-blocking, close-on-exec stream socket: TCP,
// or UNIX for AF_UNIX.
func newStreamSocket(family int) (int, error) {
	return unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, protoFor(family))
}

// acceptNonblock accepts a connection as a non-blocking, close-on-exec
// socket, in one system call.
func acceptNonblock(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}

// acceptSocket accepts a connection close-on-exec, to close it at once.
func acceptSocket(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
	return nfd, err
}
