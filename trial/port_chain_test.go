package trial_test

// Deferred tests ported from Twisted 22.4's twisted/test/test_defer.py
// (DeferredTests): chaining, pausing, re-entrancy, maybeDeferred. Each runs
// under trial, so a failure left unhandled or anything left scheduled fails
// it, as under Twisted's trial. The comment on each names the original.

import (
	"errors"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// genericError stands for test_defer's GenericError.
type genericError struct{ msg string }

func (e *genericError) Error() string { return e.msg }

var isGeneric = trial.OfType[*genericError]()

// record is a callback that appends what it gets to *into and passes it on.
func record(into *[]any) reactor.Callback {
	return func(v any) (any, error) {
		*into = append(*into, v)
		return v, nil
	}
}

// recordFailure is an errback that appends the Failure and recovers with nil,
// as Python's list.append used as an errback does.
func recordFailure(into *[]*reactor.Failure) reactor.Errback {
	return func(f *reactor.Failure) (any, error) {
		*into = append(*into, f)
		return nil, nil
	}
}

func wantTrace(t *testing.T, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// test_defer.DeferredTests.testCallbackWithoutArgs and testTwoCallbacks.
func TestPort_TwoCallbacks(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var first, second []any
		var errs []*reactor.Failure
		d := reactor.NewDeferred(nil)
		d.AddCallback(record(&first))
		d.AddCallback(func(v any) (any, error) { second = append(second, v); return nil, nil })
		d.AddErrback(recordFailure(&errs))
		_ = d.Callback("hello")
		wantTrace(t, []any{"hello"}, first)
		wantTrace(t, []any{"hello"}, second)
		if len(errs) != 0 {
			t.Errorf("errback called: %v", errs)
		}
	})
}

// test_defer.DeferredTests.test_addCallbacksNoneErrback: a nil errback in
// AddCallbacks passes the failure through.
func TestPort_AddCallbacksNilErrbackPassesThrough(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		oops := &genericError{"oopsie"}
		var called []any
		var errs []*reactor.Failure
		d := reactor.NewDeferred(nil)
		d.AddCallbacks(record(&called), nil)
		_ = d.Errback(oops)
		d.AddErrback(recordFailure(&errs))
		if len(called) != 0 {
			t.Errorf("callback called with %v", called)
		}
		if len(errs) != 1 || errs[0].Value() != oops {
			t.Errorf("errback got %v, want the one oopsie", errs)
		}
	})
}

// test_defer.DeferredTests.testImmediateSuccess and testImmediateFailure.
func TestPort_ImmediateSuccessAndFailure(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var got []any
		reactor.Succeed("success").AddCallback(record(&got))
		wantTrace(t, []any{"success"}, got)
		var errs []*reactor.Failure
		reactor.Fail(&genericError{"fail"}).AddErrback(recordFailure(&errs))
		if len(errs) != 1 || errs[0].ErrorMessage() != "fail" {
			t.Errorf("errback got %v, want fail", errs)
		}
	})
}

// test_defer.DeferredTests.testPausedFailure and testUnpauseBeforeCallback.
func TestPort_PausedFailure_D08(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var errs []*reactor.Failure
		d := reactor.Fail(&genericError{"fail"})
		d.Pause()
		d.AddErrback(recordFailure(&errs))
		if len(errs) != 0 {
			t.Fatalf("errback ran while paused")
		}
		d.Unpause()
		if len(errs) != 1 || errs[0].ErrorMessage() != "fail" {
			t.Errorf("after Unpause errback got %v", errs)
		}

		var got []any
		d2 := reactor.NewDeferred(nil)
		d2.Pause()
		d2.AddCallback(record(&got))
		d2.Unpause() // unpausing an unfired Deferred runs nothing
		if len(got) != 0 {
			t.Errorf("callback ran before Callback: %v", got)
		}
		_ = d2.Callback(nil)
	})
}

// test_defer.DeferredTests.testCallbackErrors: raising in a callback, or
// returning a Failure, switches to the errback path (D-05).
func TestPort_CallbackErrors_D05(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var errs []*reactor.Failure
		d := reactor.NewDeferred(nil)
		d.AddCallback(func(any) (any, error) {
			var zero int
			return 1 / zero, nil // a runtime panic, as Python's 1 // 0 raises
		}).AddErrback(recordFailure(&errs))
		_ = d.Callback(1)
		if len(errs) != 1 {
			t.Fatalf("errbacks: %v", errs)
		}
		if re, ok := errors.AsType[runtime.Error](errs[0]); !ok || re.Error() != "runtime error: integer divide by zero" {
			t.Errorf("failure %v, want the divide-by-zero runtime error", errs[0])
		}

		errs = nil
		zde := errors.New("division by zero")
		d = reactor.NewDeferred(nil)
		d.AddCallback(func(any) (any, error) { return reactor.NewFailure(zde), nil }).AddErrback(recordFailure(&errs))
		_ = d.Callback(1)
		if len(errs) != 1 || !errors.Is(errs[0], zde) {
			t.Errorf("errbacks after a returned Failure: %v", errs)
		}
	})
}

// test_defer.DeferredTests.testReturnDeferred: a callback returning a paused
// Deferred holds the outer chain until it is unpaused (D-09).
func TestPort_ReturnPausedDeferred_D09(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var got []any
		d1, d2 := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		d2.Pause()
		d1.AddCallback(func(any) (any, error) { return d2, nil })
		d1.AddCallback(record(&got))
		_ = d1.Callback(1)
		if len(got) != 0 {
			t.Fatal("called before d2 fired")
		}
		_ = d2.Callback(2)
		if len(got) != 0 {
			t.Fatal("called while d2 is paused")
		}
		d2.Unpause()
		wantTrace(t, []any{2}, got)
	})
}

// test_defer.DeferredTests.test_chainedPausedDeferredWithResult (D-10).
func TestPort_ChainedPausedDeferredWithResult_D10(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		expected := &struct{ name string }{"expected"}
		paused := reactor.Succeed(expected)
		paused.Pause()
		chained := reactor.NewDeferred(nil)
		chained.AddCallback(func(any) (any, error) { return paused, nil })
		_ = chained.Callback(nil)
		var got []any
		chained.AddCallback(record(&got))
		if len(got) != 0 {
			t.Fatalf("chained went on past a paused Deferred: %v", got)
		}
		paused.Unpause()
		if len(got) != 1 || got[0] != expected {
			t.Errorf("got %v, want the paused Deferred's result", got)
		}
	})
}

// test_defer.DeferredTests.test_pausedDeferredChained: a paused Deferred
// further up does not stop the inner one's own callbacks.
func TestPort_PausedDeferredChained(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		first, second := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		first.AddCallback(func(any) (any, error) { return second, nil })
		_ = first.Callback(nil)
		first.Pause()
		_ = second.Callback(nil)
		var got []any
		second.AddCallback(record(&got))
		wantTrace(t, []any{nil}, got)
	})
}

// test_defer.DeferredTests.test_maybeDeferredSync, ...SyncException,
// ...SyncFailure, ...Async and ...AsyncError (D-16).
func TestPort_MaybeDeferred_D16(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		result := &struct{}{}
		var got []any
		reactor.MaybeDeferred(func() (any, error) { return result, nil }).AddCallback(record(&got))
		if len(got) != 1 || got[0] != result {
			t.Errorf("sync: got %v", got)
		}

		typeErr := errors.New("unsupported operand")
		var errs []*reactor.Failure
		reactor.MaybeDeferred(func() (any, error) { return nil, typeErr }).AddErrback(recordFailure(&errs))
		if len(errs) != 1 || !errors.Is(errs[0], typeErr) {
			t.Errorf("sync error: %v", errs)
		}

		expected := reactor.NewFailure(typeErr)
		errs = nil
		reactor.MaybeDeferred(func() (any, error) { return expected, nil }).AddErrback(recordFailure(&errs))
		if len(errs) != 1 || errs[0] != expected {
			t.Errorf("returned Failure: %v, want the same Failure", errs)
		}

		d1 := reactor.NewDeferred(nil)
		d2 := reactor.MaybeDeferred(func() (any, error) { return d1, nil })
		if d2 != d1 {
			t.Error("a returned Deferred is not passed through as the same object")
		}
		_ = d1.Callback("Success")
		got = nil
		d2.AddCallback(record(&got))
		wantTrace(t, []any{"Success"}, got)

		d3 := reactor.NewDeferred(nil)
		d4 := reactor.MaybeDeferred(func() (any, error) { return d3, nil })
		runtimeErr := errors.New("runtime error")
		_ = d3.Errback(runtimeErr)
		trial.FailureResultOf(t, d4, runtimeErr)
	})
}

// test_defer.DeferredTests.test_innerCallbacksPreserved and
// test_nestedAsynchronousChainedDeferreds: a middle Deferred waiting on a
// third runs its own callbacks when the third fires, before the outer one
// gets the result.
func TestPort_InnerCallbacksPreserved_D09(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var results []any
		var failures []*reactor.Failure
		inner := reactor.NewDeferred(nil)
		cb := func(v any) (any, error) {
			results = append(results, "start-of-cb "+v.(string))
			d := reactor.Succeed("inner")
			d.AddCallback(func(v any) (any, error) {
				results = append(results, "firstCallback "+v.(string))
				return inner, nil
			}).AddCallback(func(v any) (any, error) {
				results = append(results, "secondCallback "+v.(string))
				return v.(string) + v.(string), nil
			})
			d.AddErrback(recordFailure(&failures))
			return d, nil
		}
		outer := reactor.Succeed("outer")
		outer.AddCallback(cb)
		outer.AddCallback(record(&results))
		wantTrace(t, []any{"start-of-cb outer", "firstCallback inner"}, results)
		_ = inner.Callback("orange")
		inner.AddErrback(recordFailure(&failures))
		outer.AddErrback(recordFailure(&failures))
		if len(failures) != 0 {
			t.Errorf("failures: %v", failures)
		}
		wantTrace(t, []any{"start-of-cb outer", "firstCallback inner", "secondCallback orange", "orangeorange"}, results)
	})
}

// test_defer.DeferredTests.test_nestedAsynchronousChainedDeferredsWithExtraCallbacks.
func TestPort_NestedChainWithExtraCallbacks_D09(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var results []any
		var failures []*reactor.Failure
		inner := reactor.NewDeferred(nil)
		outer := reactor.Succeed("outer")
		outer.AddCallback(func(v any) (any, error) {
			results = append(results, "start-of-cb "+v.(string))
			d := reactor.Succeed("inner")
			d.AddCallback(func(v any) (any, error) {
				results = append(results, "firstCallback "+v.(string))
				return inner.AddCallback(func(v any) (any, error) { return []any{v}, nil }), nil
			})
			d.AddCallback(func(v any) (any, error) {
				results = append(results, v)
				l := v.([]any)
				return append(append([]any{}, l...), l...), nil
			})
			d.AddErrback(recordFailure(&failures))
			return d, nil
		})
		outer.AddCallback(record(&results))
		_ = inner.Callback("withers")
		outer.AddErrback(recordFailure(&failures))
		inner.AddErrback(recordFailure(&failures))
		if len(failures) != 0 {
			t.Errorf("failures: %v", failures)
		}
		wantTrace(t, []any{"start-of-cb outer", "firstCallback inner", []any{"withers"}, []any{"withers", "withers"}}, results)
	})
}

// test_defer.DeferredTests.test_continueCallbackNotFirst and
// test_callbackOrderPreserved: a callback added after one that returned a
// Deferred runs after that Deferred's own callbacks.
func TestPort_CallbackOrderPreserved(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var results []any
		var failures []*reactor.Failure
		a := reactor.NewDeferred(nil)
		cb := func(v any) (any, error) {
			results = append(results, "cb "+v.(string))
			d := reactor.NewDeferred(nil)
			d.AddCallback(func(v any) (any, error) {
				results = append(results, []any{"firstCallback", v})
				return reactor.GatherResults([]*reactor.Deferred{a}, reactor.GatherOptions{}), nil
			})
			d.AddCallback(func(v any) (any, error) {
				results = append(results, []any{"secondCallback", v})
				return nil, nil
			})
			d.AddErrback(recordFailure(&failures))
			_ = d.Callback(nil)
			return d, nil
		}
		outer := reactor.NewDeferred(nil)
		outer.AddCallback(cb)
		outer.AddCallback(func(any) (any, error) { results = append(results, "final"); return nil, nil })
		outer.AddErrback(recordFailure(&failures))
		_ = outer.Callback("outer")
		wantTrace(t, []any{"cb outer", []any{"firstCallback", nil}}, results)
		_ = a.Callback("withers")
		if len(failures) != 0 {
			t.Errorf("failures: %v", failures)
		}
		wantTrace(t, []any{"cb outer", []any{"firstCallback", nil}, []any{"secondCallback", []any{"withers"}}, "final"}, results)
	})
}

// test_defer.DeferredTests.test_reentrantRunCallbacks and
// test_nonReentrantCallbacks (D-07): a callback added by a running callback
// goes to the end and runs after the running one returns.
func TestPort_ReentrantAdd_D07(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		var called []int
		d := reactor.NewDeferred(nil)
		d.AddCallback(func(any) (any, error) {
			called = append(called, 1)
			d.AddCallback(func(any) (any, error) { called = append(called, 3); return nil, nil })
			if len(called) != 1 {
				t.Errorf("the added callback ran inside the running one: %v", called)
			}
			return nil, nil
		})
		d.AddCallback(func(any) (any, error) { called = append(called, 2); return nil, nil })
		_ = d.Callback(nil)
		wantTrace(t, []int{1, 2, 3}, called)
	})
}

// test_defer.DeferredTests.test_reentrantRunCallbacksWithFailure.
func TestPort_ReentrantAddWithFailure_D07(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		msg := errors.New("callback raised exception")
		d := reactor.NewDeferred(nil)
		d.AddCallback(func(any) (any, error) {
			d.AddCallback(func(any) (any, error) { return nil, msg })
			return nil, nil
		})
		_ = d.Callback(nil)
		trial.FailureResultOf(t, d, msg)
	})
}

// test_defer.DeferredTests.test_synchronousImplicitChain (D-10).
func TestPort_SynchronousImplicitChain_D10(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		result := &struct{}{}
		first := reactor.Succeed(result)
		second := reactor.NewDeferred(nil)
		second.AddCallback(func(any) (any, error) { return first, nil })
		_ = second.Callback(nil)
		var got []any
		first.AddCallback(record(&got))
		second.AddCallback(record(&got))
		if len(got) != 2 || got[0] != nil || got[1] != result {
			t.Errorf("got %v, want [nil result]", got)
		}
	})
}

// test_defer.DeferredTests.test_asynchronousImplicitChain (D-09).
func TestPort_AsynchronousImplicitChain_D09(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		first, second := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		second.AddCallback(func(any) (any, error) { return first, nil })
		_ = second.Callback(nil)
		var firstResult, secondResult []any
		first.AddCallback(record(&firstResult))
		second.AddCallback(record(&secondResult))
		if len(firstResult)+len(secondResult) != 0 {
			t.Fatalf("results before first fired: %v %v", firstResult, secondResult)
		}
		result := &struct{}{}
		_ = first.Callback(result)
		if len(firstResult) != 1 || firstResult[0] != nil || len(secondResult) != 1 || secondResult[0] != result {
			t.Errorf("first %v, second %v; want [nil], [result]", firstResult, secondResult)
		}
	})
}

// test_defer.DeferredTests.test_synchronousImplicitErrorChain: the inner's
// Failure moves to the outer, and the inner is left with nil, so nothing is
// reported unhandled for it (D-10, D-15).
func TestPort_SynchronousImplicitErrorChain_D15(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		boom := errors.New("first Deferred's failure")
		first := reactor.Fail(boom)
		second := reactor.NewDeferred(nil)
		second.AddCallback(func(any) (any, error) { return first, nil })
		_ = second.Callback(nil)
		var got []any
		first.AddCallback(record(&got))
		wantTrace(t, []any{nil}, got)
		trial.FailureResultOf(t, second, boom)
	})
}

// test_defer.DeferredTests.test_asynchronousImplicitErrorChain.
func TestPort_AsynchronousImplicitErrorChain_D09(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		boom := errors.New("first Deferred's failure")
		first, second := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		second.AddCallback(func(any) (any, error) { return first, nil })
		_ = second.Callback(nil)
		var secondErr []*reactor.Failure
		second.AddErrback(recordFailure(&secondErr))
		var firstResult, secondResult []any
		first.AddCallback(record(&firstResult))
		second.AddCallback(record(&secondResult))
		_ = first.Errback(boom)
		if len(secondErr) != 1 || !errors.Is(secondErr[0], boom) {
			t.Errorf("second's errback got %v", secondErr)
		}
		wantTrace(t, []any{nil}, firstResult)
		if len(secondResult) != 1 {
			t.Errorf("second's later callback: %v", secondResult)
		}
	})
}

// test_defer.DeferredTests.test_doubleAsynchronousImplicitChaining:
// chaining is transitive.
func TestPort_DoubleAsynchronousImplicitChaining_D09(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		first, second, third := reactor.NewDeferred(nil), reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		second.AddCallback(func(any) (any, error) { return first, nil })
		third.AddCallback(func(any) (any, error) { return second, nil })
		var got []any
		third.AddCallback(record(&got))
		_ = second.Callback(nil)
		_ = third.Callback(nil)
		if len(got) != 0 {
			t.Fatalf("third fired early: %v", got)
		}
		_ = first.Callback("result")
		wantTrace(t, []any{"result"}, got)
	})
}

// test_defer.DeferredTests.test_resultOfDeferredResultOfDeferredOfFiredDeferredCalled.
func TestPort_CallbacksAddedToMiddleOfChain(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		first, second, third := reactor.NewDeferred(nil), reactor.NewDeferred(nil), reactor.NewDeferred(nil)
		first.AddCallback(func(any) (any, error) { return second, nil })
		second.AddCallback(func(any) (any, error) { return third, nil })
		_ = second.Callback(nil)
		_ = first.Callback(nil)
		_ = third.Callback(nil)
		var got []any
		second.AddCallback(record(&got))
		wantTrace(t, []any{nil}, got)
	})
}

// test_defer.DeferredTests.test_boundedStackDepth (D-12): the stack depth
// at which the last callback runs does not grow with the length of the chain.
func TestPort_BoundedStackDepth_D12(t *testing.T) {
	depth := func(howMany int) int {
		var depths []int
		trial.RunSync(t, func(*braid.Reactor) {
			top := reactor.NewDeferred(nil)
			inners := make([]*reactor.Deferred, howMany)
			for i := range inners {
				inners[i] = reactor.NewDeferred(nil)
			}
			last := reactor.NewDeferred(nil)
			top.AddCallback(func(any) (any, error) { return inners[howMany-1], nil })
			top.AddCallback(func(any) (any, error) {
				var pcs [512]uintptr
				depths = append(depths, runtime.Callers(0, pcs[:]))
				return nil, nil
			})
			for i := howMany - 1; i > 0; i-- {
				next := inners[i-1]
				inners[i].AddCallback(func(any) (any, error) { return next, nil })
			}
			inners[0].AddCallback(func(any) (any, error) { return last, nil })
			_ = top.Callback(nil)
			for _, d := range inners {
				_ = d.Callback(nil)
			}
			if len(depths) != 0 {
				t.Fatal("recorded before last fired")
			}
			_ = last.Callback(nil)
		})
		if len(depths) != 1 {
			t.Fatalf("depths %v", depths)
		}
		return depths[0]
	}
	if a, b, c := depth(1), depth(2), depth(1000); a != b || b != c {
		t.Errorf("stack depths %d, %d, %d for chains of 1, 2, 1000; want equal", a, b, c)
	}
}
