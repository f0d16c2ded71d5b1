package reactor

import (
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"weak"

	"github.com/braid-go/braid/internal/tracking"
)

// Reactor ports Twisted's reactor: one goroutine runs every timed call, I/O
// handler, protocol method and Deferred callback. Create one with New;
// there is no global reactor, so tests can each have their own.
//
// Threading: only CallFromThread is safe from other goroutines. Every other
// method is called from the goroutine running Run (or before Run starts).
type Reactor struct {
	poller *poller
	timers timerQueue
	base   time.Time // monotonic zero of the timer clock
	unix0  float64   // wall-clock seconds at base

	threadMu    sync.Mutex
	threadCalls []func()
	// threadQueued mirrors len(threadCalls) > 0 (written under threadMu)
	// for the reactor goroutine's lock-free looks: in timeout, and while
	// it spins before sleeping (idleSpin).
	threadQueued atomic.Bool
	threadSpare  []func()
	closed       bool // poller released; guarded by threadMu for CallFromThread
	// sleeping is set while the reactor goroutine is in, or about to enter,
	// a blocking poll. CallFromThread writes the eventfd only then: a
	// reactor that is awake sees the queue at its next pass anyway, and each
	// write is a syscall plus, usually, a cross-CPU wake-up.
	sleeping atomic.Bool

	fds map[int]*fdEntry
	gen uint32
	// presumed lists the writers that get DoWrite after the next poll
	// without having been registered for writability (loop_presumed.go);
	// presumedSpare is the other half of the double buffer.
	presumed, presumedSpare []*fdEntry
	polls                   uint64 // polls made: the numbering of fdEntry.lastPoll
	polledOrder             uint32 // descriptors dispatched in this pass so far
	leftovers               []*fdEntry

	// State flags, named as Twisted's ReactorBase has them (R-11..R-15).
	started       bool // Run is looping
	running       bool // the startup 'during' phase has run
	stopped       bool // Stop was called, or Run has not started
	justStopped   bool // Stop was called this pass: fire shutdown at its end
	startedBefore bool // Stop was called once: Run is refused afterwards

	events   SystemEvents
	observer func(ErrorEvent)
	logger   *slog.Logger // nil: slog.Default() at the time of logging

	// scope holds what this reactor tracks of Deferreds: the unhandled
	// errors and suspended InlineCallbacks bodies its goroutine left.
	scope *tracking.Scope

	installSignals bool
	signalStop     func()

	coop   *Cooperator // Cooperator(), made on first use
	pool   *threadPool // CallInThread's, made on first use
	halted haltSignal  // fired at shutdown: BlockingCallFromThread stops waiting
}

// Option configures New.
type Option func(*Reactor)

// WithSignalHandlers makes Run stop the reactor on SIGINT and SIGTERM, as
// Twisted's run(installSignalHandlers=True) does. By default braid installs
// none: signal handling is process-wide, and tests run many reactors.
func WithSignalHandlers() Option { return func(r *Reactor) { r.installSignals = true } }

// WithErrorObserver sets the function that receives every error the reactor
// logs (Twisted's log observers, per reactor): panics in timed calls,
// triggers and I/O handlers, errors transports and protocols log through
// LogError, and the unhandled errors of this reactor's Deferreds (Why is
// "Unhandled error in Deferred"). It runs on the reactor goroutine. Without
// one, errors go to the reactor's logger (see [WithLogger]), where a
// [LogCapture] can collect them; trial does so, and fails the test with
// those it finds.
func WithErrorObserver(f func(ErrorEvent)) Option { return func(r *Reactor) { r.observer = f } }

// WithLogger sets the logger the reactor writes to (Twisted's log
// publisher, per reactor): the errors it logs when it has no error
// observer (see [Reactor.LogError]) and what braid's helpers log through
// [Reactor.Logger]. By default that is slog.Default(). [LogCapture] is a
// handler that keeps the records, for tests.
func WithLogger(l *slog.Logger) Option { return func(r *Reactor) { r.logger = l } }

// WithDebugging ports defer.setDebugging(True) and DelayedCall.debug for this
// reactor alone: Deferreds made on its goroutine record where they were made
// and first fired (an *AlreadyCalledError names both, and so does the
// report of an unhandled error such a Deferred leaves), and DelayedCall.String
// names the line that scheduled the call. It also checks the threading
// contract: Callback or Errback of such a Deferred on a goroutine that does
// not run its reactor panics, naming CallFromThread, where without -race
// the mistake would go unnoticed. Each of these costs a stack read, so
// leave it off where speed matters.
func WithDebugging() Option { return func(r *Reactor) { r.scope.Debugging = true } }

// New returns a reactor that is not yet running. It fails only if the
// kernel refuses its poller (an epoll set and an eventfd on Linux, a kqueue
// and a pipe on macOS and the BSDs), for instance when out of descriptors. Call Run to start it; a reactor that is never run, or only
// crashed, should be released with Close.
//
// The reactor belongs to the goroutine that makes it and, once it runs, to
// the one running it: Deferreds that fail unhandled on that goroutine are
// this reactor's to report (see [WithErrorObserver]).
func New(opts ...Option) (*Reactor, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	r := &Reactor{
		poller:  p,
		base:    time.Now(),
		fds:     make(map[int]*fdEntry),
		stopped: true,
		scope:   &tracking.Scope{},
	}
	r.unix0 = float64(r.base.UnixNano()) / 1e9
	r.timers.now = r.now
	r.timers.seconds = func(t int64) float64 { return r.unix0 + float64(t)/1e9 }
	r.timers.callSites = &r.scope.CallSites
	for _, o := range opts {
		o(r)
	}
	if r.scope.Debugging {
		r.scope.CallSites = true
	}
	r.register()
	// The reactor's own triggers come first.
	_, _ = r.AddSystemEventTrigger(During, "startup", r.reallyStartRunning)
	_, _ = r.AddSystemEventTrigger(During, "shutdown", r.crashTrigger)
	_, _ = r.AddSystemEventTrigger(During, "shutdown", r.disconnectAll)
	// Backstop: a reactor dropped without Close still gives its fds back.
	runtime.AddCleanup(r, func(p *poller) { p.close() }, p)
	return r, nil
}

// register makes r the owner of what its goroutine's Deferreds leave
// behind (see internal/tracking).
func (r *Reactor) register() {
	wr := weak.Make(r)
	r.scope.Collected = func() {
		if r := wr.Value(); r != nil {
			r.CallFromThread(r.logCollected)
		}
	}
	tracking.Register(r, r.scope)
	runtime.AddCleanup(r, (*tracking.Scope).Release, r.scope)
}

// logCollected logs, on r's goroutine, the failures of r's Deferreds that
// the garbage collector found unhandled (a cleanup runs on a goroutine of
// its own). Until then they stay tracked, so a flush still finds them.
func (r *Reactor) logCollected() {
	for _, err := range r.scope.TakeCollected() {
		r.LogError(err.(*Failure), whyUnhandled)
	}
}

func (r *Reactor) now() int64 { return int64(time.Since(r.base)) }

// Seconds ports seconds(): the current wall-clock time in seconds since the
// Unix epoch, as a float, measured on the monotonic clock.
func (r *Reactor) Seconds() float64 { return r.timers.seconds(r.timers.now()) }

// Running reports whether the reactor is running (Twisted's running flag:
// true from the startup 'during' phase until the shutdown 'during' phase).
func (r *Reactor) Running() bool { return r.running }

// CallLater ports callLater: f runs once, delay from now, on the
// reactor goroutine. A call made while the reactor is running due calls
// runs in a later pass, never in the same one; calls due at the same
// time run in the order they were scheduled (FIFO, unlike Twisted's heap,
// A negative delay means "as soon as possible" (Twisted asserts); a
// nil f schedules a call that does nothing. A panic in f is logged and the
// pass goes on.
func (r *Reactor) CallLater(delay time.Duration, f func()) *DelayedCall {
	var site *[3]uintptr
	if *r.timers.callSites {
		site = callSite()
	}
	return r.timers.schedule(delay, f, site)
}

// GetDelayedCalls ports getDelayedCalls: the pending calls, in no
// particular order. Calls that have run or were cancelled are not included.
func (r *Reactor) GetDelayedCalls() []*DelayedCall { return r.timers.calls() }

// CallFromThread ports callFromThread, the one method that is safe
// from any goroutine: f is queued and runs on the reactor goroutine at the
// start of its next pass, in FIFO order with other queued calls. A panic in
// f is logged; a nil f is ignored. Once the reactor is released — Run has
// returned after Stop, or Close was called — calls are kept only for a late
// Iterate, and at most maxCallsWhileReleased of them: beyond that f is
// dropped, so that a goroutine outliving its reactor cannot grow memory
// for ever (Twisted keeps every call).
func (r *Reactor) CallFromThread(f func()) {
	if f == nil {
		return
	}
	r.threadMu.Lock()
	defer r.threadMu.Unlock()
	if r.closed && len(r.threadCalls) >= maxCallsWhileReleased {
		return
	}
	wasEmpty := len(r.threadCalls) == 0
	r.threadCalls = append(r.threadCalls, f)
	r.threadQueued.Store(true)
	if wasEmpty && !r.closed && r.sleeping.Load() {
		// Under the lock, so release cannot close the eventfd (whose number
		// could then be reused by another file) between the check and the
		// write, nor ensurePoller swap the poller. The write never blocks.
		r.poller.wake()
	}
}

// maxCallsWhileReleased bounds the calls CallFromThread keeps for a
// released reactor.
const maxCallsWhileReleased = 1024

// CallWhenRunning ports callWhenRunning: f runs at once if the
// reactor is running, otherwise as an 'after startup' trigger. A nil f is
// ignored.
func (r *Reactor) CallWhenRunning(f func()) {
	if f == nil {
		return
	}
	if r.running {
		r.protect(f, "callWhenRunning")
		return
	}
	_, _ = r.AddSystemEventTrigger(After, "startup", func() *Deferred { f(); return nil })
}

// Run ports run(): it fires the startup event, then loops until Stop (or
// Crash). It returns [ErrReactorAlreadyRunning] inside Run and
// [ErrReactorNotRestartable] after a Stop. When Run returns after Stop,
// the unhandled errors still held by this reactor's Deferreds are logged
// (D-15) and the reactor's poller descriptors are released.
func (r *Reactor) Run() error {
	if r.started {
		return ErrReactorAlreadyRunning
	}
	if r.startedBefore {
		return ErrReactorNotRestartable
	}
	if err := r.ensurePoller(); err != nil {
		return err
	}
	r.started = true
	r.stopped = false
	r.scope.Running()
	defer r.scope.Stopped()
	r.FireSystemEvent("startup")
	r.mainLoop()
	if r.startedBefore {
		r.release()
	}
	return nil
}

func (r *Reactor) mainLoop() {
	busy := false // the last poll dispatched I/O
	for r.started {
		r.runUntilCurrent()
		t := r.timeout()
		if t != 0 {
			// After a turn that handled I/O, more is usually ready at once
			// (the peer answered): poll without blocking first and skip the
			// yield below, which costs two futex calls a turn on a busy
			// connection. The order of events is the same either way.
			if busy && r.doIteration(0) {
				continue
			}
			// About to block in epoll_pwait2: yield first. A goroutine this
			// pass readied (one a callback sent to on a channel, say) waits
			// in this P's run queue, and a P blocked in a raw syscall is
			// only taken back by sysmon after 20µs or more. Yielding lets it
			// run now: a CallFromThread round trip drops from ~25µs to ~5µs
			// (BenchmarkCallFromThreadRoundTrip). Idle turns pay one Gosched.
			runtime.Gosched()
			r.spinForThreadCalls()
			t = r.timeout()
		}
		busy = r.doIteration(t)
	}
}

// idleSpin is how long the reactor goroutine, out of work, keeps looking
// for a CallFromThread before it blocks in the poller. Waking a thread that
// sleeps in the kernel takes a futex or an eventfd write and, on a virtual
// machine, an interrupt to another vCPU: 10 to 50 µs. A goroutine that
// answers the reactor (a DeferToThread worker, a test's driver) usually
// calls back within a microsecond or two, so a short spin saves most of
// those; on the 2-vCPU machine of bench/RESULTS.md it took the round
// trip's mean from 4.1 to 2.2 µs and its p99 from 50 to 10 µs. An idle
// reactor pays it once per sleep. I/O and timers are unaffected: the spin
// ends at the first thread call, and the timeout is worked out after it.
const idleSpin = 2 * time.Microsecond

// spinForThreadCalls yields for at most idleSpin, until a thread call is
// queued.
func (r *Reactor) spinForThreadCalls() {
	if r.threadQueued.Load() {
		return
	}
	deadline := time.Now().Add(idleSpin)
	for !r.threadQueued.Load() && time.Now().Before(deadline) {
		runtime.Gosched()
	}
}

// Stop ports stop(): the shutdown event fires at the end of the
// current pass; Run returns once its triggers have run. It returns
// [ErrReactorNotRunning] when the reactor is not running or already stopping.
func (r *Reactor) Stop() error {
	if r.stopped {
		return ErrReactorNotRunning
	}
	r.stopped = true
	r.justStopped = true
	r.startedBefore = true
	return nil
}

// Crash ports crash(): Run returns at the end of the current pass
// without firing the shutdown event, and the reactor may be run again.
func (r *Reactor) Crash() {
	r.started = false
	r.running = false
	_, _ = r.AddSystemEventTrigger(During, "startup", r.reallyStartRunning)
}

// Iterate ports iterate(delay): one pass (thread calls, due timed
// calls) and one I/O poll waiting at most delay. It works whether or not the
// reactor is running. A negative delay is taken as 0 (an I/O poll with a
// negative timeout would block until something happens).
func (r *Reactor) Iterate(delay time.Duration) {
	if r.ensurePoller() != nil {
		return
	}
	r.runUntilCurrent()
	r.doIteration(max(delay, 0))
}

// Close releases the reactor's poller descriptors and logs the unhandled
// errors its Deferreds still hold (D-15). Run does this itself when it
// returns after Stop; call Close for a reactor that was never run or only
// crashed. Registered descriptors are not closed. Close is idempotent.
func (r *Reactor) Close() error {
	if r.started {
		return ErrReactorAlreadyRunning
	}
	r.release()
	return nil
}

func (r *Reactor) release() {
	r.stopThreads()
	r.reportUnhandled()
	r.scope.Release()
	r.threadMu.Lock()
	defer r.threadMu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	r.poller.close()
	if r.signalStop != nil {
		r.signalStop()
		r.signalStop = nil
	}
}

// ensurePoller reopens the poller of a reactor that was closed, so that a
// late Iterate or AddReader works instead of touching a closed fd.
func (r *Reactor) ensurePoller() error {
	r.threadMu.Lock()
	defer r.threadMu.Unlock()
	if !r.closed {
		return nil
	}
	p, err := newPoller()
	if err != nil {
		return err
	}
	r.poller = p
	r.closed = false
	tracking.Register(r, r.scope)
	r.fds = make(map[int]*fdEntry)
	clear(r.presumed) // writers of the released poller: nothing to call
	r.presumed = r.presumed[:0]
	runtime.AddCleanup(r, func(p *poller) { p.close() }, p)
	if len(r.threadCalls) > 0 {
		p.wake()
	}
	return nil
}

// runUntilCurrent is one pass of R-03 steps 1 to 5.
func (r *Reactor) runUntilCurrent() {
	r.threadMu.Lock()
	calls := r.threadCalls
	r.threadCalls = r.threadSpare[:0]
	r.threadQueued.Store(false)
	r.threadMu.Unlock()
	for i, f := range calls {
		calls[i] = nil
		r.protect(f, "callFromThread")
	}
	r.threadSpare = calls[:0]

	r.timers.flushPending()
	now := r.timers.now() // the clock is read once per pass (R-03 step 3)
	r.timers.deferAdds = true
	for r.runDue(now) {
		// A call panicked and was logged: go on with the others.
	}
	r.timers.deferAdds = false

	if r.justStopped {
		r.justStopped = false
		r.FireSystemEvent("shutdown")
	}
}

// runDue runs the calls due at now. It returns true when one panicked: the
// panic is logged and the caller calls runDue again for the rest. One
// deferred recover for the whole pass costs less than one per call.
func (r *Reactor) runDue(now int64) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			r.LogError(FailureFromPanic(v), "timed call")
			panicked = true
		}
	}()
	for c := r.timers.popDue(now); c != nil; c = r.timers.popDue(now) {
		c.run()
	}
	return false
}

// timeout returns how long the next poll may block: 0 when there is work
// already or the loop is about to end (Crash), -1 for "until woken",
// otherwise the time to the earliest call. Twisted polls with timeout 0
// whenever running is false, so a 'before startup' trigger waiting on a
// Deferred makes it spin; braid waits for the next timer or I/O instead.
func (r *Reactor) timeout() time.Duration {
	if !r.started || len(r.presumed) > 0 {
		return 0
	}
	if r.threadQueued.Load() {
		return 0
	}
	r.timers.flushPending()
	when, ok := r.timers.next()
	if !ok {
		return -1
	}
	d := time.Duration(when - r.timers.now())
	if d < 0 {
		return 0
	}
	const longest = 2147483 * time.Second // Twisted's clamp (R-03 step 6)
	return min(d, longest)
}

func (r *Reactor) reallyStartRunning() *Deferred {
	r.running = true
	if r.installSignals && r.signalStop == nil {
		r.signalStop = r.handleSignals()
	}
	return nil
}

func (r *Reactor) crashTrigger() *Deferred {
	r.Crash()
	return nil
}

// handleSignals stops the reactor on SIGINT/SIGTERM; it returns the undo.
func (r *Reactor) handleSignals() func() {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for {
			select {
			case <-ch:
				r.CallFromThread(func() { _ = r.Stop() })
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
