package trial_test

// Deferred.addTimeout tests ported from Twisted 22.4's
// twisted/test/test_defer.py (DeferredAddTimeoutTests), driven by a fake
// reactor.Clock as Twisted's are by task.Clock (D-17, TR-11).

import (
	"errors"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// overrideFunc is test_defer's _overrideFunc: an onTimeoutCancel that
// replaces whatever the cancellation produced.
func overrideFunc(any, time.Duration) (any, error) { return "OVERRIDDEN", nil }

// test_defer.DeferredAddTimeoutTests.test_timeoutChainable.
func TestPort_TimeoutChainable_D17(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		d := reactor.NewDeferred(nil)
		d.AddTimeout(5*time.Second, reactor.NewClock(), nil).
			AddCallback(func(any) (any, error) { return "done", nil })
		_ = d.Callback(nil)
		if got := trial.SuccessResultOf(t, d); got != "done" {
			t.Errorf("result %v, want done", got)
		}
	})
}

// test_defer.DeferredAddTimeoutTests.test_successResultBeforeTimeout,
// ...Custom, test_failureBeforeTimeout and ...Custom: a Deferred that fires
// in time keeps its outcome, and the timer is gone, so it cannot cancel the
// inner Deferred a later callback returned.
func TestPort_FiredBeforeTimeout_D17(t *testing.T) {
	fail := errors.New("fail")
	for _, c := range []struct {
		name    string
		custom  bool
		failing bool
	}{
		{"success", false, false}, {"success custom", true, false},
		{"failure", false, true}, {"failure custom", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			trial.RunSync(t, func(*braid.Reactor) {
				clock := reactor.NewClock()
				d := reactor.NewDeferred(nil)
				var onCancel func(any, time.Duration) (any, error)
				if c.custom {
					onCancel = overrideFunc
				}
				d.AddTimeout(10*time.Second, clock, onCancel)
				inner := reactor.NewDeferred(nil)
				var seen any
				d.AddBoth(func(v any) (any, error) { seen = v; return inner, nil })
				if c.failing {
					_ = d.Errback(fail)
					if f, ok := seen.(*reactor.Failure); !ok || f.Value() != fail {
						t.Errorf("errback saw %v, want the failure itself", seen)
					}
				} else {
					_ = d.Callback("results")
					if seen != "results" {
						t.Errorf("callback saw %v, want results", seen)
					}
				}
				clock.Advance(15 * time.Second)
				trial.AssertNoResult(t, inner)
				if n := len(clock.GetDelayedCalls()); n != 0 {
					t.Errorf("%d calls left on the clock", n)
				}
			})
		})
	}
}

// test_defer.DeferredAddTimeoutTests.test_timedOut: nothing before the
// timeout, then a defer.TimeoutError.
func TestPort_TimedOut_D17(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		clock := reactor.NewClock()
		d := reactor.NewDeferred(nil)
		d.AddTimeout(10*time.Second, clock, nil)
		trial.AssertNoResult(t, d)
		clock.Advance(9900 * time.Millisecond)
		trial.AssertNoResult(t, d)
		clock.Advance(5100 * time.Millisecond)
		f := trial.FailureResultOf(t, d, trial.OfType[*reactor.TimeoutError]())
		if te, _ := errors.AsType[*reactor.TimeoutError](f); te.Timeout != 10*time.Second {
			t.Errorf("timeout %v, want 10s", te.Timeout)
		}
	})
}

// test_defer.DeferredAddTimeoutTests.test_timedOutCustom and
// test_providedCancelCalledBeforeTimeoutCustom: onTimeoutCancel decides.
func TestPort_TimedOutCustom_D17(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		for _, canceller := range []func(*reactor.Deferred){nil, func(d *reactor.Deferred) { _ = d.Errback(errors.New("what!")) }} {
			clock := reactor.NewClock()
			d := reactor.NewDeferred(canceller)
			d.AddTimeout(10*time.Second, clock, overrideFunc)
			trial.AssertNoResult(t, d)
			clock.Advance(15 * time.Second)
			if got := trial.SuccessResultOf(t, d); got != "OVERRIDDEN" {
				t.Errorf("result %v, want OVERRIDDEN", got)
			}
		}
	})
}

// test_defer.DeferredAddTimeoutTests.test_timedOutProvidedCancelSuccess and
// test_timedOutProvidedCancelFailure: a canceller's own outcome is kept.
func TestPort_TimedOutProvidedCanceller_D17(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		clock := reactor.NewClock()
		d := reactor.NewDeferred(func(d *reactor.Deferred) { _ = d.Callback("I was cancelled!") })
		d.AddTimeout(10*time.Second, clock, nil)
		trial.AssertNoResult(t, d)
		clock.Advance(15 * time.Second)
		if got := trial.SuccessResultOf(t, d); got != "I was cancelled!" {
			t.Errorf("result %v", got)
		}

		what := errors.New("what!")
		d = reactor.NewDeferred(func(d *reactor.Deferred) { _ = d.Errback(what) })
		d.AddTimeout(10*time.Second, clock, nil)
		clock.Advance(15 * time.Second)
		if f := trial.FailureResultOf(t, d, what); f.Value() != what {
			t.Errorf("failure %v, want the canceller's own error", f)
		}
	})
}

// test_defer.DeferredAddTimeoutTests.test_cancelBeforeTimeout and ...Custom:
// a manual cancel before the timeout keeps its CancelledError and the timer
// does not cancel again.
func TestPort_CancelBeforeTimeout_D17(t *testing.T) {
	for _, custom := range []bool{false, true} {
		trial.RunSync(t, func(*braid.Reactor) {
			clock := reactor.NewClock()
			d := reactor.NewDeferred(nil)
			var onCancel func(any, time.Duration) (any, error)
			if custom {
				onCancel = overrideFunc
			}
			d.AddTimeout(10*time.Second, clock, onCancel)
			inner := reactor.NewDeferred(nil)
			var cancelled *reactor.Failure
			d.AddErrback(func(f *reactor.Failure) (any, error) { cancelled = f; return inner, nil })
			d.Cancel()
			if !errors.Is(cancelled, reactor.ErrCancelled) {
				t.Errorf("errback saw %v, want CancelledError", cancelled)
			}
			clock.Advance(15 * time.Second)
			trial.AssertNoResult(t, inner)
		})
	}
}

// test_defer.DeferredAddTimeoutTests.test_errbackAddedBeforeTimeout,
// ...SuppressesCancellation and their Custom variants: steps added before
// AddTimeout see the CancelledError; what they make of it decides.
func TestPort_ErrbackAddedBeforeTimeout_D17(t *testing.T) {
	cases := []struct {
		name     string
		suppress bool
		custom   bool
		check    func(t *testing.T, d *reactor.Deferred)
	}{
		{"passes it on", false, false, func(t *testing.T, d *reactor.Deferred) {
			trial.FailureResultOf(t, d, trial.OfType[*reactor.TimeoutError]())
		}},
		{"suppresses it", true, false, func(t *testing.T, d *reactor.Deferred) {
			trial.SuccessResultOf(t, d)
		}},
		{"passes it on, custom", false, true, func(t *testing.T, d *reactor.Deferred) {
			if got := trial.SuccessResultOf(t, d); got != "OVERRIDDEN" {
				t.Errorf("result %v", got)
			}
		}},
		{"suppresses it, custom", true, true, func(t *testing.T, d *reactor.Deferred) {
			if got := trial.SuccessResultOf(t, d); got != "OVERRIDDEN" {
				t.Errorf("result %v", got)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trial.RunSync(t, func(*braid.Reactor) {
				clock := reactor.NewClock()
				d := reactor.NewDeferred(nil)
				var seen *reactor.Failure
				d.AddErrback(func(f *reactor.Failure) (any, error) {
					seen = f
					if c.suppress {
						return nil, f.Trap(reactor.ErrCancelled)
					}
					return nil, f
				})
				var onCancel func(any, time.Duration) (any, error)
				if c.custom {
					onCancel = overrideFunc
				}
				d.AddTimeout(10*time.Second, clock, onCancel)
				clock.Advance(15 * time.Second)
				if !errors.Is(seen, reactor.ErrCancelled) {
					t.Errorf("errback saw %v, want CancelledError", seen)
				}
				c.check(t, d)
			})
		})
	}
}

// test_defer.DeferredAddTimeoutTests.test_callbackAddedToCancelerBeforeTimeout:
// a canceller that resumes the chain with a success wins over the timeout.
func TestPort_CallbackAddedToCancellerBeforeTimeout_D17(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		clock := reactor.NewClock()
		d := reactor.NewDeferred(func(d *reactor.Deferred) { _ = d.Callback("success") })
		var seen any
		d.AddCallback(func(v any) (any, error) { seen = v; return v, nil })
		d.AddTimeout(10*time.Second, clock, nil)
		clock.Advance(15 * time.Second)
		if seen != "success" || trial.SuccessResultOf(t, d) != "success" {
			t.Errorf("callback saw %v", seen)
		}
	})
}

// twisted/test/test_task.py's deferLater tests, against the Clock (TR-13):
// the result after the delay, and a cancel that leaves nothing pending.
func TestPort_DeferLaterWithClock_TR13(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		clock := reactor.NewClock()
		d := reactor.DeferLater(clock, 3*time.Second, func() (any, error) { return "foo", nil })
		clock.Advance(2 * time.Second)
		trial.AssertNoResult(t, d)
		clock.Advance(time.Second)
		if got := trial.SuccessResultOf(t, d); got != "foo" {
			t.Errorf("result %v", got)
		}

		d = reactor.DeferLater(clock, time.Second, func() (any, error) { return "never", nil })
		d.Cancel()
		trial.FailureResultOf(t, d, reactor.ErrCancelled)
		if n := len(clock.GetDelayedCalls()); n != 0 {
			t.Errorf("%d calls pending after cancel", n)
		}
	})
}
