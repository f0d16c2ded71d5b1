//go:build dragonfly || freebsd || linux || netbsd || openbsd

package process

import "golang.org/x/sys/unix"

// procOpenPipe returns a pipe (read end first) whose ends are both
// close-on-exec from the start, so that a fork elsewhere in the program
// cannot leak them.
func procOpenPipe() ([2]int, error) {
	var fds [2]int
	err := unix.Pipe2(fds[:], unix.O_CLOEXEC)
	return fds, err
}
