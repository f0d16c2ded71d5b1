//go:build !unix

package reactor

import (
	"os"
	"syscall"
)

// processSignal stands in for kill(pid, 0) where there is no kill: the
// owner lives if its process can be opened. It sends no signal.
func processSignal(pid int, _ syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return syscall.ESRCH
	}
	_ = p.Release()
	return nil
}
