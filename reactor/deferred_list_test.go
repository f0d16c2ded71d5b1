package reactor

import (
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// D-16 (E-05): MaybeDeferred always gives a Deferred; one returned by f is
// the same object.
func TestMaybeDeferred_E05_D16(t *testing.T) {
	boom := errors.New("boom")
	f := NewFailure(errors.New("a Failure"))
	own := NewDeferred(nil)
	cases := []struct {
		name string
		f    func() (any, error)
		want string
	}{
		{"value", func() (any, error) { return "v", nil }, "callback v"},
		{"nil", func() (any, error) { return nil, nil }, "callback <nil>"},
		{"error", func() (any, error) { return nil, boom }, "errback boom"},
		{"returned *Failure", func() (any, error) { return f, nil }, "errback a Failure"},
		{"panic", func() (any, error) { panic("bad f") }, "errback panic: bad f"},
		{"nil *Deferred", func() (any, error) { var d *Deferred; return d, nil }, "callback <nil>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := MaybeDeferred(c.f)
			ev := outcome(d)
			if diff := cmp.Diff(events{c.want}, *ev); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := MaybeDeferred(func() (any, error) { return own, nil }); got != own {
		t.Error("a returned Deferred is not passed through as the same object")
	}
	var seen *Failure
	MaybeDeferred(func() (any, error) { return f, nil }).AddErrback(func(g *Failure) (any, error) { seen = g; return nil, nil })
	if seen != f {
		t.Error("a returned Failure is not used as is")
	}
	if d := Succeed(1); !d.Called() || d.Result() != 1 {
		t.Errorf("Succeed: %v", d)
	}
	d := Fail(boom)
	if r, ok := d.Result().(*Failure); !d.Called() || !ok || r.Value() != boom {
		t.Errorf("Fail: %v", d)
	}
	handled(d)
}

// dlShow renders a DeferredList result.
func dlShow(v any) string {
	switch v := v.(type) {
	case []DLResult:
		s := "["
		for i, r := range v {
			if i > 0 {
				s += " "
			}
			s += fmt.Sprintf("(%v,%s)", r.OK, show(r.Value))
		}
		return s + "]"
	case DLFirst:
		return fmt.Sprintf("first(%s,#%d)", show(v.Value), v.Index)
	}
	return show(v)
}

// D-18 (E-05): DeferredList.
func TestDeferredList_E05_D18(t *testing.T) {
	t.Run("results in input order once all fired", func(t *testing.T) {
		ds := []*Deferred{NewDeferred(nil), NewDeferred(nil), NewDeferred(nil)}
		var got []string
		DeferredList(ds, DLOptions{}).AddCallback(func(v any) (any, error) { got = append(got, dlShow(v)); return nil, nil })
		_ = ds[2].Callback("c")
		_ = ds[1].Errback(errors.New("ValueError"))
		if got != nil {
			t.Fatalf("fired before the last member: %v", got)
		}
		_ = ds[0].Callback("a")
		if diff := cmp.Diff([]string{"[(true,a) (false,F(ValueError)) (true,c)]"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		// Without ConsumeErrors the failing member keeps its Failure.
		if _, ok := ds[1].Result().(*Failure); !ok {
			t.Errorf("member result = %v, want its Failure kept", ds[1].Result())
		}
		handled(ds[1])
	})
	t.Run("empty list fires at once with an empty slice", func(t *testing.T) {
		d := DeferredList(nil, DLOptions{})
		if r, ok := d.Result().([]DLResult); !d.Called() || !ok || len(r) != 0 {
			t.Errorf("result = %#v", d.Result())
		}
	})
	t.Run("empty list with FireOnOneCallback never fires", func(t *testing.T) {
		d := DeferredList(nil, DLOptions{FireOnOneCallback: true})
		if d.Called() {
			t.Errorf("fired with %v", d.Result())
		}
	})
	t.Run("FireOnOneCallback: first success and its index", func(t *testing.T) {
		ds := []*Deferred{NewDeferred(nil), NewDeferred(nil)}
		d := DeferredList(ds, DLOptions{FireOnOneCallback: true})
		_ = ds[1].Callback("bb")
		_ = ds[0].Callback("aa")
		if got := dlShow(d.Result()); got != "first(bb,#1)" {
			t.Errorf("result = %s", got)
		}
	})
	t.Run("FireOnOneErrback: FirstError with the member's Failure and index", func(t *testing.T) {
		ds := []*Deferred{NewDeferred(nil), NewDeferred(nil)}
		d := DeferredList(ds, DLOptions{FireOnOneErrback: true, ConsumeErrors: true})
		keyErr := errors.New("KeyError('x')")
		_ = ds[1].Errback(keyErr)
		f, _ := d.Result().(*Failure)
		fe, ok := errors.AsType[*FirstError](f)
		if !ok || fe.Index != 1 || fe.Sub.Value() != keyErr {
			t.Fatalf("result = %v, want FirstError #1", d.Result())
		}
		if got := fe.Error(); got != "FirstError[#1, KeyError('x')]" {
			t.Errorf("message %q", got)
		}
		handled(d)
	})
	t.Run("ConsumeErrors: later member steps see nil", func(t *testing.T) {
		flush := ownUnhandled(t)
		m := NewDeferred(nil)
		DeferredList([]*Deferred{m}, DLOptions{ConsumeErrors: true})
		_ = m.Errback(errors.New("consumed"))
		if m.Result() != nil {
			t.Errorf("member result = %v, want nil", m.Result())
		}
		if left := flush(); len(left) != 0 {
			t.Errorf("unhandled after ConsumeErrors: %v", left)
		}
	})
	t.Run("steps added to a member before the list change what it sees", func(t *testing.T) {
		m := NewDeferred(nil)
		m.AddCallback(func(v any) (any, error) { return fmt.Sprint(v, "+before"), nil })
		d := DeferredList([]*Deferred{m}, DLOptions{})
		m.AddCallback(func(v any) (any, error) { return "after", nil })
		_ = m.Callback("v")
		if got := dlShow(d.Result()); got != "[(true,v+before)]" {
			t.Errorf("result = %s", got)
		}
	})
	t.Run("Cancel cancels the unfired members; the list fires with what they give", func(t *testing.T) {
		var ev events
		done := Succeed("done")
		waiting := NewDeferred(func(*Deferred) { ev.add("member cancelled") })
		d := DeferredList([]*Deferred{done, waiting}, DLOptions{ConsumeErrors: true})
		d.Cancel()
		ev.add(dlShow(d.Result()))
		d.Cancel() // fired: nothing
		want := events{"member cancelled", "[(true,done) (false,F(deferred was cancelled))]"}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// D-19 (E-05): GatherResults gives the values, or FirstError on the first
// failure while the other members keep running. braid's FirstError unwraps
// to the member's error (Twisted's check would not see through it).
func TestGatherResults_E05_D19(t *testing.T) {
	ok := GatherResults([]*Deferred{Succeed(1), Succeed("two")}, GatherOptions{})
	if diff := cmp.Diff([]any{1, "two"}, ok.Result()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	keyErr := errors.New("KeyError")
	ds := []*Deferred{NewDeferred(nil), NewDeferred(nil), NewDeferred(nil)}
	d := GatherResults(ds, GatherOptions{ConsumeErrors: true})
	_ = ds[1].Errback(keyErr)
	f, _ := d.Result().(*Failure)
	fe, isFE := errors.AsType[*FirstError](f)
	if !isFE || fe.Index != 1 || !errors.Is(f, keyErr) {
		t.Errorf("result = %v, want FirstError #1 wrapping KeyError", d.Result())
	}
	var ev events
	ds[2].AddCallback(record(&ev, "other member still runs"))
	_ = ds[2].Callback(3)
	if diff := cmp.Diff(events{"other member still runs(3)"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	handled(d)
	if d := GatherResults(nil, GatherOptions{}); fmt.Sprint(d.Result()) != "[]" {
		t.Errorf("empty: %v", d.Result())
	}
}

// D-20 (E-06): String.
func TestDeferred_String_E06_D20(t *testing.T) {
	inner := NewDeferred(nil)
	waiting := NewDeferred(nil)
	waiting.AddCallback(func(any) (any, error) { return inner, nil })
	_ = waiting.Callback(nil)
	cases := []struct {
		d    *Deferred
		want string
	}{
		{NewDeferred(nil), `^<Deferred at 0x[0-9a-f]+>$`},
		{Succeed(1), `^<Deferred at 0x[0-9a-f]+ current result: 1>$`},
		{waiting, `^<Deferred at 0x[0-9a-f]+ waiting on Deferred at ` + fmt.Sprintf("%p", inner) + `>$`},
	}
	for _, c := range cases {
		if got := c.d.String(); !regexp.MustCompile(c.want).MatchString(got) {
			t.Errorf("String() = %q, want %s", got, c.want)
		}
	}
	_ = inner.Callback(nil)
}

// D-18: once a DeferredList has fired, Cancel does nothing, even while a
// callback added to the list waits on another Deferred; nor does cancelling
// a Deferred that waits on such a list. (Twisted's DeferredList overrides
// cancel with "if not self.called"; a plain Deferred would pass the cancel
// on to the one it waits on, D-14.)
func TestDeferredList_CancelAfterFiringDoesNothing_D18(t *testing.T) {
	var ev events
	inner := NewDeferred(func(*Deferred) { ev.add("inner cancelled") })
	list := DeferredList(nil, DLOptions{}) // fires at once
	list.AddCallback(func(any) (any, error) { return inner, nil })
	list.Cancel()
	outer := NewDeferred(nil)
	outer.AddCallback(func(any) (any, error) { return list, nil })
	_ = outer.Callback(nil)
	outer.Cancel()
	if len(ev) != 0 || inner.Called() {
		t.Errorf("a cancel reached the Deferred the fired list waits on: %v", ev)
	}
	plain := Succeed(nil)
	plain.AddCallback(func(any) (any, error) { return inner, nil })
	plain.Cancel()
	handled(inner)
	if diff := cmp.Diff(events{"inner cancelled"}, ev); diff != "" {
		t.Errorf("a plain Deferred passes the cancel on (-want +got):\n%s", diff)
	}
}
