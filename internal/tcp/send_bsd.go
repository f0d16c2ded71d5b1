//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package tcp

import "golang.org/x/sys/unix"

// send writes b to a connected socket with MSG_NOSIGNAL, so a peer that
// has gone away gives EPIPE rather than a SIGPIPE. (Raw system calls are
// not a stable interface on macOS, so this goes through x/sys.)
func send(fd int, b []byte) (int, error) {
	for {
		n, err := unix.SendmsgN(fd, b, nil, nil, unix.MSG_NOSIGNAL)
		if err != unix.EINTR {
			return n, err
		}
	}
}
