package trial_test

// inlineCallbacks tests ported from Twisted 22.4: test_defer.py's
// test_inlineCallbacksTracebacks, test_defgen.py's InlineCallbacksTests and
// twisted/internet/test/test_inlinecb.py's CancellationTests, written with
// reactor.InlineCallbacks.

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// getThing and getOwie are test_defgen's helpers: Deferreds the reactor
// fires on its next pass, with "hi" or with an error.
func getThing(r *braid.Reactor) *reactor.Deferred {
	d := reactor.NewDeferred(nil)
	r.CallLater(0, func() { _ = d.Callback("hi") })
	return d
}

var errOwie = errors.New("OMG")

func getOwie(r *braid.Reactor) *reactor.Deferred {
	d := reactor.NewDeferred(nil)
	r.CallLater(0, func() { _ = d.Errback(errOwie) })
	return d
}

var errTerminal = errors.New("handled terminal failure")

// assertEqual is the Go form of addCallback(self.assertEqual, want).
func assertEqual(t *testing.T, want any) reactor.Callback {
	return func(got any) (any, error) {
		if got != want {
			return nil, &trial.FailTest{Message: "got " + describeValue(got) + ", want " + describeValue(want)}
		}
		return nil, nil
	}
}

func describeValue(v any) string { return fmt.Sprintf("%#v", v) }

// test_defgen.InlineCallbacksTests.testBasics: await a success, then a
// failure caught in the body, and return a value.
func TestPort_InlineBasics(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		return reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
			x, err := await(getThing(r))
			if err != nil || x != "hi" {
				return nil, &trial.FailTest{Message: "first await: " + describeValue(x)}
			}
			if _, err := await(getOwie(r)); !errors.Is(err, errOwie) || err.Error() != "OMG" {
				return nil, &trial.FailTest{Message: "second await did not fail with OMG"}
			}
			return "WOOSH", nil
		}).AddCallback(assertEqual(t, "WOOSH"))
	})
}

// test_defgen.InlineCallbacksTests.testBuggy: a fault in the body after an
// await fails the Deferred (assertFailure, TR-05).
func TestPort_InlineBuggy_TR05(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
			_, _ = await(getThing(r))
			var zero int
			return 1 / zero, nil
		})
		return trial.AssertFailure(d, trial.OfType[*reactor.PanicError]())
	})
}

// test_defgen.InlineCallbacksTests.testNothing, testReturnNoValue and
// testReturnValue.
func TestPort_InlineReturnValues(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		nothing := reactor.InlineCallbacks(func(reactor.Await) (any, error) { return nil, nil })
		if got := trial.SuccessResultOf(t, nothing); got != nil {
			t.Errorf("a body that awaits nothing gave %v", got)
		}
		six := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
			_, _ = await(reactor.Succeed(5))
			return 6, nil
		})
		if got := trial.SuccessResultOf(t, six); got != 6 {
			t.Errorf("returnValue(6) gave %v", got)
		}
	})
}

// test_defgen.InlineCallbacksTests.testHandledTerminalFailure and
// testHandledTerminalAsyncFailure: a failure the body handles does not fail
// its Deferred, nor is it left unhandled.
func TestPort_InlineHandledTerminalFailure(t *testing.T) {
	body := func(d *reactor.Deferred) func(reactor.Await) (any, error) {
		return func(await reactor.Await) (any, error) {
			if _, err := await(d); !errors.Is(err, errTerminal) {
				return nil, err
			}
			return nil, nil
		}
	}
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		return reactor.InlineCallbacks(body(reactor.Fail(errTerminal))).AddCallback(assertEqual(t, nil))
	})
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := reactor.NewDeferred(nil)
		result := reactor.InlineCallbacks(body(d))
		_ = d.Errback(errTerminal)
		return result.AddCallback(assertEqual(t, nil))
	})
}

// test_defgen.InlineCallbacksTests.testStackUsage: awaiting 5000 fired
// Deferreds does not grow the stack.
func TestPort_InlineStackUsage(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		return reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
			for range 5000 {
				if _, err := await(reactor.Succeed(1)); err != nil {
					return nil, err
				}
			}
			return 0, nil
		}).AddCallback(assertEqual(t, 0))
	})
}

// getDivisionFailure is test_defer's helper: a Failure made where the fault
// happened, so its traceback names this function.
func getDivisionFailure() *reactor.Failure {
	var f *reactor.Failure
	func() {
		defer func() {
			if v := recover(); v != nil {
				f = reactor.FailureFromPanic(v)
			}
		}()
		var zero int
		_ = 1 / zero
	}()
	return f
}

// test_defer.DeferredTests.test_inlineCallbacksTracebacks: a Failure that
// goes through an inlineCallbacks body keeps the traceback of where it was
// made.
func TestPort_InlineCallbacksTracebacks(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		f := getDivisionFailure()
		d := reactor.NewDeferred(nil)
		_ = d.Errback(f)
		out := reactor.InlineCallbacks(func(await reactor.Await) (any, error) { return await(d) })
		got := trial.FailureResultOf(t, out, trial.OfType[*reactor.PanicError]())
		if got != f {
			t.Errorf("the body's failure %v is not the awaited one", got)
		}
		if tb := got.Traceback(); !strings.Contains(tb, "getDivisionFailure") || !strings.Contains(tb, "TestPort_InlineCallbacksTracebacks") {
			t.Errorf("traceback lost its frames:\n%s", tb)
		}
	})
}

// cancellation is test_inlinecb's CancellationTests fixture: Deferreds
// handed out on demand, and fired in tearDown if still pending (so no body
// is left suspended).
type cancellation struct {
	outstanding []*reactor.Deferred
}

var (
	errUntranslated = errors.New("untranslated")
	errTranslated   = errors.New("translated")
)

// dontFail carries the value a body turns into a success.
type dontFail struct{ actualValue int }

func (e *dontFail) Error() string { return "don't fail" }

func (c *cancellation) getDeferred() *reactor.Deferred {
	d := reactor.NewDeferred(nil)
	c.outstanding = append(c.outstanding, d)
	return d
}

// sampleInlineCB is test_inlinecb's sampleInlineCB: it awaits a child,
// translates two kinds of error, and returns the value plus one.
func (c *cancellation) sampleInlineCB(getChild func() *reactor.Deferred) *reactor.Deferred {
	if getChild == nil {
		getChild = c.getDeferred
	}
	return reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
		x, err := await(getChild())
		if errors.Is(err, errUntranslated) {
			return nil, errTranslated
		}
		if df, ok := errors.AsType[*dontFail](err); ok {
			x, err = df.actualValue-2, nil
		}
		if err != nil {
			return nil, err
		}
		return x.(int) + 1, nil
	})
}

func runCancellation(t *testing.T, body func(c *cancellation)) {
	t.Helper()
	trial.RunSync(t, func(*braid.Reactor) {
		c := &cancellation{}
		trial.AddCleanup(t, func() *reactor.Deferred {
			for len(c.outstanding) > 0 {
				d := c.outstanding[0]
				c.outstanding = c.outstanding[1:]
				_ = d.Callback(nil)
			}
			return nil
		})
		body(c)
	})
}

// test_inlinecb.CancellationTests.test_cascadeCancellingOnCancel:
// cancelling the body's Deferred cancels the awaited one at once.
func TestPort_InlineCascadeCancellingOnCancel(t *testing.T) {
	runCancellation(t, func(c *cancellation) {
		var childResult error
		d := c.sampleInlineCB(func() *reactor.Deferred {
			child := reactor.NewDeferred(nil)
			child.AddErrback(func(f *reactor.Failure) (any, error) {
				childResult = f.Check(reactor.ErrCancelled)
				return nil, f
			})
			return child
		})
		d.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
		d.Cancel()
		if childResult != reactor.ErrCancelled {
			t.Errorf("the awaited Deferred was not cancelled")
		}
	})
}

// test_inlinecb.CancellationTests.test_errbackCancelledErrorOnCancel.
func TestPort_InlineErrbackCancelledErrorOnCancel(t *testing.T) {
	runCancellation(t, func(c *cancellation) {
		d := c.sampleInlineCB(nil)
		d.Cancel()
		trial.FailureResultOf(t, d, reactor.ErrCancelled)
	})
}

// test_inlinecb.CancellationTests.test_errorToErrorTranslation and
// test_errorToSuccessTranslation: the body decides what a cancellation
// becomes.
func TestPort_InlineCancelTranslation(t *testing.T) {
	runCancellation(t, func(c *cancellation) {
		a := reactor.NewDeferred(func(d *reactor.Deferred) { _ = d.Errback(errUntranslated) })
		d := c.sampleInlineCB(func() *reactor.Deferred { return a })
		d.Cancel()
		trial.FailureResultOf(t, d, errTranslated)

		b := reactor.NewDeferred(func(d *reactor.Deferred) { _ = d.Errback(&dontFail{4321}) })
		d = c.sampleInlineCB(func() *reactor.Deferred { return b })
		var results []any
		d.AddCallback(record(&results))
		d.Cancel()
		wantTrace(t, []any{4320}, results)
	})
}

// test_inlinecb.CancellationTests.test_asynchronousCancellation: after a
// cancel, the body's Deferred waits for the awaited Deferred's chain to
// reach the body, however long that takes.
func TestPort_InlineAsynchronousCancellation(t *testing.T) {
	runCancellation(t, func(c *cancellation) {
		more := reactor.NewDeferred(nil)
		d := c.sampleInlineCB(func() *reactor.Deferred {
			child := reactor.NewDeferred(nil)
			child.AddErrback(func(f *reactor.Failure) (any, error) {
				if err := f.Trap(reactor.ErrCancelled); err != nil {
					return nil, err
				}
				return more, nil
			})
			return child
		})
		d.Cancel()
		trial.AssertNoResult(t, d)
		_ = more.Callback(6543)
		if got := trial.SuccessResultOf(t, d); got != 6544 {
			t.Errorf("result %v, want 6544", got)
		}
	})
}
