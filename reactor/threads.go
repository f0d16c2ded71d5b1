package reactor

// The reactor's side of IReactorThreads: its pool, made on first use.

// CallInThread ports callInThread: f runs on one of the reactor's pool
// goroutines, at most [defaultThreadPoolSize] (10) at once unless
// SuggestThreadPoolSize says otherwise; further calls wait in FIFO order.
// As in Twisted, nothing runs before the reactor does: calls made earlier
// wait for startup. A panic in f is logged (on the reactor goroutine). f
// must not touch the reactor's state; it hands results back with
// CallFromThread (or use [DeferToThread]).
//
// The pool stops in the reactor's 'during shutdown' phase, as Twisted's:
// the calls already queued still run, and shutdown waits for them all to
// return (saying so through [Reactor.Logger] after a few seconds). After
// that, and after Close, CallInThread returns [ErrThreadPoolStopped]
// (Twisted drops the call). A nil f panics, naming it.
//
// Like the rest of the reactor but CallFromThread, CallInThread belongs to
// the reactor goroutine.
func (r *Reactor) CallInThread(f func()) error {
	if f == nil {
		panic("reactor: CallInThread: nil function")
	}
	return r.threadPool().add(poolItem{run: f})
}

// callInThreadOr is CallInThread for DeferToThread: refuse is told, on
// the reactor goroutine, if the pool stops before f could run.
func (r *Reactor) callInThreadOr(f func(), refuse func(error)) error {
	return r.threadPool().add(poolItem{run: f, refuse: refuse})
}

// SuggestThreadPoolSize ports suggestThreadPoolSize: at most size pool
// goroutines run at once from now on; goroutines beyond it end when they
// finish their current call. A size of 0 holds every call queued until
// the size is raised. It returns [ErrNegativeThreadPoolSize] for a size
// below 0.
func (r *Reactor) SuggestThreadPoolSize(size int) error {
	if size < 0 {
		return ErrNegativeThreadPoolSize
	}
	r.threadPool().resize(size)
	return nil
}

// threadPool returns the pool, making it on first use as Twisted's
// getThreadPool does: it starts once the reactor runs and stops at
// shutdown. A reactor that has shut down gets a pool that is stopped.
func (r *Reactor) threadPool() *threadPool {
	if r.pool != nil {
		return r.pool
	}
	p := &threadPool{size: defaultThreadPoolSize}
	p.notify = func() { r.CallFromThread(p.logPanics) }
	p.log = func(f *Failure) { r.LogError(f, "callInThread") }
	p.logger = r.Logger
	r.pool = p
	if r.halted.isHalted() {
		p.stopped = true
		return p
	}
	r.CallWhenRunning(p.start)
	_, _ = r.AddSystemEventTrigger(During, "shutdown", func() *Deferred {
		r.stopThreads()
		return nil
	})
	return p
}

// stopThreads ends what runs on other goroutines for the reactor: blocking
// calls stop waiting, then the pool stops. Shutdown and Close call it.
func (r *Reactor) stopThreads() {
	r.halted.halt()
	if r.pool != nil {
		r.pool.stop()
	}
}
