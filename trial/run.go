package trial

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/tracking"
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
	timeout   time.Duration
	debugging bool
}

// Timeout ports a test's timeout attribute (TR-03): how long the Deferred
// returned by the test may take to fire, and each cleanup's Deferred too,
// before the test fails. The default is DefaultTimeout. Whatever is asked,
// Run never waits past the test binary's deadline (go test -timeout): it
// stops early enough to report and clean up.
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// Debugging gives the test a reactor made with reactor.WithDebugging: what
// a Twisted test gets from defer.setDebugging(True) in its setUp. The
// Deferreds the test makes record where they were made and first fired.
func Debugging() Option { return func(c *config) { c.debugging = true } }

// TimeoutError ports the defer.TimeoutError trial gives a test that is still
// running when its timeout expires (TR-04). Clamped says the timeout was cut
// to fit the go test deadline. It unwraps to a *reactor.TimeoutError.
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

// Unwrap returns the equivalent *reactor.TimeoutError.
func (e *TimeoutError) Unwrap() error { return &reactor.TimeoutError{Timeout: e.Timeout} }

// runs are the trial.Run calls in progress, by test: for [AddCleanup] and
// [FlushLoggedErrors], and to refuse a Run nested in another.
var runs struct {
	mu   sync.Mutex
	byTB map[TB]*testRun
}

// testRun is one Run: a test, its reactor and what the test left behind.
type testRun struct {
	t     TB
	r     *braid.Reactor
	scope *tracking.Scope // what r tracks of the test's Deferreds
	cfg   config

	capture  *reactor.LogCapture // the reactor's log during the test
	cleanups []func() *reactor.Deferred
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
// when a cleanup registered with [AddCleanup] fails, when an error was logged
// or a Deferred was left holding an unhandled error (TR-07, unless flushed
// with [FlushLoggedErrors]), and when the test leaves the reactor dirty
// (TR-06, TR-08, W-04; see [DirtyReactorAggregateError]). What it left is then
// cleaned up and the reactor closed, so the next test starts clean.
//
// Tests marked t.Parallel may call Run at the same time: each has its own
// reactor on its own goroutine, and everything a test leaves — logged
// errors, unhandled errors in Deferreds, children, suspended InlineCallbacks
// bodies, pending calls — is its reactor's, so each report names exactly
// what that test left. (Deferreds know no reactor; an unhandled error
// belongs to the reactor whose goroutine left it, which for a test's own
// code is its reactor's.) A test runs one Run at a time: Run inside the
// function or callbacks of another Run for the same test, or for one of
// its subtests while the parent's Run is in progress, fails at once —
// the parent's reactor would stand still meanwhile.
func Run(t TB, f func(r *braid.Reactor) *reactor.Deferred, opts ...Option) {
	t.Helper()
	cfg := config{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	ru := &testRun{t: t, cfg: cfg}
	if outer := register(ru); outer != nil {
		if outer.t == t {
			t.Fatalf("trial.Run called inside trial.Run for %s: a test has one reactor", t.Name())
		} else {
			t.Fatalf("trial.Run called for %s while trial.Run of its parent test %s is in progress: a test has one reactor, and the parent's would stand still meanwhile; make the subtest a test of its own, or use the parent's reactor", t.Name(), outer.t.Name())
		}
		return
	}
	defer unregister(ru)
	ru.capture = reactor.NewLogCapture()
	ropts := []reactor.Option{ru.capture.Option()}
	if cfg.debugging {
		ropts = append(ropts, reactor.WithDebugging())
	}
	r, err := braid.New(ropts...)
	if err != nil {
		t.Fatalf("trial: cannot make a reactor: %v", err)
		return
	}
	ru.r = r
	ru.scope = tracking.Of(r.Reactor)
	ru.scope.CallSites = true // the dirty-reactor report names the line of each pending call
	// The cleanups and the janitor run even when the test calls t.Fatal
	// (runtime.Goexit) from a callback in the middle of the reactor loop,
	// as trial runs cleanups whatever the test did (TR-02).
	defer ru.finish()
	defer ru.runCleanups()
	ru.runTest(f)
}

// register records ru as its test's Run, unless that test, or a test it is
// a subtest of, has a Run in progress: that one is returned instead.
func register(ru *testRun) (outer *testRun) {
	runs.mu.Lock()
	defer runs.mu.Unlock()
	name := ru.t.Name()
	for t, o := range runs.byTB {
		if t == ru.t || strings.HasPrefix(name, t.Name()+"/") {
			return o
		}
	}
	if runs.byTB == nil {
		runs.byTB = make(map[TB]*testRun)
	}
	runs.byTB[ru.t] = ru
	return nil
}

func unregister(ru *testRun) {
	runs.mu.Lock()
	defer runs.mu.Unlock()
	delete(runs.byTB, ru.t)
}

// RunSync is Run for a test with nothing to wait on (trial's
// SynchronousTestCase style, with a reactor and the dirty-reactor check).
func RunSync(t TB, f func(r *braid.Reactor), opts ...Option) {
	t.Helper()
	Run(t, func(r *braid.Reactor) *reactor.Deferred {
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
	runs.mu.Lock()
	defer runs.mu.Unlock()
	return runs.byTB[t]
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
func (ru *testRun) runTest(f func(*braid.Reactor) *reactor.Deferred) {
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
	// Cancelled however runTest ends — also when the test calls t.Fatal in
	// a callback (runtime.Goexit) — so that the janitor does not report
	// trial's own timer as a call the test left behind.
	defer cancelCall(call)
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
	cancelCall(call)
	if err != nil {
		t.Errorf("trial: cannot run the reactor: %v", err)
		return
	}
	if !finished && !call.Called() {
		t.Errorf("trial: the reactor stopped before the test's Deferred fired (a test must not call Stop; trial swaps it for Crash, TR-09); the Deferred is %v", d)
	}
}

// callTest calls f, turning a panic into a failed Deferred.
func callTest(f func(*braid.Reactor) *reactor.Deferred, r *braid.Reactor) (d *reactor.Deferred) {
	defer func() {
		if v := recover(); v != nil {
			d = reactor.Fail(reactor.FailureFromPanic(v))
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

// runCleanups runs the [AddCleanup] functions, last first, each to the end
// (trial's deferRunCleanups).
func (ru *testRun) runCleanups() {
	// After a t.Fatal the loop may have been left mid-pass.
	ru.r.Crash()
	for i := 0; len(ru.cleanups) > 0; i++ {
		n := len(ru.cleanups) - 1
		f := ru.cleanups[n]
		ru.cleanups = ru.cleanups[:n]
		d := callTest(func(*braid.Reactor) *reactor.Deferred { return f() }, ru.r)
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
	defer cancelCall(call) // also after a t.Fatal in a callback, as in runTest
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
	cancelCall(call)
	return fired
}

// cancelCall cancels one of trial's own timeout calls if it is still
// pending.
func cancelCall(call *reactor.DelayedCall) {
	if call.Active() {
		_ = call.Cancel()
	}
}
