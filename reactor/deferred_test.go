package reactor

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// record returns a callback that records what it got and passes it on.
func record(ev *events, name string) Callback {
	return func(v any) (any, error) {
		ev.add(fmt.Sprintf("%s(%s)", name, show(v)))
		return v, nil
	}
}

// show prints a result briefly: values with %v, Failures as F(message).
func show(v any) string {
	switch v := v.(type) {
	case *Failure:
		return "F(" + v.ErrorMessage() + ")"
	case *Deferred:
		return "<Deferred>"
	}
	return fmt.Sprint(v)
}

// handled adds a final errback that swallows a failure, so tests that end on
// the error path leave nothing unhandled behind.
func handled(d *Deferred) { d.AddErrback(func(*Failure) (any, error) { return nil, nil }) }

// D-01: unfired until Callback/Errback, then called for good with a result.
func TestDeferred_FiredState_D01(t *testing.T) {
	d := NewDeferred(nil)
	if d.Called() || d.Result() != nil || d.Paused() != 0 {
		t.Fatalf("new Deferred: called=%v result=%v paused=%d", d.Called(), d.Result(), d.Paused())
	}
	if err := d.Callback(7); err != nil {
		t.Fatal(err)
	}
	if !d.Called() || d.Result() != 7 {
		t.Errorf("after Callback(7): called=%v result=%v", d.Called(), d.Result())
	}
}

// D-02 (E-05): a second Callback or Errback returns an *AlreadyCalledError and
// leaves the result alone; Callback(*Deferred) is refused (Twisted asserts).
func TestDeferred_SecondFireIsAlreadyCalled_E05_D02(t *testing.T) {
	d := NewDeferred(nil)
	_ = d.Callback(1)
	if err := d.Callback(2); !isAlreadyCalled(err) {
		t.Errorf("second Callback: err = %v, want an *AlreadyCalledError", err)
	}
	if err := d.Errback(errors.New("late")); !isAlreadyCalled(err) {
		t.Errorf("Errback after Callback: err = %v, want an *AlreadyCalledError", err)
	}
	if d.Result() != 1 {
		t.Errorf("result = %v, want 1 unchanged", d.Result())
	}
	if got := (&AlreadyCalledError{}).Error(); got != "deferred has already been called" {
		t.Errorf("message %q", got)
	}

	e := NewDeferred(nil)
	if err := e.Callback(NewDeferred(nil)); !errors.Is(err, ErrDeferredResult) {
		t.Errorf("Callback(*Deferred): err = %v, want ErrDeferredResult", err)
	}
	if e.Called() {
		t.Error("Callback(*Deferred) fired the Deferred")
	}
}

// D-02 with WithDebugging (D-20): the error names where the Deferred was
// made and where it was first fired.
func TestDeferred_DebuggingNamesCallSites_D02_D20(t *testing.T) {
	r, err := New(WithDebugging())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := NewDeferred(nil)
	_ = d.Callback(nil)
	err = d.Callback(nil)
	ace, ok := errors.AsType[*AlreadyCalledError](err)
	if !ok {
		t.Fatalf("err = %v, want an *AlreadyCalledError", err)
	}
	const here = "TestDeferred_DebuggingNamesCallSites_D02_D20"
	if !strings.Contains(ace.Creator, here) || !strings.Contains(ace.Invoker, here) {
		t.Errorf("creator:\n%s\ninvoker:\n%s\nwant both to name %s", ace.Creator, ace.Invoker, here)
	}
}

// D-03 (E-05): Errback wraps a plain error in a Failure and uses a *Failure
// as is; Callback(aFailure) is Errback(aFailure); Errback(nil) is refused.
func TestDeferred_ErrbackAndFailureResults_E05_D03(t *testing.T) {
	plain := errors.New("plain")
	d := NewDeferred(nil)
	var got *Failure
	d.AddErrback(func(f *Failure) (any, error) { got = f; return nil, nil })
	_ = d.Errback(plain)
	if got == nil || got.Value() != plain {
		t.Errorf("errback got %v, want a Failure wrapping the error", got)
	}

	f := NewFailure(errors.New("as is"))
	for name, fire := range map[string]func(*Deferred) error{
		"Errback":  func(d *Deferred) error { return d.Errback(f) },
		"Callback": func(d *Deferred) error { return d.Callback(f) },
	} {
		d := NewDeferred(nil)
		var seen *Failure
		d.AddCallbacks(func(any) (any, error) { t.Errorf("%s(Failure) ran a callback", name); return nil, nil },
			func(g *Failure) (any, error) { seen = g; return nil, nil })
		if err := fire(d); err != nil {
			t.Fatal(err)
		}
		if seen != f {
			t.Errorf("%s(Failure): errback got %v, want the same Failure", name, seen)
		}
	}

	e := NewDeferred(nil)
	var nilFailure *Failure
	for _, err := range []error{e.Errback(nil), e.Errback(nilFailure)} {
		if !errors.Is(err, ErrNoCurrentException) {
			t.Errorf("Errback(nil): err = %v, want ErrNoCurrentException", err)
		}
	}
	if e.Called() {
		t.Error("Errback(nil) fired the Deferred")
	}
}

// D-04: the add methods return the Deferred; a nil half passes through.
func TestDeferred_AddMethodsAndPassThrough_D04(t *testing.T) {
	var ev events
	d := NewDeferred(nil)
	for _, got := range []*Deferred{
		d.AddCallback(nil),
		d.AddErrback(nil),
		d.AddCallbacks(nil, nil),
		d.AddCallback(record(&ev, "cb")),
		d.AddErrback(func(f *Failure) (any, error) { ev.add("eb must not run"); return nil, nil }),
		d.AddBoth(record(&ev, "both")),
		d.AddCallbacks(func(v any) (any, error) { return nil, errors.New("to the error path") }, nil),
		d.AddCallback(record(&ev, "skipped cb")),
		d.AddBoth(record(&ev, "both on failure")),
		d.AddErrback(func(f *Failure) (any, error) { ev.add("eb(" + f.ErrorMessage() + ")"); return "recovered", nil }),
		d.AddCallback(record(&ev, "cb")),
	} {
		if got != d {
			t.Fatal("an add method did not return its receiver")
		}
	}
	_ = d.Callback("v")
	want := events{"cb(v)", "both(v)", "both on failure(F(to the error path))", "eb(to the error path)", "cb(recovered)"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// D-05 (E-06): a callback's error goes to the next pair's errback, never its
// own partner; a returned *Failure and a panic switch paths too.
func TestDeferred_PairSemantics_E06_D05(t *testing.T) {
	var ev events
	divide := errors.New("division by zero")
	d := NewDeferred(nil)
	d.AddCallbacks(func(any) (any, error) { ev.add("cb raises"); return nil, divide },
		func(*Failure) (any, error) { ev.add("own errback (wrong)"); return nil, nil })
	d.AddCallbacks(func(any) (any, error) { ev.add("next callback (wrong)"); return nil, nil },
		func(f *Failure) (any, error) {
			ev.add("next errback gets " + f.ErrorMessage())
			return NewFailure(errors.New("returned Failure")), nil
		})
	d.AddErrback(func(f *Failure) (any, error) { ev.add("errback gets " + f.ErrorMessage()); panic(divide) })
	var last *Failure
	d.AddErrback(func(f *Failure) (any, error) { last = f; return nil, nil })
	_ = d.Callback(1)
	want := events{"cb raises", "next errback gets division by zero", "errback gets returned Failure"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	p, ok := errors.AsType[*PanicError](last)
	if !ok || !errors.Is(last, divide) || p.Value != divide {
		t.Errorf("a panic became %v, want a PanicError wrapping the value", last)
	}
}

// D-06 (E-05, E-06): an errback returning a value, or nil, recovers.
func TestDeferred_ErrbackRecovers_E05_D06(t *testing.T) {
	var ev events
	d := NewDeferred(nil)
	d.AddErrback(func(f *Failure) (any, error) { return "recovered:" + f.ErrorMessage(), nil })
	d.AddCallback(record(&ev, "cb"))
	d.AddCallback(func(any) (any, error) { return nil, errors.New("again") })
	d.AddErrback(func(*Failure) (any, error) { return nil, nil })
	d.AddCallback(record(&ev, "cb"))
	_ = d.Errback(errors.New("bad"))
	if diff := cmp.Diff(events{"cb(recovered:bad)", "cb(<nil>)"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// D-07 (E-06): adding to a fired Deferred runs the pair at once; adding from
// inside a running callback appends without recursing.
func TestDeferred_ReentrantAddOrder_E06_D07(t *testing.T) {
	var ev events
	d := NewDeferred(nil)
	d.AddCallback(func(v any) (any, error) {
		ev.add("cb1")
		d.AddCallback(func(v any) (any, error) { ev.add("added-during-cb1"); return v, nil })
		ev.add("cb1-after-add")
		return v, nil
	})
	d.AddCallback(func(v any) (any, error) { ev.add("cb2"); return v, nil })
	_ = d.Callback(nil)
	d.AddCallback(func(v any) (any, error) { ev.add("added after firing"); return v, nil })
	ev.add("AddCallback returned")
	want := events{"cb1", "cb1-after-add", "cb2", "added-during-cb1", "added after firing", "AddCallback returned"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// D-08 (E-05, E-06): pauses nest; an unmatched Unpause drives the count
// negative and blocks the chain (no panic), until the count is back at 0
// through an Unpause; a pause from inside a callback does not stop the
// steps already running.
func TestDeferred_PauseCounting_E06_D08(t *testing.T) {
	var ev events
	d := NewDeferred(nil)
	d.AddCallback(record(&ev, "cb"))
	d.Pause()
	d.Pause()
	_ = d.Callback(1)
	d.Unpause()
	ev.add(fmt.Sprintf("one unpause: paused=%d", d.Paused()))
	d.Unpause()

	u := NewDeferred(nil)
	u.AddCallback(record(&ev, "unmatched"))
	u.Unpause()
	_ = u.Callback(2)
	ev.add(fmt.Sprintf("after unmatched unpause: paused=%d", u.Paused()))
	u.Pause() // back to 0, but Pause never runs the chain
	u.Unpause()
	u.Pause()
	u.Pause()
	u.Unpause() // 0 again, by an Unpause: runs

	p := NewDeferred(nil)
	p.AddCallback(func(v any) (any, error) { p.Pause(); ev.add("pausing cb"); return v, nil })
	p.AddCallback(record(&ev, "same run"))
	_ = p.Callback(3)
	p.AddCallback(record(&ev, "next run"))
	ev.add("added while paused")
	p.Unpause()
	want := events{"one unpause: paused=1", "cb(1)", "after unmatched unpause: paused=-1", "unmatched(2)",
		"pausing cb", "same run(3)", "added while paused", "next run(3)"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// D-09 (E-05): a callback returning an unfired Deferred makes the outer one
// wait; the inner's result then moves to the outer and the inner is left
// with nil, which is what steps added to it later see.
func TestDeferred_ReturnedDeferredPausesChain_E05_D09(t *testing.T) {
	var ev events
	outer, inner := NewDeferred(nil), NewDeferred(nil)
	outer.AddCallback(func(any) (any, error) { return inner, nil })
	outer.AddCallback(record(&ev, "outer after inner"))
	_ = outer.Callback("outer value")
	if outer.Result() != inner || outer.Paused() != 1 {
		t.Errorf("waiting outer: Result=%v paused=%d, want the inner Deferred and 1", outer.Result(), outer.Paused())
	}
	ev.add("inner fires")
	_ = inner.Callback("inner value")
	inner.AddCallback(record(&ev, "added to inner afterwards"))
	want := events{"inner fires", "outer after inner(inner value)", "added to inner afterwards(<nil>)"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if outer.Paused() != 0 || outer.Result() != "inner value" {
		t.Errorf("outer: paused=%d result=%v", outer.Paused(), outer.Result())
	}
}

// D-08, D-09, D-14: what "waiting" means is that the result is a Deferred,
// as in Twisted (isinstance(result, Deferred)), not a separate link. An
// unmatched Unpause lets a waiting outer run on with the inner as its
// result; Cancel on the outer still reaches the inner; and a Deferred whose
// callback returns that outer waits on it rather than taking its result.
// The expected states are what Twisted 22.4 prints for the same program.
func TestDeferred_WaitingIsAResultThatIsADeferred_D08_D09_D14(t *testing.T) {
	var ev events
	outer, inner := NewDeferred(nil), NewDeferred(func(*Deferred) { ev.add("inner canceller") })
	outer.AddCallback(func(any) (any, error) { return inner, nil })
	_ = outer.Callback(0)
	outer.Unpause() // unmatched: the chain goes on, its result still inner
	ev.add(fmt.Sprintf("outer paused=%d waiting=%v", outer.Paused(), outer.Result() == inner))

	third := NewDeferred(nil)
	third.AddCallback(func(any) (any, error) { return outer, nil })
	_ = third.Callback(0)
	ev.add(fmt.Sprintf("third paused=%d waiting on outer=%v", third.Paused(), third.Result() == outer))

	outer.Cancel() // reaches inner through outer's result
	handled(inner)
	want := events{"outer paused=0 waiting=true", "third paused=1 waiting on outer=true", "inner canceller"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// D-10 (E-05, E-06): an already-fired inner's result is taken at once (the
// inner keeps nil); a fired but paused inner is waited for until unpaused.
func TestDeferred_ReturnedFiredDeferred_E06_D10(t *testing.T) {
	var ev events
	fired := Succeed("fired inner")
	d := NewDeferred(nil)
	d.AddCallback(func(any) (any, error) { return fired, nil })
	d.AddCallback(record(&ev, "takes"))
	_ = d.Callback(nil)
	ev.add("inner now has " + show(fired.Result()))

	paused := Succeed("paused inner")
	paused.Pause()
	e := NewDeferred(nil)
	e.AddCallback(func(any) (any, error) { return paused, nil })
	e.AddCallback(record(&ev, "after paused inner"))
	_ = e.Callback(nil)
	ev.add("unpausing inner")
	paused.Unpause()
	want := events{"takes(fired inner)", "inner now has <nil>", "unpausing inner", "after paused inner(paused inner)"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// D-11 (E-07, braid's deviation): a callback returning its own Deferred puts
// the chain on the error path with ErrReturnedSelf (Twisted only warns and
// breaks the chain).
func TestDeferred_ReturnedSelfIsFailure_E07_D11(t *testing.T) {
	d := NewDeferred(nil)
	d.AddCallback(func(any) (any, error) { return d, nil })
	var got *Failure
	d.AddErrback(func(f *Failure) (any, error) { got = f; return "handled", nil })
	_ = d.Callback(nil)
	if got == nil || !errors.Is(got, ErrReturnedSelf) {
		t.Errorf("errback got %v, want ErrReturnedSelf", got)
	}
	if d.Result() != "handled" {
		t.Errorf("result = %v", d.Result())
	}
}

// A nil *Deferred returned by a callback means "nothing to wait for": the
// chain goes on with nil.
func TestDeferred_NilDeferredResultIsNil(t *testing.T) {
	var ev events
	d := NewDeferred(nil)
	d.AddCallback(func(any) (any, error) { var none *Deferred; return none, nil })
	d.AddCallback(record(&ev, "next"))
	_ = d.Callback(1)
	if diff := cmp.Diff(events{"next(<nil>)"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
