package trial

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/braid-go/braid/reactor"
)

// TB is what trial needs of a test: *testing.T satisfies it, and so does
// testing.TB. trial's own tests pass a recording fake to watch an inner
// test fail. If the value also has a Deadline method (as *testing.T does),
// timeouts are cut to fit the `go test -timeout` deadline.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Name() string
	Failed() bool
}

// deadliner is the optional part of TB.
type deadliner interface {
	Deadline() (time.Time, bool)
}

// DefaultTimeout is trial's default timeout for a test (TR-03): 120 s.
const DefaultTimeout = 120 * time.Second

// Option configures Run.
type Option func(*config)

type config struct {
	timeout time.Duration
}

// Timeout ports a test's timeout attribute (TR-03): how long the Deferred
// returned by the test may take to fire, and each cleanup's Deferred too,
// before the test fails. The default is DefaultTimeout. Whatever is asked,
// Run never waits past the test binary's deadline (go test -timeout): it
// stops early enough to report and clean up.
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// TimeoutError ports the defer.TimeoutError trial gives a test that is still
// running when its timeout expires (TR-04). Clamped says the timeout was cut
// to fit the go test deadline. It unwraps to a *reactor.DeferTimeoutError.
type TimeoutError struct {
	Test    string
	Phase   string // "test" or "cleanup"
	Timeout time.Duration
	Clamped bool
}

// Error says which test is still running after how long, as trial does.
func (e *TimeoutError) Error() string {
	secs := strconv.FormatFloat(e.Timeout.Round(time.Millisecond).Seconds(), 'f', -1, 64)
	s := fmt.Sprintf("%s (%s) still running at %s secs", e.Test, e.Phase, secs)
	if e.Clamped {
		s += " (timeout cut short to fit the go test -timeout deadline)"
	}
	return s
}

// Unwrap returns the equivalent *reactor.DeferTimeoutError.
func (e *TimeoutError) Unwrap() error { return &reactor.DeferTimeoutError{Timeout: e.Timeout} }

// runMu makes trial.Run calls of one test binary take turns. Unhandled
// errors in Deferreds and suspended InlineCallbacks bodies are tracked
// process-wide (a Deferred knows no reactor), so two overlapping runs could
// not tell whose they are. Tests marked t.Parallel may call Run; their Run
// sections then simply do not overlap, as trial runs tests one by one.
var runMu sync.Mutex

// lockRun takes runMu, saying what it waits for when another test's Run
// holds it for long (a subtest calling Run from inside its parent's Run
// would wait forever).
func lockRun(t TB) {
	if runMu.TryLock() {
		return
	}
	locked := make(chan struct{})
	go func() {
		runMu.Lock() // a sync.Mutex may be unlocked by another goroutine
		close(locked)
	}()
	start := time.Now()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-locked:
			return
		case <-tick.C:
			t.Logf("trial.Run: %s has waited %v for another test's trial.Run to end (trial.Run calls take turns; a subtest cannot call it inside its parent's)", t.Name(), time.Since(start).Round(time.Second))
		}
	}
}

// active is the run in progress, for FlushLoggedErrors and AddCleanup and
// for the process-wide unhandled-error observer.
var active struct {
	mu  sync.Mutex
	run *testRun
}

// testRun is one Run: a test, its reactor and what the test left behind.
type testRun struct {
	t   TB
	r   *reactor.Reactor
	cfg config

	mu       sync.Mutex // guards logged: the GC observer runs on its own goroutine
	logged   []reactor.ErrorEvent
	cleanups []func() *reactor.Deferred

	inlineBefore map[*reactor.PendingInline]bool
	restoreGC    func()
}

// Run ports running one trial test method: f gets a fresh reactor and
// returns the test's Deferred (or nil for nothing to wait on). As in trial,
// f runs before the reactor starts, on the calling goroutine, which then
// runs the reactor until the Deferred fires; a Deferred that has already
// fired needs no reactor at all (TR-01). Call Run from the test goroutine:
// the test's callbacks run on it, so t.Fatal works inside them.
//
// The test fails when the Deferred fails (with the Failure's traceback), when
// it has not fired after the timeout (TR-04; see Timeout), when f panics,
// when a cleanup registered with AddCleanup fails, when an error was logged
// or a Deferred was left holding an unhandled error (TR-07, unless flushed
// with FlushLoggedErrors), and when the test leaves the reactor dirty
// (TR-06, TR-08, W-04; see DirtyReactorAggregateError). What it left is then
// cleaned up and the reactor closed, so the next test starts clean.
func Run(t TB, f func(r *reactor.Reactor) *reactor.Deferred, opts ...Option) {
	t.Helper()
	cfg := config{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if runFor(t) != nil {
		t.Fatalf("trial.Run called inside trial.Run for %s: a test has one reactor", t.Name())
		return
	}
	lockRun(t)
	defer runMu.Unlock()
	r, err := reactor.New()
	if err != nil {
		t.Fatalf("trial: cannot make a reactor: %v", err)
		return
	}
	r.SetCallSites(true) // the dirty-reactor report names the line of each pending call
	ru := &testRun{t: t, r: r, cfg: cfg}
	ru.begin()
	// The cleanups and the janitor run even when the test calls t.Fatal
	// (runtime.Goexit) from a callback in the middle of the reactor loop,
	// as trial runs cleanups whatever the test did (TR-02).
	defer ru.finish()
	defer ru.runCleanups()
	ru.runTest(f)
}

// RunSync is Run for a test with nothing to wait on (trial's
// SynchronousTestCase style, with a reactor and the dirty-reactor check).
func RunSync(t TB, f func(r *reactor.Reactor), opts ...Option) {
	t.Helper()
	Run(t, func(r *reactor.Reactor) *reactor.Deferred {
		f(r)
		return nil
	}, opts...)
}

// AddCleanup ports addCleanup for a test running under Run: f runs after
// the test's Deferred has fired, cleanups in reverse order of registration,
// before the dirty-reactor check (TR-02). A Deferred f returns is waited
// for, with the test's timeout; its failure, or a panic, fails the test, and
// the remaining cleanups still run. Use it for what needs the reactor to
// finish (stopping a listening port, ending a process); use t.Cleanup for
// the rest.
func AddCleanup(t TB, f func() *reactor.Deferred) {
	t.Helper()
	ru := runFor(t)
	if ru == nil {
		t.Errorf("trial.AddCleanup: no trial.Run in progress for %s", t.Name())
		return
	}
	ru.cleanups = append(ru.cleanups, f)
}

func runFor(t TB) *testRun {
	active.mu.Lock()
	defer active.mu.Unlock()
	if active.run != nil && active.run.t == t {
		return active.run
	}
	return nil
}

func (ru *testRun) begin() {
	// Failures left unhandled by code that ran before this test are not
	// this test's: say so in its log, and keep them out of its report.
	for _, f := range reactor.FlushUnhandledErrors() {
		ru.t.Logf("trial: before %s started, a Deferred was left with an unhandled error:\n%s", ru.t.Name(), f.Traceback())
	}
	for _, p := range reactor.PendingInlineCallbacks() {
		if ru.inlineBefore == nil {
			ru.inlineBefore = make(map[*reactor.PendingInline]bool)
		}
		ru.inlineBefore[p] = true
	}
	ru.r.SetErrorObserver(ru.observe)
	ru.restoreGC = reactor.SetUnhandledErrorObserver(ru.observeCollected)
	active.mu.Lock()
	active.run = ru
	active.mu.Unlock()
}

// limit returns how long a phase may wait: the configured timeout, cut to
// leave time for reporting and cleanup before the test binary's deadline.
func (ru *testRun) limit() (time.Duration, bool) {
	d := ru.cfg.timeout
	dl, ok := ru.t.(deadliner)
	if !ok {
		return d, false
	}
	end, has := dl.Deadline()
	if !has {
		return d, false
	}
	left := time.Until(end)
	margin := min(max(left/10, time.Second), 15*time.Second)
	if room := left - margin; room < d {
		return max(room, 0), true
	}
	return d, false
}

// runTest calls f and waits for its Deferred (trial's _run and _wait).
func (ru *testRun) runTest(f func(*reactor.Reactor) *reactor.Deferred) {
	t, r := ru.t, ru.r
	d := callTest(f, r)
	timeout, clamped := ru.limit()
	finished := false
	call := r.CallLater(timeout, func() {
		terr := &TimeoutError{Test: t.Name(), Phase: "test", Timeout: timeout, Clamped: clamped}
		// As trial: errback the test's Deferred, so its own errbacks see
		// the timeout. If it cannot take it (it was fired and now waits on
		// another Deferred) or its chain does not reach the end, stop
		// waiting and report the timeout here.
		_ = d.Errback(reactor.NewFailure(terr))
		if !finished {
			t.Errorf("trial: %v; the test's Deferred is %v", terr, d)
			r.Crash()
		}
	})
	waiting := true
	d.AddBoth(func(v any) (any, error) {
		if !waiting {
			return nil, nil // fired after its timeout: too late to count
		}
		finished = true
		if call.Active() {
			_ = call.Cancel()
		}
		if f, ok := v.(*reactor.Failure); ok {
			ru.reportTestFailure(f)
		}
		if r.Running() {
			r.Crash()
		}
		return nil, nil
	})
	defer func() { waiting = false }()
	if finished {
		return
	}
	err := r.Run()
	if call.Active() {
		_ = call.Cancel()
	}
	if err != nil {
		t.Errorf("trial: cannot run the reactor: %v", err)
		return
	}
	if !finished && !call.Called() {
		t.Errorf("trial: the reactor stopped before the test's Deferred fired (a test must not call Stop; trial swaps it for Crash, TR-09); the Deferred is %v", d)
	}
}

// callTest calls f, turning a panic into a failed Deferred.
func callTest(f func(*reactor.Reactor) *reactor.Deferred, r *reactor.Reactor) (d *reactor.Deferred) {
	defer func() {
		if v := recover(); v != nil {
			d = reactor.Fail(reactor.NewFailure(&reactor.PanicError{Value: v}))
		}
	}()
	if d = f(r); d == nil {
		d = reactor.Succeed(nil)
	}
	return d
}

func (ru *testRun) reportTestFailure(f *reactor.Failure) {
	ru.t.Helper()
	var ft *FailTest
	var te *TimeoutError
	switch {
	case errors.As(f, &te):
		ru.t.Errorf("trial: %v", te)
	case errors.As(f, &ft):
		ru.t.Errorf("trial: %s", ft.Message)
	default:
		ru.t.Errorf("trial: the test's Deferred failed:\n%s", f.Traceback())
	}
}

// runCleanups runs the AddCleanup functions, last first, each to the end
// (trial's deferRunCleanups).
func (ru *testRun) runCleanups() {
	// After a t.Fatal the loop may have been left mid-pass.
	ru.r.Crash()
	for i := 0; len(ru.cleanups) > 0; i++ {
		n := len(ru.cleanups) - 1
		f := ru.cleanups[n]
		ru.cleanups = ru.cleanups[:n]
		d := callTest(func(*reactor.Reactor) *reactor.Deferred { return f() }, ru.r)
		if !ru.wait(d, "cleanup") {
			continue
		}
		d.AddErrback(func(f *reactor.Failure) (any, error) {
			ru.t.Errorf("trial: a cleanup failed:\n%s", f.Traceback())
			return nil, nil
		})
	}
}

// wait runs the reactor until d fires or the timeout expires; it reports
// the timeout and returns false in the latter case.
func (ru *testRun) wait(d *reactor.Deferred, phase string) bool {
	r := ru.r
	timeout, clamped := ru.limit()
	fired, waiting := false, true
	call := r.CallLater(timeout, func() {
		ru.t.Errorf("trial: %v; waiting on %v", &TimeoutError{Test: ru.t.Name(), Phase: phase, Timeout: timeout, Clamped: clamped}, d)
		r.Crash()
	})
	d.AddBoth(func(v any) (any, error) {
		if !waiting {
			return v, nil // fired after its timeout
		}
		fired = true
		if call.Active() {
			_ = call.Cancel()
		}
		if r.Running() {
			r.Crash()
		}
		return v, nil
	})
	defer func() { waiting = false }()
	if !fired {
		if err := r.Run(); err != nil {
			ru.t.Errorf("trial: cannot run the reactor for a %s: %v", phase, err)
		}
	}
	if call.Active() {
		_ = call.Cancel()
	}
	return fired
}
