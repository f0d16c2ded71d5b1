package reactor

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Ports of test_defer.py's repr tests (DeferredTests.test_repr,
// test_reprWithResult, test_reprWithChaining), AlreadyCalledTests' debug
// tests, LogTests.test_errorLogDebugInfo and UtilTests' logError tests, in
// braid's words.

// test_repr, test_reprWithResult: Twisted's shape, with the result written
// as Go source writes it.
func TestDeferred_String_D20(t *testing.T) {
	ownUnhandled(t)
	type point struct{ X, Y int }
	unfired := NewDeferred(nil)
	failed := Fail(errors.New("boom"))
	cases := []struct {
		d    *Deferred
		want string // after "<Deferred at 0x…"
	}{
		{unfired, ">"},
		{Succeed("orange"), ` current result: "orange">`},
		{Succeed(nil), " current result: nil>"},
		{Succeed(42), " current result: 42>"},
		{Succeed(true), " current result: true>"},
		{Succeed(1500 * time.Millisecond), " current result: 1.5s>"},
		{Succeed([]byte("x")), ` current result: "x">`},
		{Succeed([]any{1, "a"}), ` current result: []interface {}{1, "a"}>`},
		{Succeed(point{1, 2}), " current result: reactor.point{X:1, Y:2}>"},
		{Succeed(errors.New("as a value")), ` current result: *errors.errorString("as a value")>`},
		{failed, " current result: <Failure *errors.errorString: boom>>"},
	}
	for _, c := range cases {
		want := fmt.Sprintf("<Deferred at %p", c.d) + c.want
		if got := c.d.String(); got != want {
			t.Errorf("String() = %s, want %s", got, want)
		}
		if got := fmt.Sprintf("%v|%s", c.d, c.d); got != want+"|"+want {
			t.Errorf("%%v|%%s = %s", got)
		}
	}
	if got, want := fmt.Sprintf("%q", unfired), fmt.Sprintf("%q", unfired.String()); got != want {
		t.Errorf("%%q = %s, want %s", got, want)
	}
}

// test_reprWithChaining: the target of ChainDeferred says it waits on the
// source until its chain runs; a paused target keeps saying so, as in
// Twisted; an implicit wait says so until the inner Deferred fires.
func TestDeferred_WaitingOn_D20(t *testing.T) {
	waiting := func(d, on *Deferred) string {
		return fmt.Sprintf("<Deferred at %p waiting on Deferred at %p>", d, on)
	}
	check := func(step string, d, on *Deferred, want string) {
		t.Helper()
		if d.WaitingOn() != on || d.String() != want {
			t.Errorf("%s: WaitingOn() = %p, String() = %s; want %p, %s", step, d.WaitingOn(), d, on, want)
		}
	}
	a, b := NewDeferred(nil), NewDeferred(nil)
	b.ChainDeferred(a)
	check("chained", a, b, waiting(a, b))
	check("source", b, nil, fmt.Sprintf("<Deferred at %p>", b))
	_ = b.Callback(3)
	check("chained, after the source fired", a, nil, fmt.Sprintf("<Deferred at %p current result: 3>", a))

	a, b = NewDeferred(nil), NewDeferred(nil)
	a.Pause()
	b.ChainDeferred(a)
	_ = b.Callback(3)
	check("paused target, fired", a, b, waiting(a, b))
	a.Unpause()
	check("paused target, unpaused", a, nil, fmt.Sprintf("<Deferred at %p current result: 3>", a))

	outer, inner := Succeed(1), NewDeferred(nil)
	outer.AddCallback(func(any) (any, error) { return inner, nil })
	check("implicit wait", outer, inner, waiting(outer, inner))
	_ = inner.Callback(2)
	check("implicit wait over", outer, nil, fmt.Sprintf("<Deferred at %p current result: 2>", outer))
	check("inner after the wait", inner, nil, fmt.Sprintf("<Deferred at %p current result: nil>", inner))

	// The waiter paused by hand while it waits: Twisted's _chainedTo
	// stays, and so does braid's answer, until it runs again.
	outer, inner = Succeed(1), NewDeferred(nil)
	outer.AddCallback(func(any) (any, error) { return inner, nil })
	outer.Pause()
	_ = inner.Callback(2)
	check("paused waiter after the inner fired", outer, inner, waiting(outer, inner))
	outer.Unpause()
	check("paused waiter, unpaused", outer, nil, fmt.Sprintf("<Deferred at %p current result: 2>", outer))
}

func call1(d *Deferred) error { return d.Callback("hello") }
func call2(d *Deferred) error { return d.Callback("twice") }
func err1(d *Deferred) error  { return d.Errback(errors.New("first")) }
func err2(d *Deferred) error  { return d.Errback(errors.New("second")) }

// testAlreadyCalledDebug_CC, _CE, _EC, _EE: with debugging, the second
// fire's error names where the Deferred was made (and not the fires) and
// the first fire (and not the second).
func TestDeferred_AlreadyCalledNamesSites_D02_D20(t *testing.T) {
	r, err := New(WithDebugging())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cases := []struct {
		first, second func(*Deferred) error
		f1, f2        string
	}{
		{call1, call2, "call1", "call2"},
		{call1, err2, "call1", "err2"},
		{err1, call2, "err1", "call2"},
		{err1, err2, "err1", "err2"},
	}
	for _, c := range cases {
		d := makeDeferredHere()
		d.AddCallbacks(func(any) (any, error) { return nil, nil }, func(*Failure) (any, error) { return nil, nil })
		_ = c.first(d)
		ace, ok := errors.AsType[*AlreadyCalledError](c.second(d))
		if !ok {
			t.Fatalf("%s then %s: no *AlreadyCalledError", c.f1, c.f2)
		}
		named := func(text, fn string) bool { return strings.Contains(text, "reactor."+fn+"\n") }
		if !named(ace.Creator, "makeDeferredHere") || named(ace.Creator, c.f1) || named(ace.Creator, c.f2) {
			t.Errorf("%s then %s: creator sites:\n%s", c.f1, c.f2, ace.Creator)
		}
		if !named(ace.Invoker, c.f1) || named(ace.Invoker, c.f2) {
			t.Errorf("%s then %s: invoker sites:\n%s", c.f1, c.f2, ace.Invoker)
		}
		if msg := ace.Error(); !strings.Contains(msg, "created at:") || !strings.Contains(msg, "first invoked at:") {
			t.Errorf("message lacks the sites: %s", msg)
		}
	}
}

//go:noinline
func makeDeferredHere() *Deferred { return NewDeferred(nil) }

// testNoDebugging: without debugging the error says nothing more.
// (testSwitchDebugging has no counterpart: debugging is fixed when the
// reactor is made.)
func TestDeferred_AlreadyCalledWithoutDebugging(t *testing.T) {
	d := Succeed(nil)
	ace, ok := errors.AsType[*AlreadyCalledError](d.Callback(nil))
	if !ok || ace.Creator != "" || ace.Invoker != "" || ace.Error() != "deferred has already been called" {
		t.Fatalf("error %#v", ace)
	}
	if s := fmt.Sprintf("%+v", d); s != d.String() {
		t.Errorf("%%+v without debugging = %s", s)
	}
}

// test_errorLogDebugInfo: with debugging, the report of an unhandled error
// names where its Deferred was made and first fired; %+v of the Deferred
// shows the same.
func TestDeferred_UnhandledReportNamesSites_D15_D20(t *testing.T) {
	log := &errorLog{}
	r, err := New(WithDebugging(), WithErrorObserver(log.observe))
	if err != nil {
		t.Fatal(err)
	}
	d := makeDeferredHere()
	d.AddCallback(func(any) (any, error) { return nil, errors.New("division by zero") })
	_ = call1(d)
	plus := fmt.Sprintf("%+v", d)
	_ = r.Close()
	if len(log.evs) != 1 || log.evs[0].Why != whyUnhandled {
		t.Fatalf("logged %v", log.whys())
	}
	tb := log.evs[0].Failure.Traceback()
	for _, text := range []string{tb, plus} {
		created := strings.Index(text, "Deferred created at:\n")
		fired := strings.Index(text, "Deferred first fired at:\n")
		if created < 0 || fired < created ||
			!strings.Contains(text[created:fired], "reactor.makeDeferredHere") ||
			!strings.Contains(text[fired:], "reactor.call1") {
			t.Errorf("report lacks the sites:\n%s", text)
		}
	}
	if !strings.Contains(tb, "unhandled in a Deferred (debug):") {
		t.Errorf("traceback does not say why it names the sites:\n%s", tb)
	}
}

// test_logErrorReturnsError, test_logErrorLogsError: LogError logs the
// Failure ("Unhandled Error", as Twisted's text has it) and passes the
// same Failure on down the error path.
func TestLogError_LogsAndPassesOn(t *testing.T) {
	r, log := newReactor(t)
	boom := NewFailure(errors.New("boom"))
	var later *Failure
	d := Fail(boom).AddErrback(LogError(r)).AddErrback(func(f *Failure) (any, error) {
		later = f
		return nil, nil
	})
	if later != boom || d.Result() != nil {
		t.Fatalf("the next errback got %v, want the same Failure", later)
	}
	if len(log.evs) != 1 || log.evs[0].Failure != boom || log.evs[0].Why != "Unhandled Error" {
		t.Fatalf("logged %+v", log.evs)
	}
	defer func() {
		if recover() == nil {
			t.Error("LogError(nil) did not panic")
		}
	}()
	LogError(nil)
}
