package trial_test

// Cancellation tests ported from Twisted 22.4's twisted/test/test_defer.py
// (DeferredCancellerTests) and the LogTests that pin unhandled-error
// reporting (D-13, D-14, D-15).

import (
	"errors"
	"testing"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// cancelFixture is DeferredCancellerTests' setUp: the last callback and
// errback results, and a count of canceller calls that its tearDown checks.
type cancelFixture struct {
	callbackResult any
	errbackResult  *reactor.Failure
	cancellerCalls int
}

func (c *cancelFixture) callback(v any) (any, error) { c.callbackResult = v; return v, nil }
func (c *cancelFixture) errback(f *reactor.Failure) (any, error) {
	c.errbackResult = f
	return nil, nil
}
func (c *cancelFixture) canceller(*reactor.Deferred) { c.cancellerCalls++ }

// runCancel runs one DeferredCancellerTests test under trial, with the
// fixture's tearDown check as a cleanup.
func runCancel(t *testing.T, body func(c *cancelFixture)) {
	t.Helper()
	trial.RunSync(t, func(*braid.Reactor) {
		c := &cancelFixture{}
		trial.AddCleanup(t, func() *reactor.Deferred {
			if c.cancellerCalls > 1 {
				t.Errorf("canceller called %d times, want at most once", c.cancellerCalls)
			}
			return nil
		})
		body(c)
	})
}

// isAlreadyCalled reports whether err is defer.AlreadyCalledError.
func isAlreadyCalled(err error) bool {
	_, ok := errors.AsType[*reactor.AlreadyCalledError](err)
	return ok
}

func isCancelled(f *reactor.Failure) bool {
	return f != nil && errors.Is(f, reactor.ErrCancelled)
}

// test_defer.DeferredCancellerTests.test_noCanceller (D-13).
func TestPort_NoCanceller_D13(t *testing.T) {
	runCancel(t, func(c *cancelFixture) {
		d := reactor.NewDeferred(nil)
		d.AddCallbacks(c.callback, c.errback)
		d.Cancel()
		if !isCancelled(c.errbackResult) || c.callbackResult != nil {
			t.Errorf("errback %v, callback %v; want CancelledError only", c.errbackResult, c.callbackResult)
		}
	})
}

// test_defer.DeferredCancellerTests.test_raisesAfterCancelAndCallback and
// test_raisesAfterCancelAndErrback: one late fire is swallowed, the next
// is AlreadyCalledError.
func TestPort_OneLateFireSwallowedAfterCancel_D13(t *testing.T) {
	for _, late := range []string{"callback", "errback"} {
		t.Run(late, func(t *testing.T) {
			runCancel(t, func(c *cancelFixture) {
				d := reactor.NewDeferred(nil)
				d.AddCallbacks(c.callback, c.errback)
				d.Cancel()
				var err error
				if late == "callback" {
					err = d.Callback(nil)
				} else {
					err = d.Errback(errors.New("late"))
				}
				if err != nil {
					t.Errorf("first late %s: %v, want it swallowed", late, err)
				}
				if err := d.Callback(nil); !isAlreadyCalled(err) {
					t.Errorf("second Callback: %v, want AlreadyCalledError", err)
				}
				if err := d.Errback(errors.New("x")); !isAlreadyCalled(err) {
					t.Errorf("Errback: %v, want AlreadyCalledError", err)
				}
			})
		})
	}
}

// test_defer.DeferredCancellerTests.test_noCancellerMultipleCancelsAfterCancelAndCallback,
// ...AfterCancelAndErrback and test_noCancellerMultipleCancel.
func TestPort_NoCancellerMultipleCancel_D13(t *testing.T) {
	for _, late := range []string{"none", "callback", "errback"} {
		t.Run(late, func(t *testing.T) {
			runCancel(t, func(c *cancelFixture) {
				d := reactor.NewDeferred(nil)
				d.AddCallbacks(c.callback, c.errback)
				d.Cancel()
				first := c.errbackResult
				if !isCancelled(first) {
					t.Fatalf("errback got %v, want CancelledError", first)
				}
				switch late {
				case "callback":
					_ = d.Callback(nil)
				case "errback":
					_ = d.Errback(&genericError{"late"})
				}
				d.Cancel()
				if c.errbackResult != first {
					t.Errorf("result changed to %v after more cancels", c.errbackResult)
				}
			})
		})
	}
}

// test_defer.DeferredCancellerTests.test_cancellerMultipleCancel and
// test_simpleCanceller: a canceller that does not fire the Deferred is
// called once; the Deferred gets CancelledError; later fires are not
// swallowed.
func TestPort_CancellerCalledOnce_D13(t *testing.T) {
	runCancel(t, func(c *cancelFixture) {
		d := reactor.NewDeferred(c.canceller)
		d.AddCallbacks(c.callback, c.errback)
		d.Cancel()
		first := c.errbackResult
		if !isCancelled(first) {
			t.Fatalf("errback got %v, want CancelledError", first)
		}
		d.Cancel()
		if c.errbackResult != first || c.cancellerCalls != 1 {
			t.Errorf("after a second Cancel: result %v, canceller calls %d", c.errbackResult, c.cancellerCalls)
		}
		if err := d.Callback(nil); !isAlreadyCalled(err) {
			t.Errorf("Callback after Cancel with a canceller: %v, want AlreadyCalledError", err)
		}
		if err := d.Errback(errors.New("x")); !isAlreadyCalled(err) {
			t.Errorf("Errback after Cancel with a canceller: %v, want AlreadyCalledError", err)
		}
	})
}

// test_defer.DeferredCancellerTests.test_cancellerArg.
func TestPort_CancellerGetsTheDeferred(t *testing.T) {
	runCancel(t, func(c *cancelFixture) {
		var d *reactor.Deferred
		d = reactor.NewDeferred(func(got *reactor.Deferred) {
			if got != d {
				t.Errorf("canceller got %v, want %v", got, d)
			}
		})
		d.AddCallbacks(c.callback, c.errback)
		d.Cancel()
	})
}

// test_defer.DeferredCancellerTests.test_cancelAfterCallback and
// test_cancelAfterErrback: cancelling a fired Deferred does nothing.
func TestPort_CancelAfterFiring_D13(t *testing.T) {
	for _, how := range []string{"callback", "errback"} {
		t.Run(how, func(t *testing.T) {
			runCancel(t, func(c *cancelFixture) {
				d := reactor.NewDeferred(func(d *reactor.Deferred) {
					c.cancellerCalls++
					_ = d.Errback(&genericError{"from canceller"})
				})
				d.AddCallbacks(c.callback, c.errback)
				if how == "callback" {
					_ = d.Callback("biff!")
				} else {
					_ = d.Errback(&genericError{"first"})
				}
				d.Cancel()
				if c.cancellerCalls != 0 {
					t.Errorf("canceller called on a fired Deferred")
				}
				if how == "callback" && (c.callbackResult != "biff!" || c.errbackResult != nil) {
					t.Errorf("callback %v, errback %v", c.callbackResult, c.errbackResult)
				}
				if how == "errback" && (c.errbackResult == nil || c.errbackResult.ErrorMessage() != "first" || c.callbackResult != nil) {
					t.Errorf("callback %v, errback %v", c.callbackResult, c.errbackResult)
				}
			})
		})
	}
}

// test_defer.DeferredCancellerTests.test_cancellerThatErrbacks and
// test_cancellerThatCallbacks: a canceller that fires the Deferred wins.
func TestPort_CancellerThatFires_D13(t *testing.T) {
	runCancel(t, func(c *cancelFixture) {
		d := reactor.NewDeferred(func(d *reactor.Deferred) {
			c.cancellerCalls++
			_ = d.Errback(&genericError{"canceller"})
		})
		d.AddCallbacks(c.callback, c.errback)
		d.Cancel()
		if _, ok := errors.AsType[*genericError](c.errbackResult); c.cancellerCalls != 1 || !ok {
			t.Errorf("errback got %v, want the canceller's GenericError", c.errbackResult)
		}
	})
	runCancel(t, func(c *cancelFixture) {
		d := reactor.NewDeferred(func(d *reactor.Deferred) {
			c.cancellerCalls++
			_ = d.Callback("hello!")
		})
		d.AddCallbacks(c.callback, c.errback)
		d.Cancel()
		if c.cancellerCalls != 1 || c.callbackResult != "hello!" || c.errbackResult != nil {
			t.Errorf("calls %d, callback %v, errback %v", c.cancellerCalls, c.callbackResult, c.errbackResult)
		}
	})
}

// test_defer.DeferredCancellerTests.test_cancelNestedDeferred (D-14):
// cancelling a Deferred that waits on another cancels the inner one.
func TestPort_CancelNestedDeferred_D14(t *testing.T) {
	runCancel(t, func(c *cancelFixture) {
		b := reactor.NewDeferred(c.canceller)
		a := reactor.NewDeferred(func(*reactor.Deferred) { t.Error("the outer canceller ran") })
		_ = a.Callback(nil)
		a.AddCallback(func(any) (any, error) { return b, nil })
		a.Cancel()
		a.AddCallbacks(c.callback, c.errback)
		if c.cancellerCalls != 1 || !isCancelled(c.errbackResult) {
			t.Errorf("inner canceller calls %d, errback %v; want 1 and CancelledError", c.cancellerCalls, c.errbackResult)
		}
	})
}

// test_defer.LogTests.test_errorLog: a Deferred dropped while holding a
// failure is logged as an unhandled error; flushLoggedErrors takes it.
// Twisted needs `del d; gc.collect()` first; braid reports it at once.
func TestPort_UnhandledErrorLogged_D15(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		d := reactor.NewDeferred(nil)
		d.AddCallback(func(any) (any, error) {
			var zero int
			return 1 / zero, nil
		})
		_ = d.Callback(1)
		flushed := trial.FlushLoggedErrors(t, trial.OfType[*reactor.PanicError]())
		if len(flushed) != 1 {
			t.Errorf("flushed %v, want the one divide-by-zero", flushed)
		}
	})
}

// test_defer.LogTests.test_chainedErrorCleanup and
// test_errorClearedByChaining: a failure handed on to a waiting Deferred,
// or handled, is not reported as unhandled by the inner Deferred.
func TestPort_ChainedErrorNotLogged_D15(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		boom := errors.New("zoop")
		d := reactor.NewDeferred(nil)
		_ = d.Callback(nil)
		d.AddCallback(func(any) (any, error) { return reactor.Fail(boom), nil })
		// The failure now belongs to d; handle it there.
		trial.FailureResultOf(t, d, boom)
		if n := len(trial.FlushLoggedErrors(t)); n != 0 {
			t.Errorf("%d errors logged for a failure that was handed on and handled", n)
		}

		bad := reactor.Fail(errors.New("bad"))
		good := reactor.NewDeferred(nil)
		_ = good.Callback(nil)
		good.AddCallback(func(any) (any, error) { return bad, nil })
		good.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
		if n := len(trial.FlushLoggedErrors(t)); n != 0 {
			t.Errorf("%d errors logged after the chain cleared the failure", n)
		}
	})
}
