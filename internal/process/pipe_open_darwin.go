package process

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// procOpenPipe returns a pipe (read end first) whose ends are both
// close-on-exec. darwin has no pipe2, so the pipe is made and marked under
// syscall.ForkLock, as the standard library does, so that no fork in
// between inherits it.
func procOpenPipe() ([2]int, error) {
	var fds [2]int
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := unix.Pipe(fds[:]); err != nil {
		return fds, err
	}
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	return fds, nil
}
