//go:build unix

package testkit

import "syscall"

// Pipe makes a non-blocking, close-on-exec pipe in p, as pipe2 does on
// Linux, on every Unix (macOS has no pipe2).
func Pipe(p []int) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := syscall.Pipe(p); err != nil {
		return err
	}
	for _, fd := range p[:2] {
		syscall.CloseOnExec(fd)
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(p[0])
			syscall.Close(p[1])
			return err
		}
	}
	return nil
}
