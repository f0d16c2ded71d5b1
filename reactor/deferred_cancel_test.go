package reactor

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// outcome records how a Deferred ended and what later fires returned.
func outcome(d *Deferred) *events {
	ev := &events{}
	d.AddCallbacks(func(v any) (any, error) { ev.add("callback " + show(v)); return v, nil },
		func(f *Failure) (any, error) { ev.add("errback " + failureKind(f)); return nil, nil })
	return ev
}

func failureKind(f *Failure) string {
	switch {
	case errors.Is(f, ErrCancelled):
		return "CancelledError"
	case isAlreadyCalled(f):
		return "AlreadyCalledError"
	}
	if te, ok := errors.AsType[*TimeoutError](f); ok {
		return "TimeoutError(" + te.Timeout.String() + ")"
	}
	return f.ErrorMessage()
}

func fireName(err error) string {
	if err == nil {
		return "ok"
	}
	return failureKind(NewFailure(err))
}

// D-13 (E-05): Cancel on an unfired Deferred, with and without a canceller.
func TestDeferred_Cancel_E05_D13(t *testing.T) {
	cases := []struct {
		name      string
		canceller func(*Deferred)
		want      events
	}{
		{"no canceller: CancelledError, one late fire ignored", nil,
			events{"errback CancelledError", "late callback: ok", "second late callback: AlreadyCalledError"}},
		{"canceller that does not fire: CancelledError, nothing ignored", func(*Deferred) {},
			events{"canceller ran", "errback CancelledError", "late callback: AlreadyCalledError", "second late callback: AlreadyCalledError"}},
		{"canceller that fires wins", func(d *Deferred) { _ = d.Callback("from canceller") },
			events{"canceller ran", "callback from canceller", "late callback: AlreadyCalledError", "second late callback: AlreadyCalledError"}},
		{"canceller that panics: the panic is the failure", func(*Deferred) { panic("canceller broke") },
			events{"canceller ran", "errback panic: canceller broke", "late callback: AlreadyCalledError", "second late callback: AlreadyCalledError"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ev *events
			var canceller func(*Deferred)
			if c.canceller != nil {
				canceller = func(d *Deferred) { ev.add("canceller ran"); c.canceller(d) }
			}
			d := NewDeferred(canceller)
			ev = outcome(d)
			d.Cancel()
			ev.add("late callback: " + fireName(d.Callback("late")))
			ev.add("second late callback: " + fireName(d.Callback("late")))
			if diff := cmp.Diff(c.want, *ev); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// On a fired Deferred that waits on nothing, Cancel does nothing.
	d := Succeed("done")
	d.Cancel()
	if d.Result() != "done" {
		t.Errorf("Cancel on a fired Deferred changed its result to %v", d.Result())
	}
}

// D-14 (E-05): cancelling a Deferred that waits on another cancels the inner
// one; its failure flows out through the outer.
func TestDeferred_CancelForwardsToInner_E05_D14(t *testing.T) {
	var trace events
	inner := NewDeferred(func(*Deferred) { trace.add("inner canceller") })
	outer := NewDeferred(func(*Deferred) { trace.add("outer canceller (wrong)") })
	outer.AddCallback(func(any) (any, error) { return inner, nil })
	ev := outcome(outer)
	_ = outer.Callback(nil)
	outer.Cancel()
	trace = append(trace, *ev...)
	if diff := cmp.Diff(events{"inner canceller", "errback CancelledError"}, trace); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// D-14: Deferreds waiting on each other in a cycle (found by the fuzzer):
// Cancel on them, or on a Deferred waiting on the cycle, does nothing
// instead of recursing until the goroutine stack overflows (Twisted:
// RecursionError).
func TestDeferred_CancelOnWaitingCycle_D14(t *testing.T) {
	a, b, outer := NewDeferred(nil), NewDeferred(nil), NewDeferred(nil)
	a.AddCallback(func(any) (any, error) { return b, nil })
	b.AddCallback(func(any) (any, error) { return a, nil })
	outer.AddCallback(func(any) (any, error) { return a, nil })
	_ = a.Callback(nil)
	_ = b.Callback(nil)
	_ = outer.Callback(nil)
	if a.Result() != b || b.Result() != a || outer.Result() != a {
		t.Fatalf("not a cycle: a waits on %v, b on %v", a.Result(), b.Result())
	}
	for _, d := range []*Deferred{a, b, outer} {
		d.Cancel()
	}
	if a.Paused() != 1 || b.Paused() != 1 || outer.Paused() != 1 {
		t.Errorf("paused: a %d, b %d, outer %d", a.Paused(), b.Paused(), outer.Paused())
	}
}

// D-13, D-18: a canceller that reaches its own Deferred's Cancel again -
// directly, or through a DeferredList whose member waits on the list - runs
// once; the Deferred then errbacks as usual (Twisted recurses forever).
func TestDeferred_ReentrantCancel_D13_D18(t *testing.T) {
	calls := 0
	var d *Deferred
	d = NewDeferred(func(*Deferred) { calls++; d.Cancel() })
	ev := outcome(d)
	d.Cancel()
	if calls != 1 || len(*ev) != 1 || (*ev)[0] != "errback CancelledError" {
		t.Errorf("canceller ran %d times; outcome %v", calls, *ev)
	}

	var list *Deferred
	member := NewDeferred(nil)
	member.AddCallback(func(any) (any, error) { return list, nil }) // before the list's own pair
	list = DeferredList([]*Deferred{member}, DLOptions{})
	_ = member.Callback(nil)
	if member.Result() != list {
		t.Fatalf("member does not wait on the list: %v", member.Result())
	}
	list.Cancel() // cancels member -> waits on list -> list's canceller again
	if list.Called() {
		t.Errorf("list fired with %v", list.Result())
	}
}

// D-17 (E-08): AddTimeout with a Clock.
func TestDeferred_AddTimeout_E08_D17(t *testing.T) {
	t.Run("times out at 5s with TimeoutError(5s), nothing left pending", func(t *testing.T) {
		c := NewClock()
		d := NewDeferred(nil)
		d.AddTimeout(5*time.Second, c, nil)
		ev := outcome(d)
		c.Advance(4900 * time.Millisecond)
		ev.add("at 4.9s")
		c.Advance(100 * time.Millisecond)
		if diff := cmp.Diff(events{"at 4.9s", "errback TimeoutError(5s)"}, *ev); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if n := len(c.GetDelayedCalls()); n != 0 {
			t.Errorf("%d calls left pending", n)
		}
	})
	t.Run("fired in time: value passes, timer cancelled", func(t *testing.T) {
		c := NewClock()
		d := NewDeferred(nil)
		d.AddTimeout(5*time.Second, c, nil)
		ev := outcome(d)
		c.Advance(time.Second)
		_ = d.Callback("in time")
		if n := len(c.GetDelayedCalls()); n != 0 {
			t.Errorf("%d calls left pending", n)
		}
		c.Advance(time.Minute)
		if diff := cmp.Diff(events{"callback in time"}, *ev); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a canceller that fires with a value keeps it", func(t *testing.T) {
		c := NewClock()
		d := NewDeferred(func(d *Deferred) { _ = d.Callback("canceller value") })
		d.AddTimeout(5*time.Second, c, nil)
		ev := outcome(d)
		c.Advance(5 * time.Second)
		if diff := cmp.Diff(events{"callback canceller value"}, *ev); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("onTimeoutCancel gets the CancelledError Failure and the timeout", func(t *testing.T) {
		c := NewClock()
		d := NewDeferred(nil)
		var got events
		d.AddTimeout(time.Second, c, func(v any, timeout time.Duration) (any, error) {
			f, _ := v.(*Failure)
			got.add("onTimeoutCancel " + failureKind(f) + " " + timeout.String())
			return "replaced", nil
		})
		ev := outcome(d)
		c.Advance(time.Second)
		got = append(got, *ev...)
		if diff := cmp.Diff(events{"onTimeoutCancel CancelledError 1s", "callback replaced"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("covers a Deferred returned by earlier steps, not later ones", func(t *testing.T) {
		c := NewClock()
		var trace events
		inner := NewDeferred(func(*Deferred) { trace.add("inner cancelled") })
		d := NewDeferred(nil)
		d.AddCallback(func(any) (any, error) { return inner, nil })
		d.AddTimeout(5*time.Second, c, nil)
		ev := outcome(d)
		_ = d.Callback(nil)
		c.Advance(5 * time.Second)
		trace = append(trace, *ev...)
		if diff := cmp.Diff(events{"inner cancelled", "errback TimeoutError(5s)"}, trace); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}

		late := NewDeferred(func(*Deferred) { t.Error("a step added after AddTimeout was cancelled") })
		e := NewDeferred(nil)
		e.AddTimeout(5*time.Second, c, nil)
		_ = e.Callback(nil)
		e.AddCallback(func(any) (any, error) { return late, nil })
		c.Advance(time.Minute)
		_ = late.Callback("late")
		if e.Result() != "late" {
			t.Errorf("result = %v", e.Result())
		}
	})
}

// TR-13 (E-08): DeferLater fires with f's result after the delay; an error
// from f errbacks; Cancel cancels the pending call and errbacks.
func TestDeferLater_E08_TR13(t *testing.T) {
	c := NewClock()
	fortyTwo := DeferLater(c, time.Second, func() (any, error) { return 42, nil })
	noFunc := DeferLater(c, time.Second, nil)
	failing := DeferLater(c, time.Second, func() (any, error) { return nil, errors.New("f failed") })
	cancelled := DeferLater(c, time.Second, func() (any, error) { t.Error("cancelled DeferLater ran f"); return nil, nil })
	evs := []*events{outcome(fortyTwo), outcome(noFunc), outcome(failing), outcome(cancelled)}
	cancelled.Cancel()
	if n := len(c.GetDelayedCalls()); n != 3 {
		t.Errorf("%d calls pending after one cancel, want 3", n)
	}
	c.Advance(999 * time.Millisecond)
	if fortyTwo.Called() {
		t.Error("fired before its delay")
	}
	c.Advance(time.Millisecond)
	var got []events
	for _, e := range evs {
		got = append(got, *e)
	}
	want := []events{{"callback 42"}, {"callback <nil>"}, {"errback f failed"}, {"errback CancelledError"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := len(c.GetDelayedCalls()); n != 0 {
		t.Errorf("%d calls left pending", n)
	}
}
