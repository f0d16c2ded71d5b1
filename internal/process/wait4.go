//go:build unix

package process

import "syscall"

// wait4NoHang reaps pid if it has exited: ok is false while it runs, and
// the error is ECHILD once it is no unreaped child of ours.
func wait4NoHang(pid int) (syscall.WaitStatus, bool, error) {
	var ws syscall.WaitStatus
	for {
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, false, err
		case got == 0:
			return 0, false, nil
		}
		return ws, true, nil
	}
}
