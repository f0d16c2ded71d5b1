package reactor

import "time"

// ErrAlreadyTryingToLock ports defer.AlreadyTryingToLockError: the failure
// of [DeferredFilesystemLock.DeferUntilLocked] while an earlier call still
// waits for the lock.
var ErrAlreadyTryingToLock = kind("DeferUntilLocked is already waiting for this lock", nil)

// defaultLockInterval is how often DeferUntilLocked tries the lock, as
// Twisted's _interval.
const defaultLockInterval = time.Second

// DeferredFilesystemLock ports defer.DeferredFilesystemLock: a
// [FilesystemLock] (embedded, so Lock, Unlock, Locked, Clean and Name are
// its methods) that can wait for the lock with a Deferred, trying again on
// a schedule. Make one with [NewDeferredFilesystemLock].
type DeferredFilesystemLock struct {
	FilesystemLock

	// Interval is how long DeferUntilLocked waits between two tries; 0 (or
	// less) means one second, Twisted's _interval.
	Interval time.Duration

	s           Time
	tryLockCall *DelayedCall
	timeoutCall *DelayedCall
}

// NewDeferredFilesystemLock ports DeferredFilesystemLock(name, scheduler):
// a lock at path name whose retries are scheduled on s (the reactor, or a
// Clock in tests; braid has no global reactor to default to). A nil s
// panics, naming it.
func NewDeferredFilesystemLock(name string, s Time) *DeferredFilesystemLock {
	if s == nil {
		panic("reactor: NewDeferredFilesystemLock: nil Time (pass the reactor or a Clock)")
	}
	return &DeferredFilesystemLock{FilesystemLock: FilesystemLock{name: name}, s: s}
}

// DeferUntilLocked ports deferUntilLocked: a Deferred that fires with nil
// once this value holds the lock. It tries at once, then every Interval on
// the Time given to NewDeferredFilesystemLock. With a timeout above 0, it
// fails with a *[TimeoutError] (What names the lock) if the lock is still
// taken after that long — after one last try, as Twisted's does; 0 waits
// for ever. While a call waits, another fails at once with
// [ErrAlreadyTryingToLock]. Cancelling the Deferred stops the retries and,
// unless a last try takes the lock (then it fires with nil), fails it with
// [ErrCancelled].
//
// Where Twisted raises (or, in a retry, logs) an error of the system calls
// and leaves its Deferred unfired, braid fails the Deferred with it. And
// where Twisted keeps a timed-out call's timer, so that a later
// DeferUntilLocked on the same value never times out, braid starts afresh.
func (l *DeferredFilesystemLock) DeferUntilLocked(timeout time.Duration) *Deferred {
	if l.tryLockCall != nil {
		return Fail(ErrAlreadyTryingToLock)
	}
	var d *Deferred
	d = NewDeferred(func(*Deferred) { l.giveUp(d, ErrCancelled) })
	l.tryLock(d, timeout)
	return d
}

// tryLock is one try: on success or error it fires d, otherwise it
// schedules the next try (and, the first time, the timeout).
func (l *DeferredFilesystemLock) tryLock(d *Deferred, timeout time.Duration) {
	ok, err := l.Lock()
	if ok || err != nil {
		l.stopTimers()
		if err != nil {
			_ = d.Errback(err)
		} else {
			_ = d.Callback(nil)
		}
		return
	}
	if timeout > 0 && l.timeoutCall == nil {
		l.timeoutCall = l.s.CallLater(timeout, func() {
			l.giveUp(d, &TimeoutError{Timeout: timeout, What: "acquiring lock " + l.name})
		})
	}
	interval := l.Interval
	if interval <= 0 {
		interval = defaultLockInterval
	}
	l.tryLockCall = l.s.CallLater(interval, func() {
		l.tryLockCall = nil
		l.tryLock(d, timeout)
	})
}

// giveUp is Twisted's _cancelLock: stop trying, make one last try, and
// fail d with reason if that one does not take the lock either.
func (l *DeferredFilesystemLock) giveUp(d *Deferred, reason error) {
	l.stopTimers()
	switch ok, err := l.Lock(); {
	case err != nil:
		_ = d.Errback(err)
	case ok:
		_ = d.Callback(nil)
	default:
		_ = d.Errback(reason)
	}
}

// stopTimers cancels the pending retry and timeout, if any.
func (l *DeferredFilesystemLock) stopTimers() {
	for _, c := range []**DelayedCall{&l.tryLockCall, &l.timeoutCall} {
		if *c != nil && (*c).Active() {
			_ = (*c).Cancel()
		}
		*c = nil
	}
}
