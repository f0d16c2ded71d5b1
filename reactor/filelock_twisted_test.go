package reactor

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Ports of test_defer.py's DeferredFilesystemLockTests and of
// test_lockfile.py's LockingTests (the POSIX ones: the Windows branches
// of lockfile have no counterpart here), in braid's words.

func lockPath(t *testing.T) string { return filepath.Join(t.TempDir(), "lock") }

// fakeLockOps returns the real system calls but for kill, which reports
// the process ids in dead as gone and every other as alive.
func fakeLockOps(dead ...int) *lockOps {
	ops := *realLockOps
	ops.kill = func(pid int, sig syscall.Signal) error {
		for _, d := range dead {
			if pid == d {
				return syscall.ESRCH
			}
		}
		return nil
	}
	return &ops
}

// test_cleanlyAcquire, test_cleanlyRelease, test_cannotLockLocked.
func TestFilesystemLock_AcquireReleaseExclude(t *testing.T) {
	name := lockPath(t)
	l := NewFilesystemLock(name)
	if ok, err := l.Lock(); !ok || err != nil || !l.Clean() || !l.Locked() {
		t.Fatalf("Lock = %v, %v; clean %v locked %v", ok, err, l.Clean(), l.Locked())
	}
	if target, _ := os.Readlink(name); target != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock names %q, want this pid", target)
	}
	other := NewFilesystemLock(name)
	if ok, err := other.Lock(); ok || err != nil || other.Locked() {
		t.Fatalf("second Lock of a held lock = %v, %v", ok, err)
	}
	if err := l.Unlock(); err != nil || l.Locked() {
		t.Fatalf("Unlock = %v, locked %v", err, l.Locked())
	}
	again := NewFilesystemLock(name)
	if ok, err := again.Lock(); !ok || err != nil || !again.Clean() {
		t.Fatalf("Lock after a clean release = %v, %v, clean %v", ok, err, again.Clean())
	}
}

// test_uncleanlyAcquire: a lock left by a dead process is taken over, and
// Clean says so.
func TestFilesystemLock_StaleLockTakenOver(t *testing.T) {
	name := lockPath(t)
	const owner = 12345
	if err := os.Symlink(strconv.Itoa(owner), name); err != nil {
		t.Fatal(err)
	}
	l := NewFilesystemLock(name)
	l.ops = fakeLockOps(owner)
	if ok, err := l.Lock(); !ok || err != nil || l.Clean() || !l.Locked() {
		t.Fatalf("Lock over a stale lock = %v, %v; clean %v locked %v", ok, err, l.Clean(), l.Locked())
	}
	if target, _ := os.Readlink(name); target != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock names %q, want this pid", target)
	}
}

// The same with a process that really has exited, through the real kill.
func TestFilesystemLock_StaleLockOfExitedProcess(t *testing.T) {
	name := lockPath(t)
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(strconv.Itoa(p.Pid), name); err != nil {
		t.Fatal(err)
	}
	l := NewFilesystemLock(name)
	if ok, err := l.Lock(); !ok || err != nil || l.Clean() {
		t.Fatalf("Lock over an exited pid's lock = %v, %v; clean %v", ok, err, l.Clean())
	}
}

// test_lockReleasedBeforeCheck and test_lockCleanedUpConcurrently: a lock
// that vanishes between the failed symlink and the next call is taken,
// cleanly when its holder released it.
func TestFilesystemLock_LockVanishesMidway(t *testing.T) {
	const owner = 43125
	for _, c := range []struct {
		name      string
		patch     func(name string, ops *lockOps)
		wantClean bool
	}{
		{"released before readlink", func(name string, ops *lockOps) {
			ops.readlink = func(n string) (string, error) {
				_ = os.Remove(name) // the holder lets go
				return os.Readlink(n)
			}
		}, true},
		{"cleaned up by another process before remove", func(name string, ops *lockOps) {
			ops.remove = func(n string) error {
				_ = os.Remove(name) // someone else removes the stale lock
				return os.Remove(n)
			}
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := lockPath(t)
			if err := os.Symlink(strconv.Itoa(owner), name); err != nil {
				t.Fatal(err)
			}
			l := NewFilesystemLock(name)
			l.ops = fakeLockOps(owner)
			c.patch(name, l.ops)
			if ok, err := l.Lock(); !ok || err != nil || l.Clean() != c.wantClean {
				t.Fatalf("Lock = %v, %v; clean %v", ok, err, l.Clean())
			}
		})
	}
}

// test_symlinkError, test_readlinkError, test_rmlinkError, test_killError:
// other failures of the system calls reach the caller, and nothing is held.
func TestFilesystemLock_SystemCallErrorsReturned(t *testing.T) {
	const owner = 43125
	for _, c := range []struct {
		name  string
		patch func(ops *lockOps)
		want  error
	}{
		{"symlink", func(ops *lockOps) {
			ops.symlink = func(string, string) error { return &os.LinkError{Op: "symlink", Err: syscall.EACCES} }
		}, syscall.EACCES},
		{"readlink", func(ops *lockOps) {
			ops.readlink = func(n string) (string, error) { return "", &os.PathError{Op: "readlink", Path: n, Err: syscall.ENOSYS} }
		}, syscall.ENOSYS},
		{"remove", func(ops *lockOps) {
			ops.remove = func(n string) error { return &os.PathError{Op: "remove", Path: n, Err: syscall.ENOSYS} }
		}, syscall.ENOSYS},
		{"kill", func(ops *lockOps) {
			ops.kill = func(int, syscall.Signal) error { return syscall.EPERM }
		}, syscall.EPERM},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := lockPath(t)
			if c.name != "symlink" {
				if err := os.Symlink(strconv.Itoa(owner), name); err != nil {
					t.Fatal(err)
				}
			}
			l := NewFilesystemLock(name)
			l.ops = fakeLockOps(owner)
			c.patch(l.ops)
			if ok, err := l.Lock(); ok || !errors.Is(err, c.want) || l.Locked() {
				t.Fatalf("Lock = %v, %v (locked %v); want %v", ok, err, l.Locked(), c.want)
			}
		})
	}
}

// A lock whose target is no process id is an error naming the lock.
func TestFilesystemLock_GarbageTarget(t *testing.T) {
	name := lockPath(t)
	if err := os.Symlink("not-a-pid", name); err != nil {
		t.Fatal(err)
	}
	_, err := NewFilesystemLock(name).Lock()
	if pe, ok := errors.AsType[*os.PathError](err); !ok || pe.Path != name {
		t.Fatalf("Lock = %v, want an *os.PathError naming %s", err, name)
	}
}

// test_unlockOther: unlocking another process's lock is refused.
func TestFilesystemLock_UnlockOther(t *testing.T) {
	name := lockPath(t)
	if err := os.Symlink(strconv.Itoa(os.Getpid()+1), name); err != nil {
		t.Fatal(err)
	}
	err := NewFilesystemLock(name).Unlock()
	if !errors.Is(err, ErrLockNotOwned) {
		t.Fatalf("Unlock = %v, want ErrLockNotOwned", err)
	}
	if _, err := os.Lstat(name); err != nil {
		t.Fatalf("the other process's lock was removed: %v", err)
	}
	if err := NewFilesystemLock(lockPath(t)).Unlock(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Unlock of no lock = %v, want fs.ErrNotExist", err)
	}
}

// test_isLocked.
func TestIsLocked(t *testing.T) {
	name := lockPath(t)
	if locked, err := IsLocked(name); locked || err != nil {
		t.Fatalf("IsLocked(free) = %v, %v", locked, err)
	}
	l := NewFilesystemLock(name)
	if ok, _ := l.Lock(); !ok {
		t.Fatal("Lock failed")
	}
	if locked, err := IsLocked(name); !locked || err != nil {
		t.Fatalf("IsLocked(held) = %v, %v", locked, err)
	}
	_ = l.Unlock()
	if locked, err := IsLocked(name); locked || err != nil {
		t.Fatalf("IsLocked(released) = %v, %v", locked, err)
	}
}

// newDeferredLockForTest is DeferredFilesystemLockTests.setUp: a lock on a
// fresh path, retried on a Clock.
func newDeferredLockForTest(t *testing.T) (*DeferredFilesystemLock, *Clock) {
	c := NewClock()
	return NewDeferredFilesystemLock(lockPath(t), c), c
}

func seconds(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Second
	}
	return out
}

// test_waitUntilLockedWithNoLock.
func TestDeferredFilesystemLock_FreeLockAtOnce(t *testing.T) {
	l, _ := newDeferredLockForTest(t)
	d := l.DeferUntilLocked(time.Second)
	if !d.Called() || d.Result() != nil || !l.Locked() {
		t.Fatalf("DeferUntilLocked on a free lock: %v, locked %v", d, l.Locked())
	}
}

// test_waitUntilLockedWithTimeoutLocked: a lock held past the timeout
// fails the wait with a TimeoutError naming the lock.
func TestDeferredFilesystemLock_TimesOut(t *testing.T) {
	ownUnhandled(t)
	l, c := newDeferredLockForTest(t)
	if ok, _ := l.Lock(); !ok {
		t.Fatal("Lock failed")
	}
	d := l.DeferUntilLocked(5500 * time.Millisecond)
	c.Pump(seconds(10)...)
	f, ok := d.Result().(*Failure)
	if !ok {
		t.Fatalf("after the timeout: %v", d)
	}
	te, ok := errors.AsType[*TimeoutError](f)
	if !ok || te.Timeout != 5500*time.Millisecond || te.What != "acquiring lock "+l.Name() {
		t.Fatalf("failure %v, want a TimeoutError for the lock", f)
	}
	if n := len(c.GetDelayedCalls()); n != 0 {
		t.Errorf("%d calls left scheduled", n)
	}
}

// Unlike Twisted's, a second wait on the same value after a timeout times
// out too (Twisted keeps the first timer and never schedules another).
func TestDeferredFilesystemLock_SecondWaitTimesOutToo(t *testing.T) {
	ownUnhandled(t)
	l, c := newDeferredLockForTest(t)
	holder := NewFilesystemLock(l.Name())
	if ok, _ := holder.Lock(); !ok {
		t.Fatal("Lock failed")
	}
	for i := range 2 {
		d := l.DeferUntilLocked(2 * time.Second)
		c.Pump(seconds(3)...)
		if f, ok := d.Result().(*Failure); !ok || f.Check(ErrCancelled) != nil {
			t.Fatalf("wait %d: %v, want a timeout", i, d)
		} else if _, ok := errors.AsType[*TimeoutError](f); !ok {
			t.Fatalf("wait %d: %v, want a TimeoutError", i, f)
		}
	}
}

// test_waitUntilLockedWithTimeoutUnlocked: a lock released before the
// timeout is taken at the next try.
func TestDeferredFilesystemLock_ReleasedInTime(t *testing.T) {
	l, c := newDeferredLockForTest(t)
	if ok, _ := l.Lock(); !ok {
		t.Fatal("Lock failed")
	}
	c.CallLater(time.Second, func() { _ = l.Unlock() })
	d := l.DeferUntilLocked(10 * time.Second)
	c.Pump(seconds(10)...)
	if !d.Called() || d.Result() != nil || !l.Locked() {
		t.Fatalf("after release: %v, locked %v", d, l.Locked())
	}
}

// test_concurrentUsage: a second wait while one waits fails at once.
func TestDeferredFilesystemLock_ConcurrentWaitRefused(t *testing.T) {
	l, c := newDeferredLockForTest(t)
	_, _ = l.Lock()
	c.CallLater(time.Second, func() { _ = l.Unlock() })
	d1 := l.DeferUntilLocked(0)
	d2 := l.DeferUntilLocked(0)
	if f, ok := d2.Result().(*Failure); !ok || f.Check(ErrAlreadyTryingToLock) == nil {
		t.Fatalf("second wait: %v, want ErrAlreadyTryingToLock", d2)
	}
	d2.AddErrback(func(*Failure) (any, error) { return nil, nil })
	c.Advance(time.Second)
	if !d1.Called() || d1.Result() != nil {
		t.Fatalf("first wait: %v", d1)
	}
}

// test_multipleUsages: the value can wait again once a wait succeeded,
// even from the callback of that wait.
func TestDeferredFilesystemLock_WaitAgain(t *testing.T) {
	l, c := newDeferredLockForTest(t)
	_, _ = l.Lock()
	c.CallLater(time.Second, func() { _ = l.Unlock() })
	d := l.DeferUntilLocked(0).AddCallback(func(any) (any, error) {
		if err := l.Unlock(); err != nil {
			return nil, err
		}
		return l.DeferUntilLocked(0), nil
	})
	c.Advance(time.Second)
	if !d.Called() || d.Result() != nil || !l.Locked() {
		t.Fatalf("second use: %v, locked %v", d, l.Locked())
	}
}

// test_cancelDeferUntilLocked and test_cancelDeferUntilLockedWithTimeout:
// cancelling stops the retry and the timeout and fails with ErrCancelled.
func TestDeferredFilesystemLock_Cancel(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Second} {
		l, c := newDeferredLockForTest(t)
		_, _ = l.Lock()
		d := l.DeferUntilLocked(timeout)
		calls := c.GetDelayedCalls()
		if want := 1 + min(int(timeout/time.Second), 1); len(calls) != want {
			t.Fatalf("timeout %v: %d calls scheduled, want %d", timeout, len(calls), want)
		}
		d.Cancel()
		for _, call := range calls {
			if call.Active() {
				t.Errorf("timeout %v: %v still active after cancel", timeout, call)
			}
		}
		if l.tryLockCall != nil || l.timeoutCall != nil {
			t.Errorf("timeout %v: timers still recorded", timeout)
		}
		if f, ok := d.Result().(*Failure); !ok || f.Check(ErrCancelled) == nil {
			t.Fatalf("timeout %v: cancelled wait holds %v", timeout, d.Result())
		}
		d.AddErrback(func(*Failure) (any, error) { return nil, nil })
	}
}

// An error of the system calls fails the wait, where Twisted raises (or
// logs it in a retry and never fires).
func TestDeferredFilesystemLock_SystemErrorFailsTheWait(t *testing.T) {
	ownUnhandled(t)
	l, c := newDeferredLockForTest(t)
	_, _ = l.Lock()
	l.ops = fakeLockOps()
	d := l.DeferUntilLocked(0)
	l.ops.kill = func(int, syscall.Signal) error { return syscall.EPERM }
	c.Advance(time.Second)
	if f, ok := d.Result().(*Failure); !ok || !errors.Is(f, syscall.EPERM) {
		t.Fatalf("wait after a kill error: %v", d)
	}
	if n := len(c.GetDelayedCalls()); n != 0 {
		t.Errorf("%d calls left scheduled", n)
	}
}

// A nil Time is refused at once.
func TestDeferredFilesystemLock_NilTimePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewDeferredFilesystemLock("x", nil)
}
