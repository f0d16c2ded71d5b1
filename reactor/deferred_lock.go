package reactor

// Twisted's concurrency primitives for code driven by a reactor
// (twisted.internet.defer's DeferredLock, DeferredSemaphore): acquiring
// returns a Deferred that fires once the lock or token is yours, rather
// than blocking. Like every Deferred, they belong to the reactor goroutine;
// they are not goroutine-safe (a sync.Mutex is the tool between goroutines).

// ErrNotAcquired is returned by [DeferredLock.Release] of a lock that is
// not locked, and by [DeferredSemaphore.Release] when every token is
// already back (Twisted fails an assertion).
var ErrNotAcquired = kind("released more times than acquired", nil)

// ErrSemaphoreTokens is returned by [NewDeferredSemaphore] for fewer than
// one token (Twisted raises ValueError), and is the failure of Acquire on a
// zero DeferredSemaphore, which has none.
var ErrSemaphoreTokens = kind("a DeferredSemaphore needs at least one token", nil)

// DeferredLock ports defer.DeferredLock: a lock for code that waits with
// Deferreds. The zero value is an unlocked lock, ready to use.
type DeferredLock struct {
	locked  bool
	waiting waitList
}

// Locked reports whether the lock is held (Twisted's locked attribute): a
// way to look before an Acquire that would wait.
func (l *DeferredLock) Locked() bool { return l.locked }

// Acquire ports acquire: it returns a Deferred that fires with l once l is
// held by the caller — at once when l is free, otherwise after the
// Releases that let the earlier waiters through, first come first served.
// Cancelling a Deferred still waiting takes it out of the line and fails it
// with [ErrCancelled] (Twisted's _cancelAcquire); cancelling one that has
// fired does nothing, and the caller holds the lock.
func (l *DeferredLock) Acquire() *Deferred {
	d := NewDeferred(l.cancelAcquire)
	if l.locked {
		l.waiting.push(d)
		return d
	}
	l.locked = true
	_ = d.Callback(l)
	return d
}

func (l *DeferredLock) cancelAcquire(d *Deferred) { l.waiting.remove(d) }

// Release ports release: it frees l, handing it straight to the oldest
// waiting Acquire, whose Deferred fires before Release returns. Releasing
// an unlocked lock returns [ErrNotAcquired] and changes nothing.
func (l *DeferredLock) Release() error {
	if !l.locked {
		return ErrNotAcquired
	}
	l.locked = false
	if l.waiting.len() > 0 {
		l.locked = true
		_ = l.waiting.pop().Callback(l)
	}
	return nil
}

// Run ports run: it acquires l, then calls f and releases l once f's result
// is there — after the Deferred f returns has fired, if it returns one. The
// Deferred Run returns fires with f's result, or fails with its error or
// panic. Twisted's extra arguments to run become variables f closes over.
// A nil f panics, naming it.
func (l *DeferredLock) Run(f func() (any, error)) *Deferred {
	return runAcquired("DeferredLock", l, f)
}

// DeferredSemaphore ports defer.DeferredSemaphore: at most Limit holders at
// once, each holding a token. Make one with [NewDeferredSemaphore]; a zero
// DeferredSemaphore has no tokens, and its Acquire fails with
// [ErrSemaphoreTokens].
type DeferredSemaphore struct {
	tokens, limit int
	waiting       waitList
}

// NewDeferredSemaphore ports DeferredSemaphore(tokens): a semaphore with
// tokens tokens free, which is also its limit. Fewer than one token is
// refused with [ErrSemaphoreTokens], as Twisted raises ValueError.
func NewDeferredSemaphore(tokens int) (*DeferredSemaphore, error) {
	if tokens < 1 {
		return nil, ErrSemaphoreTokens
	}
	return &DeferredSemaphore{tokens: tokens, limit: tokens}, nil
}

// Tokens returns how many tokens are free (Twisted's tokens): the limit
// less the holders.
func (s *DeferredSemaphore) Tokens() int { return s.tokens }

// Limit returns the most holders there may be at once (Twisted's limit).
func (s *DeferredSemaphore) Limit() int { return s.limit }

// Acquire ports acquire: it returns a Deferred that fires with s once the
// caller holds a token — at once when one is free, otherwise when a
// Release hands one on, first come first served. Cancelling a Deferred
// still waiting takes it out of the line and fails it with [ErrCancelled];
// cancelling one that has fired does nothing.
func (s *DeferredSemaphore) Acquire() *Deferred {
	if s.limit == 0 {
		return Fail(ErrSemaphoreTokens)
	}
	d := NewDeferred(s.cancelAcquire)
	if s.tokens == 0 {
		s.waiting.push(d)
		return d
	}
	s.tokens--
	_ = d.Callback(s)
	return d
}

func (s *DeferredSemaphore) cancelAcquire(d *Deferred) { s.waiting.remove(d) }

// Release ports release: it gives a token back, handing it straight to the
// oldest waiting Acquire, whose Deferred fires before Release returns.
// Releasing when every token is free returns [ErrNotAcquired] and changes
// nothing.
func (s *DeferredSemaphore) Release() error {
	if s.tokens >= s.limit {
		return ErrNotAcquired
	}
	s.tokens++
	if s.waiting.len() > 0 {
		s.tokens--
		_ = s.waiting.pop().Callback(s)
	}
	return nil
}

// Run ports run, as [DeferredLock.Run] does, holding one token of s while
// f's result is pending.
func (s *DeferredSemaphore) Run(f func() (any, error)) *Deferred {
	return runAcquired("DeferredSemaphore", s, f)
}

// acquirer is what Twisted's _ConcurrencyPrimitive gives run.
type acquirer interface {
	Acquire() *Deferred
	Release() error
}

// runAcquired is Twisted's _ConcurrencyPrimitive.run: acquire, call f as
// maybeDeferred does, release when its result is there, and pass that
// result on.
func runAcquired(what string, p acquirer, f func() (any, error)) *Deferred {
	if f == nil {
		panic("reactor: " + what + ".Run: nil func")
	}
	return p.Acquire().AddCallback(func(any) (any, error) {
		return MaybeDeferred(f).AddBoth(func(v any) (any, error) {
			if err := p.Release(); err != nil {
				return nil, err // f released what Run holds: as Twisted's assertion fails there
			}
			return v, nil
		}), nil
	})
}
