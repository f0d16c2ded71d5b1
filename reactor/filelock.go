package reactor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// ErrLockNotOwned is the error (inside an *os.PathError naming the lock)
// of [FilesystemLock.Unlock] on a lock another process holds; Twisted
// raises ValueError.
var ErrLockNotOwned = kind("lock is not owned by this process", nil)

// FilesystemLock ports twisted.python.lockfile.FilesystemLock: a mutex
// between processes, held by whoever made the symbolic link at its name,
// whose target is the holder's process id. Making a symlink is atomic and
// fails when one exists, so exactly one process holds the lock; a lock
// whose holder has died is stale, and Lock removes it and takes over.
//
// A FilesystemLock is not safe for concurrent use; two values for the same
// name in one process exclude each other as two processes would, but each
// may Unlock a lock the other took (they share the process id).
type FilesystemLock struct {
	name          string
	locked, clean bool
	ops           *lockOps // nil: the real system calls; tests replace them
}

// NewFilesystemLock ports FilesystemLock(name): a lock, not yet taken,
// kept as a symbolic link at path name.
func NewFilesystemLock(name string) *FilesystemLock {
	return &FilesystemLock{name: name}
}

// Name returns the path of the lock's symbolic link.
func (l *FilesystemLock) Name() string { return l.name }

// Locked reports whether this value holds the lock (Twisted's locked).
func (l *FilesystemLock) Locked() bool { return l.locked }

// Clean reports, after a Lock that succeeded, whether the previous holder
// had released the lock cleanly: false when Lock had to remove a stale
// lock left by a process that no longer exists (Twisted's clean).
func (l *FilesystemLock) Clean() bool { return l.clean }

// lockOps are the system calls Lock and Unlock make.
type lockOps struct {
	symlink  func(target, name string) error
	readlink func(name string) (string, error)
	remove   func(name string) error
	kill     func(pid int, sig syscall.Signal) error
}

var realLockOps = &lockOps{symlink: os.Symlink, readlink: os.Readlink, remove: os.Remove, kill: processSignal}

func (l *FilesystemLock) sys() *lockOps {
	if l.ops != nil {
		return l.ops
	}
	return realLockOps
}

// Lock ports FilesystemLock.lock: it tries once to take the lock and
// reports whether it did. A lock held by a live process (this one
// included: the lock is not reentrant) gives false; a stale one is removed
// and taken, with Clean false. Any other failure of the system calls is
// returned: a symlink error other than "exists", a readlink error other
// than "vanished", a lock naming no process id, and a kill(pid, 0) error
// other than "no such process" (EPERM: the holder runs as another user),
// as Twisted raises them.
func (l *FilesystemLock) Lock() (bool, error) {
	sys := l.sys()
	clean := true
	for {
		err := sys.symlink(strconv.Itoa(os.Getpid()), l.name)
		if err == nil {
			l.locked, l.clean = true, clean
			return true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return false, err
		}
		target, err := sys.readlink(l.name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile: try again
		} else if err != nil {
			return false, err
		}
		pid, err := strconv.Atoi(target)
		if err != nil {
			return false, &os.PathError{Op: "lock", Path: l.name, Err: fmt.Errorf("lock target %q is not a process id", target)}
		}
		err = sys.kill(pid, 0)
		if err == nil {
			return false, nil // held by a live process
		}
		if !errors.Is(err, syscall.ESRCH) {
			return false, &os.SyscallError{Syscall: "kill", Err: err}
		}
		// The holder is gone: remove its lock and try again.
		if err := sys.remove(l.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		} else if err == nil {
			clean = false
		}
		// (ErrNotExist: another process cleaned it up first; race it.)
	}
}

// Unlock ports FilesystemLock.unlock: it removes the lock's link. A lock
// that names another process returns an *os.PathError wrapping
// [ErrLockNotOwned] and stays; a missing lock returns readlink's error.
func (l *FilesystemLock) Unlock() error {
	sys := l.sys()
	target, err := sys.readlink(l.name)
	if err != nil {
		return err
	}
	if pid, err := strconv.Atoi(target); err != nil || pid != os.Getpid() {
		return &os.PathError{Op: "unlock", Path: l.name, Err: ErrLockNotOwned}
	}
	if err := sys.remove(l.name); err != nil {
		return err
	}
	l.locked = false
	return nil
}

// IsLocked ports lockfile.isLocked: whether some live process holds the
// lock at name. It finds out by taking the lock and releasing it at once.
func IsLocked(name string) (bool, error) {
	l := NewFilesystemLock(name)
	ok, err := l.Lock()
	if err != nil {
		return false, err
	}
	if ok {
		return false, l.Unlock()
	}
	return true, nil
}
