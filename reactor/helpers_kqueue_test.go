//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package reactor

import (
	"testing"

	"golang.org/x/sys/unix"
)

// regularFileRefused is nil: kqueue accepts a regular file and reports it
// readable, as Twisted's kqueue reactor does.
var regularFileRefused error

// dupTo puts a copy of old at number fd, close-on-exec.
func dupTo(t *testing.T, old, fd int) {
	t.Helper()
	if err := unix.Dup2(old, fd); err != nil {
		t.Fatalf("dup2: %v", err)
	}
	unix.CloseOnExec(fd)
}
