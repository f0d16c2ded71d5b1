package reactor

import (
	"testing"

	"golang.org/x/sys/unix"
)

// regularFileRefused is the error the poller gives for a regular file:
// epoll refuses files, which are always ready.
var regularFileRefused error = unix.EPERM

// dupTo puts a copy of old at number fd, close-on-exec.
func dupTo(t *testing.T, old, fd int) {
	t.Helper()
	if err := unix.Dup3(old, fd, unix.O_CLOEXEC); err != nil {
		t.Fatalf("dup3: %v", err)
	}
}
