package reactor_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/tracking"
	"github.com/braid-go/braid/reactor"
)

// Tests of reactor.InlineCallbacks (@inlineCallbacks). The behaviour ported
// from Twisted's own test modules is exercised again, under trial, in
// trial/port_inline_test.go; these tests pin the Go-specific parts: the
// coroutine hand-off, leaks, Abandon.

var errInline = errors.New("inline test error")

func TestInlineCallbacks_FiredAwaitsContinueAtOnce(t *testing.T) {
	d := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
		sum := 0
		for i := range 5 {
			v, err := await(reactor.Succeed(i))
			if err != nil {
				return nil, err
			}
			sum += v.(int)
		}
		return sum, nil
	})
	if !d.Called() || d.Result() != 10 {
		t.Fatalf("InlineCallbacks over fired Deferreds = %v, want fired with 10", d)
	}
}

// The body and its driver never run at once: the trace shows strict
// alternation, and the body resumes inside the awaited Deferred's Callback.
func TestInlineCallbacks_BodySuspendsAndResumesInCallback(t *testing.T) {
	var trace []string
	a, b := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
	outer := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
		trace = append(trace, "body start")
		x, _ := await(a)
		trace = append(trace, fmt.Sprint("got a=", x))
		y, _ := await(b)
		trace = append(trace, fmt.Sprint("got b=", y))
		return x.(int) + y.(int), nil
	})
	trace = append(trace, "InlineCallbacks returned")
	outer.AddCallback(func(v any) (any, error) {
		trace = append(trace, fmt.Sprint("outer=", v))
		return v, nil
	})
	trace = append(trace, "fire a")
	_ = a.Callback(1)
	trace = append(trace, "fire b")
	_ = b.Callback(2)
	trace = append(trace, "done")
	want := []string{
		"body start", "InlineCallbacks returned",
		"fire a", "got a=1",
		"fire b", "got b=2", "outer=3",
		"done",
	}
	if diff := cmp.Diff(want, trace); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	// The awaited Deferreds' results were taken by the body (Twisted's
	// gotResult returns None).
	if a.Result() != nil || b.Result() != nil {
		t.Errorf("awaited results after the body took them: %v, %v; want nil", a.Result(), b.Result())
	}
}

func TestInlineCallbacks_AwaitFailureKeepsFailureAndIsHandled(t *testing.T) {
	owner := ownerReactor(t)
	inner := reactor.NewDeferred(nil)
	var seen error
	outer := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
		_, err := await(inner)
		seen = err
		return "recovered", nil
	})
	f := reactor.NewFailure(errInline)
	_ = inner.Errback(f)
	if seen != f {
		t.Fatalf("await returned %v, want the very Failure the Deferred failed with", seen)
	}
	if outer.Result() != "recovered" {
		t.Errorf("outer = %v, want recovered", outer)
	}
	// The failure was consumed by the await: nothing is left unhandled.
	for _, u := range tracking.Of(owner).Flush(nil) {
		if errors.Is(u, errInline) {
			t.Errorf("awaited failure still reported unhandled: %v", u)
		}
	}
}

func TestInlineCallbacks_Outcomes(t *testing.T) {
	cases := []struct {
		name  string
		body  func(reactor.Await) (any, error)
		check func(*testing.T, *reactor.Failure)
	}{
		{"returned error", func(reactor.Await) (any, error) { return nil, errInline },
			func(t *testing.T, f *reactor.Failure) {
				if !errors.Is(f, errInline) {
					t.Errorf("failure %v, want errInline", f)
				}
			}},
		{"panic", func(reactor.Await) (any, error) { panic("boom") },
			func(t *testing.T, f *reactor.Failure) {
				pe, ok := errors.AsType[*reactor.PanicError](f)
				if !ok || pe.Value != "boom" {
					t.Errorf("failure %v, want PanicError(boom)", f)
				}
				if !strings.Contains(f.Traceback(), "inline_test.go") {
					t.Errorf("panic traceback does not show the body:\n%s", f.Traceback())
				}
			}},
		{"error from await passed on", func(await reactor.Await) (any, error) {
			_, err := await(reactor.Fail(errInline))
			return nil, err
		}, func(t *testing.T, f *reactor.Failure) {
			if !errors.Is(f, errInline) {
				t.Errorf("failure %v, want errInline", f)
			}
		}},
		{"returned Deferred", func(reactor.Await) (any, error) { return reactor.Succeed(1), nil },
			func(t *testing.T, f *reactor.Failure) {
				if !errors.Is(f, reactor.ErrInlineReturnedDeferred) || !errors.Is(f, reactor.ErrDeferredResult) {
					t.Errorf("failure %v, want ErrInlineReturnedDeferred", f)
				}
			}},
		{"await nil", func(await reactor.Await) (any, error) {
			_, err := await(nil)
			return nil, err
		}, func(t *testing.T, f *reactor.Failure) {
			if !errors.Is(f, reactor.ErrAwaitNil) {
				t.Errorf("failure %v, want ErrAwaitNil", f)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := reactor.InlineCallbacks(c.body)
			var got *reactor.Failure
			d.AddErrback(func(f *reactor.Failure) (any, error) { got = f; return nil, nil })
			if got == nil {
				t.Fatalf("InlineCallbacks = %v, want a failure", d)
			}
			c.check(t, got)
		})
	}
}

// D-14 through InlineCallbacks: cancelling the outer Deferred cancels the
// awaited one, and the body decides the outcome (Twisted 22.4).
func TestInlineCallbacks_CancelCancelsAwaited_D14(t *testing.T) {
	var cancelled []string
	first := reactor.NewDeferred(func(*reactor.Deferred) { cancelled = append(cancelled, "first") })
	second := reactor.NewDeferred(func(*reactor.Deferred) { cancelled = append(cancelled, "second") })
	outer := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
		if _, err := await(first); !errors.Is(err, reactor.ErrCancelled) {
			return nil, fmt.Errorf("first await: %v", err)
		}
		// Recover and wait on something else: the outer waits too.
		v, err := await(second)
		return v, err
	})
	outer.Cancel()
	if outer.Called() {
		t.Fatalf("outer fired on cancel although the body went on waiting: %v", outer)
	}
	outer.Cancel()
	if diff := cmp.Diff([]string{"first", "second"}, cancelled); diff != "" {
		t.Errorf("cancelled (-want +got):\n%s", diff)
	}
	var f *reactor.Failure
	outer.AddErrback(func(got *reactor.Failure) (any, error) { f = got; return nil, nil })
	if f == nil || !errors.Is(f, reactor.ErrCancelled) {
		t.Errorf("outer = %v, want the second CancelledError", outer)
	}
}

// A body suspended on a Deferred that never fires keeps its goroutine until
// Abandon, which unwinds the body (its defers run) and frees the goroutine.
func TestInlineCallbacks_AbandonFreesSuspendedBody(t *testing.T) {
	owner := ownerReactor(t)
	before := runtime.NumGoroutine()
	never := reactor.NewDeferred(nil)
	var unwound []string
	outer := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
		defer func() {
			v, err := await(reactor.Succeed("fired"))
			unwound = append(unwound, fmt.Sprintf("%v %v", v, err))
			_, err = await(reactor.NewDeferred(nil))
			unwound = append(unwound, fmt.Sprint(err))
		}()
		_, _ = await(never)
		unwound = append(unwound, "await returned")
		return nil, nil
	})
	pending := tracking.Of(owner).Pending()
	if len(pending) != 1 {
		t.Fatalf("the reactor lists %d suspended bodies, want 1", len(pending))
	}
	mine := pending[0]
	s := mine.String()
	for _, want := range []string{"TestInlineCallbacks_AbandonFreesSuspendedBody", "inline_test.go", "awaiting <Deferred at"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %s, missing %q", s, want)
		}
	}
	mine.Abandon()
	mine.Abandon() // a second Abandon does nothing
	want := []string{"fired <nil>", reactor.ErrInlineAbandoned.Error()}
	if diff := cmp.Diff(want, unwound); diff != "" {
		t.Errorf("unwinding (-want +got):\n%s", diff)
	}
	if outer.Called() {
		t.Errorf("abandoned body fired its Deferred: %v", outer)
	}
	_ = never.Callback("late") // ignored by the dead body
	if n := len(tracking.Of(owner).Pending()); n != 0 {
		t.Errorf("abandoned body still listed (%d listed)", n)
	}
	waitGoroutines(t, before)
}

// Bodies that finish leave no goroutine behind, whether they ended at once
// or after waiting.
func TestInlineCallbacks_NoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	var ds []*reactor.Deferred
	for range 200 {
		d := reactor.NewDeferred(nil)
		ds = append(ds, d)
		reactor.InlineCallbacks(func(await reactor.Await) (any, error) { return await(d) })
		reactor.InlineCallbacks(func(reactor.Await) (any, error) { return nil, nil })
	}
	for _, d := range ds {
		_ = d.Callback(nil)
	}
	waitGoroutines(t, before)
}

// Long runs of awaits and deep nesting need no stack growth per await.
func TestInlineCallbacks_ManyAwaitsAndDeepNesting(t *testing.T) {
	d := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
		n := 0
		for range 100000 {
			v, _ := await(reactor.Succeed(1))
			n += v.(int)
		}
		return n, nil
	})
	if d.Result() != 100000 {
		t.Fatalf("sum = %v", d.Result())
	}
	var nest func(depth int) *reactor.Deferred
	leaf := reactor.NewDeferred(nil)
	nest = func(depth int) *reactor.Deferred {
		return reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
			if depth == 0 {
				return await(leaf)
			}
			v, err := await(nest(depth - 1))
			if err != nil {
				return nil, err
			}
			return v.(int) + 1, nil
		})
	}
	top := nest(500)
	_ = leaf.Callback(0)
	if top.Result() != 500 {
		t.Fatalf("nested result = %v, want 500", top.Result())
	}
}

// A body driven by a real reactor: timers fire the awaited Deferreds on the
// reactor goroutine; run with -race to check the hand-off.
func TestInlineCallbacks_DrivenByReactor(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	var got any
	r.CallWhenRunning(func() {
		d := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
			total := 0
			for i := range 5 {
				v, err := await(reactor.DeferLater(r, time.Millisecond, func() (any, error) { return i, nil }))
				if err != nil {
					return nil, err
				}
				total += v.(int)
			}
			return total, nil
		})
		d.AddBoth(func(v any) (any, error) {
			got = v
			_ = r.Stop()
			return nil, nil
		})
	})
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	if got != 10 {
		t.Fatalf("result = %v, want 10", got)
	}
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, want at most %d", runtime.NumGoroutine(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func ExampleInlineCallbacks() {
	clock := reactor.NewClock()
	fetch := func(name string) *reactor.Deferred {
		return reactor.DeferLater(clock, time.Second, func() (any, error) { return "hello " + name, nil })
	}
	d := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
		a, err := await(fetch("a"))
		if err != nil {
			return nil, err
		}
		b, err := await(fetch("b"))
		if err != nil {
			return nil, err
		}
		return a.(string) + ", " + b.(string), nil
	})
	fmt.Println("fired before time passes:", d.Called())
	clock.Advance(time.Second)
	clock.Advance(time.Second)
	fmt.Println(d.Result())
	// Output:
	// fired before time passes: false
	// hello a, hello b
}

// The benchmark pair of issue 5: awaiting 10 already-fired Deferreds in a
// body, against the same ten results taken by a plain callback chain (each
// step returns the next fired Deferred, whose result the chain steals,
// D-10). Compare ns/op of the two.
func BenchmarkInlineCallbacks_TenFired(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d := reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
			sum := 0
			for i := range 10 {
				v, _ := await(reactor.Succeed(i))
				sum += v.(int)
			}
			return sum, nil
		})
		if d.Result() != 45 {
			b.Fatal(d.Result())
		}
	}
}

func BenchmarkCallbackChain_TenFired(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sum := 0
		d := reactor.Succeed(nil)
		for i := range 10 {
			d.AddCallback(func(any) (any, error) { return reactor.Succeed(i), nil })
			d.AddCallback(func(v any) (any, error) { sum += v.(int); return sum, nil })
		}
		if d.Result() != 45 {
			b.Fatal(d.Result())
		}
	}
}

// ownerReactor makes a reactor, not run, which owns what the Deferreds and
// InlineCallbacks bodies of the test goroutine leave behind.
func ownerReactor(t *testing.T) *reactor.Reactor {
	t.Helper()
	r, err := reactor.New(reactor.WithErrorObserver(func(reactor.ErrorEvent) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}
