//go:build linux || dragonfly || freebsd

package udp

import "golang.org/x/sys/unix"

// newDatagramSocket makes a non-blocking, close-on-exec UDP socket.
func newDatagramSocket(family int) (int, error) {
	return unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
}
