//go:build unix

package tcp

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// filesystemLock ports twisted.python.lockfile.FilesystemLock as Twisted
// uses it on POSIX: the lock is a symbolic link whose target is the pid of
// the holder. Making a symbolic link is atomic and fails when one exists,
// so one process at a time holds it; a link naming a process that no
// longer exists is stale, and is removed and taken over (clean is then
// false).
type filesystemLock struct {
	name   string
	locked bool
	clean  bool
}

// lock ports FilesystemLock.lock: it reports whether the lock was taken.
// It fails only for errors other than a live holder.
func (l *filesystemLock) lock() (bool, error) {
	clean := true
	for {
		err := os.Symlink(strconv.Itoa(os.Getpid()), l.name)
		if err == nil {
			l.locked, l.clean = true, clean
			return true, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return false, err
		}
		target, err := os.Readlink(l.name)
		if errors.Is(err, os.ErrNotExist) {
			continue // released meanwhile: try again
		}
		if err != nil {
			return false, err
		}
		pid, err := strconv.Atoi(target)
		if err != nil {
			return false, fmt.Errorf("lock %s names %q, not a pid", l.name, target)
		}
		if !processExists(pid) {
			if err := os.Remove(l.name); err != nil && !errors.Is(err, os.ErrNotExist) {
				return false, err
			}
			clean = false
			continue
		}
		return false, nil
	}
}

// unlock ports FilesystemLock.unlock: it removes a lock this process holds.
func (l *filesystemLock) unlock() error {
	target, err := os.Readlink(l.name)
	if err != nil {
		return err
	}
	if target != strconv.Itoa(os.Getpid()) {
		return fmt.Errorf("lock %s is not held by this process", l.name)
	}
	l.locked = false
	return os.Remove(l.name)
}

// processExists is kill(pid, 0): a process that exists but is another
// user's (EPERM) counts as alive. (Twisted lets EPERM propagate.)
func processExists(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}

// isLocked ports lockfile.isLocked: whether a live process holds name.
func isLocked(name string) bool {
	l := &filesystemLock{name: name}
	ok, err := l.lock()
	if ok {
		_ = l.unlock()
	}
	return !ok && err == nil
}
