package trial_test

// DeferredList and gatherResults tests ported from Twisted 22.4's
// twisted/test/test_defer.py (DeferredTests, DeferredListEmptyTests),
// D-18 and D-19.

import (
	"errors"
	"testing"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// fakeCallbackCanceller is test_defer's canceller that fires the Deferred
// with a success value.
func fakeCallbackCanceller(d *reactor.Deferred) { _ = d.Callback("Callback Result") }

// test_defer.DeferredTests.testDeferredList: results in member order, a
// failing member as (false, Failure); the member's own errback after the
// list still sees the failure (no ConsumeErrors).
func TestPort_DeferredList_D18(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		d1, d2, d3 := reactor.NewDeferred(nil), reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		dl := reactor.DeferredList([]*reactor.Deferred{d1, d2, d3}, reactor.DLOptions{})
		var result []reactor.DLResult
		dl.AddCallback(func(v any) (any, error) { result = v.([]reactor.DLResult); return nil, nil })
		_ = d1.Callback("1")
		d2.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil }) // eat it after the list saw it
		_ = d2.Errback(&genericError{"2"})
		_ = d3.Callback("3")
		if len(result) != 3 {
			t.Fatalf("result %v", result)
		}
		f, _ := result[1].Value.(*reactor.Failure)
		got := []any{result[0].OK, result[0].Value, result[1].OK, f.ErrorMessage(), result[2].OK, result[2].Value}
		wantTrace(t, []any{true, "1", false, "2", true, "3"}, got)
	})
}

// test_defer.DeferredTests.testEmptyDeferredList and
// DeferredListEmptyTests.testDeferredListEmpty: an empty list fires at once
// with an empty result, except with FireOnOneCallback, where it never fires.
func TestPort_EmptyDeferredList_D18(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		got := trial.SuccessResultOf(t, reactor.DeferredList(nil, reactor.DLOptions{}))
		if rs, ok := got.([]reactor.DLResult); !ok || len(rs) != 0 {
			t.Errorf("empty list fired with %#v, want an empty []DLResult", got)
		}
		trial.AssertNoResult(t, reactor.DeferredList(nil, reactor.DLOptions{FireOnOneCallback: true}))
	})
}

// test_defer.DeferredTests.testDeferredListFireOnOneError: the list fails
// with a FirstError naming the member's failure and index.
func TestPort_DeferredListFireOnOneError_D18(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		d1, d2, d3 := reactor.NewDeferred(nil), reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		dl := reactor.DeferredList([]*reactor.Deferred{d1, d2, d3}, reactor.DLOptions{FireOnOneErrback: true})
		var errs []*reactor.Failure
		dl.AddErrback(recordFailure(&errs))
		d2.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
		_ = d1.Callback("1")
		if len(errs) != 0 {
			t.Fatal("fired on a success")
		}
		_ = d2.Errback(&genericError{"from def2"})
		if len(errs) != 1 {
			t.Fatalf("errbacks %v", errs)
		}
		fe, ok := errors.AsType[*reactor.FirstError](errs[0])
		if !ok {
			t.Fatalf("failure %v is not a FirstError", errs[0])
		}
		if ge, ok := fe.Sub.Value().(*genericError); !ok || ge.msg != "from def2" || fe.Index != 1 {
			t.Errorf("FirstError %v: sub %v index %d", fe, fe.Sub, fe.Index)
		}
		_ = d3.Callback("3")
	})
}

// test_defer.DeferredTests.testDeferredListDontConsumeErrors and
// testDeferredListConsumeErrors.
func TestPort_DeferredListConsumeErrors_D18(t *testing.T) {
	for _, consume := range []bool{false, true} {
		name := "keep errors"
		if consume {
			name = "consume errors"
		}
		t.Run(name, func(t *testing.T) {
			trial.RunSync(t, func(*braid.Reactor) {
				d1 := reactor.NewDeferred(nil)
				dl := reactor.DeferredList([]*reactor.Deferred{d1}, reactor.DLOptions{ConsumeErrors: consume})
				var trapped []*reactor.Failure
				d1.AddErrback(recordFailure(&trapped))
				var lists []any
				dl.AddCallback(record(&lists))
				_ = d1.Errback(&genericError{"Bang"})
				if consume && len(trapped) != 0 {
					t.Errorf("member's errback saw %v although errors are consumed", trapped)
				}
				if !consume && (len(trapped) != 1 || trapped[0].ErrorMessage() != "Bang") {
					t.Errorf("member's errback saw %v, want Bang", trapped)
				}
				if len(lists) != 1 {
					t.Fatalf("list results %v", lists)
				}
				first := lists[0].([]reactor.DLResult)[0]
				if f, ok := first.Value.(*reactor.Failure); first.OK || !ok || f.ErrorMessage() != "Bang" {
					t.Errorf("list's entry %v, want (false, Bang)", first)
				}
			})
		})
	}
}

// test_defer.DeferredTests.testDeferredListFireOnOneErrorWithAlreadyFiredDeferreds
// and testDeferredListWithAlreadyFiredDeferreds.
func TestPort_DeferredListWithAlreadyFired_D18(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		d1, d2 := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		_ = d1.Errback(&genericError{"Bang"})
		dl := reactor.DeferredList([]*reactor.Deferred{d1, d2}, reactor.DLOptions{FireOnOneErrback: true})
		trial.FailureResultOf(t, dl, trial.OfType[*reactor.FirstError]())
		d1.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })

		d3, d4 := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		_ = d3.Errback(&genericError{"Bang"})
		_ = d4.Callback(2)
		dl = reactor.DeferredList([]*reactor.Deferred{d3, d4}, reactor.DLOptions{})
		if rs := trial.SuccessResultOf(t, dl).([]reactor.DLResult); len(rs) != 2 {
			t.Errorf("result %v", rs)
		}
		d3.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
		_ = d2 // never fires; nothing waits on it
	})
}

// test_defer.DeferredTests.test_cancelDeferredList,
// test_cancelDeferredListWithFireOnOneCallback and
// test_cancelDeferredListWithFireOnOneErrback: cancelling an unfired list
// cancels every member.
func TestPort_CancelDeferredListCancelsMembers_D18(t *testing.T) {
	cases := []struct {
		name string
		opts reactor.DLOptions
	}{
		{"plain", reactor.DLOptions{}},
		{"fireOnOneCallback", reactor.DLOptions{FireOnOneCallback: true}},
		{"fireOnOneErrback", reactor.DLOptions{FireOnOneErrback: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trial.RunSync(t, func(*braid.Reactor) {
				one, two := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
				dl := reactor.DeferredList([]*reactor.Deferred{one, two}, c.opts)
				dl.Cancel()
				trial.FailureResultOf(t, one, reactor.ErrCancelled)
				trial.FailureResultOf(t, two, reactor.ErrCancelled)
				if c.opts.FireOnOneErrback {
					f := trial.FailureResultOf(t, dl, trial.OfType[*reactor.FirstError]())
					fe, _ := errors.AsType[*reactor.FirstError](f)
					if !errors.Is(fe.Sub, reactor.ErrCancelled) {
						t.Errorf("FirstError's sub failure %v, want CancelledError", fe.Sub)
					}
					return
				}
				// The list fired too; take its result so nothing is left.
				trial.SuccessResultOf(t, dl)
			})
		})
	}
}

// test_defer.DeferredTests.test_cancelDeferredListCallback and
// test_cancelDeferredListWithFireOnOneCallbackAndDeferredCallback: a member
// whose canceller succeeds shows as a success.
func TestPort_CancelDeferredListWithCallbackCanceller_D18(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		one, two := reactor.NewDeferred(fakeCallbackCanceller), reactor.NewDeferred(nil)
		dl := reactor.DeferredList([]*reactor.Deferred{one, two}, reactor.DLOptions{})
		dl.Cancel()
		trial.FailureResultOf(t, two, reactor.ErrCancelled)
		rs := trial.SuccessResultOf(t, dl).([]reactor.DLResult)
		if !rs[0].OK || rs[0].Value != "Callback Result" || rs[1].OK || !errors.Is(rs[1].Value.(*reactor.Failure), reactor.ErrCancelled) {
			t.Errorf("list result %v", rs)
		}

		one, two = reactor.NewDeferred(fakeCallbackCanceller), reactor.NewDeferred(nil)
		dl = reactor.DeferredList([]*reactor.Deferred{one, two}, reactor.DLOptions{FireOnOneCallback: true})
		dl.Cancel()
		trial.FailureResultOf(t, two, reactor.ErrCancelled)
		wantTrace(t, reactor.DLFirst{Value: "Callback Result", Index: 0}, trial.SuccessResultOf(t, dl))
	})
}

// test_defer.DeferredTests.test_cancelDeferredListWithOriginalDeferreds: the
// list cancels the Deferreds it was given, not ones added to the caller's
// slice afterwards.
func TestPort_CancelDeferredListWithOriginalDeferreds_D18(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		one, two := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		args := []*reactor.Deferred{one, two}
		dl := reactor.DeferredList(args, reactor.DLOptions{})
		three := reactor.NewDeferred(nil)
		args = append(args, three)
		_ = args
		dl.Cancel()
		trial.FailureResultOf(t, one, reactor.ErrCancelled)
		trial.FailureResultOf(t, two, reactor.ErrCancelled)
		trial.AssertNoResult(t, three)
		trial.SuccessResultOf(t, dl)
	})
}

// test_defer.DeferredTests.test_cancelFiredOnOneCallbackDeferredList and
// test_cancelFiredOnOneErrbackDeferredList: cancelling a list that has
// fired does not touch the other members.
func TestPort_CancelFiredDeferredList_D18(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		one, two := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		dl := reactor.DeferredList([]*reactor.Deferred{one, two}, reactor.DLOptions{FireOnOneCallback: true})
		_ = one.Callback(nil)
		dl.Cancel()
		trial.AssertNoResult(t, two)
		trial.SuccessResultOf(t, dl)

		one, two = reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		dl = reactor.DeferredList([]*reactor.Deferred{one, two}, reactor.DLOptions{FireOnOneErrback: true})
		_ = one.Errback(&genericError{"test"})
		dl.Cancel()
		trial.AssertNoResult(t, two)
		trial.FailureResultOf(t, one, isGeneric)
		trial.FailureResultOf(t, dl, trial.OfType[*reactor.FirstError]())
	})
}

// test_defer.DeferredTests.test_gatherResults (D-19).
func TestPort_GatherResults_D19(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		got := trial.SuccessResultOf(t, reactor.GatherResults([]*reactor.Deferred{reactor.Succeed(1), reactor.Succeed(2)}, reactor.GatherOptions{}))
		wantTrace(t, []any{1, 2}, got)

		valueErr := errors.New("value error")
		dl := []*reactor.Deferred{reactor.Succeed(1), reactor.Fail(valueErr)}
		var errs []*reactor.Failure
		reactor.GatherResults(dl, reactor.GatherOptions{}).AddErrback(recordFailure(&errs))
		if len(errs) != 1 {
			t.Fatalf("errbacks %v", errs)
		}
		dl[1].AddErrback(func(*reactor.Failure) (any, error) { return 1, nil }) // get rid of the error
	})
}

// test_defer.DeferredTests.test_gatherResultsWithConsumeErrors.
func TestPort_GatherResultsWithConsumeErrors_D19(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		noes := errors.New("oh noes")
		good, bad := reactor.Succeed(1), reactor.Fail(noes)
		d := reactor.GatherResults([]*reactor.Deferred{good, bad}, reactor.GatherOptions{ConsumeErrors: true})
		var unconsumed, gathered []*reactor.Failure
		bad.AddErrback(recordFailure(&unconsumed))
		d.AddErrback(recordFailure(&gathered))
		if len(unconsumed) != 0 || len(gathered) != 1 {
			t.Fatalf("unconsumed %v, gathered %v; want 0 and 1", unconsumed, gathered)
		}
		fe, ok := errors.AsType[*reactor.FirstError](gathered[0])
		if !ok || fe.Sub.Value() != noes {
			t.Errorf("gathered %v, want a FirstError around oh noes", gathered[0])
		}
	})
}

// test_defer.DeferredTests.test_cancelGatherResults and
// test_cancelGatherResultsWithAllDeferredsCallback.
func TestPort_CancelGatherResults_D19(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		one, two := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		result := reactor.GatherResults([]*reactor.Deferred{one, two}, reactor.GatherOptions{})
		result.Cancel()
		trial.FailureResultOf(t, one, reactor.ErrCancelled)
		trial.FailureResultOf(t, two, reactor.ErrCancelled)
		f := trial.FailureResultOf(t, result, trial.OfType[*reactor.FirstError]())
		if fe, _ := errors.AsType[*reactor.FirstError](f); !errors.Is(fe.Sub, reactor.ErrCancelled) {
			t.Errorf("sub failure %v", fe.Sub)
		}

		one, two = reactor.NewDeferred(fakeCallbackCanceller), reactor.NewDeferred(fakeCallbackCanceller)
		result = reactor.GatherResults([]*reactor.Deferred{one, two}, reactor.GatherOptions{})
		result.Cancel()
		wantTrace(t, []any{"Callback Result", "Callback Result"}, trial.SuccessResultOf(t, result))
	})
}
