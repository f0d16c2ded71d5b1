//go:build unix

package udp

import "golang.org/x/sys/unix"

// setReusePort sets SO_REUSEPORT, which lets sockets of this and other
// processes bind the same port (ENOPROTOOPT where the kernel lacks it).
func setReusePort(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}
