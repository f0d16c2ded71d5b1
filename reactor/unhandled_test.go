package reactor

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// messages returns the Failures' messages.
func messages(fs []*Failure) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ErrorMessage())
	}
	return out
}

// D-15: a chain resting on a Failure is tracked by the reactor of the
// goroutine; a flush reports each once; handing the Failure on, or handling
// it, forgets it.
func TestDeferred_UnhandledErrorsFlushedDeterministically_D15(t *testing.T) {
	flush := ownUnhandled(t)
	unhandledMessages := func() []string { return messages(flush()) }
	failed := Fail(errors.New("left failing"))
	if diff := cmp.Diff([]string{"left failing"}, unhandledMessages()); diff != "" {
		t.Errorf("first flush (-want +got):\n%s", diff)
	}
	if got := unhandledMessages(); len(got) != 0 {
		t.Errorf("second flush: %v, want nothing (reported once)", got)
	}
	runtime.KeepAlive(failed)

	later := Fail(errors.New("handled later"))
	handled(later)
	if got := unhandledMessages(); len(got) != 0 {
		t.Errorf("after an errback handled it: %v", got)
	}

	// Handed on to an outer Deferred (D-09): only the outer's counts.
	inner, outer := NewDeferred(nil), NewDeferred(nil)
	outer.AddCallback(func(any) (any, error) { return inner, nil })
	_ = outer.Callback(nil)
	_ = inner.Errback(errors.New("handed on"))
	if diff := cmp.Diff([]string{"handed on"}, unhandledMessages()); diff != "" {
		t.Errorf("handed on, unhandled by the outer (-want +got):\n%s", diff)
	}
	if _, ok := outer.Result().(*Failure); !ok || inner.Result() != nil {
		t.Errorf("outer %v, inner %v", outer.Result(), inner.Result())
	}

	inner2, outer2 := NewDeferred(nil), NewDeferred(nil)
	outer2.AddCallback(func(any) (any, error) { return inner2, nil })
	handled(outer2)
	_ = outer2.Callback(nil)
	_ = inner2.Errback(errors.New("handed on and handled"))
	if got := unhandledMessages(); len(got) != 0 {
		t.Errorf("handed on and handled: %v", got)
	}

	// A Failure converted to a value by a later step is forgotten too.
	d := Fail(errors.New("converted"))
	d.AddErrback(func(*Failure) (any, error) { return "fine", nil })
	if got := unhandledMessages(); len(got) != 0 {
		t.Errorf("converted: %v", got)
	}
}

// D-15: when Run returns after Stop, the unhandled errors still held by
// Deferreds are logged to the reactor's observer.
func TestReactor_LogsUnhandledErrorsAtShutdown_D15(t *testing.T) {
	r, log := newReactor(t)
	var keep *Deferred
	r.CallWhenRunning(func() {
		keep = Fail(errors.New("nobody handled me"))
		_ = r.Stop()
	})
	run(t, r, 5*time.Second)
	if diff := cmp.Diff([]string{"Unhandled error in Deferred"}, log.whys()); diff != "" {
		t.Fatalf("logged (-want +got):\n%s", diff)
	}
	if got := log.evs[0].Failure.ErrorMessage(); got != "nobody handled me" {
		t.Errorf("logged failure %q", got)
	}
	runtime.KeepAlive(keep)
}

// D-15: a Deferred garbage-collected while holding an unhandled Failure is
// reported to its reactor's error observer, on the reactor goroutine (the GC
// backstop).
func TestDeferred_CollectedUnhandledErrorObserved_D15(t *testing.T) {
	marker := errors.New("collected while failing")
	var seen []*Failure
	var r *Reactor
	r, err := New(WithErrorObserver(func(e ErrorEvent) {
		if errors.Is(e.Failure, marker) && e.Why == whyUnhandled {
			seen = append(seen, e.Failure)
			_ = r.Stop()
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	func() { _ = Fail(marker) }()
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.GC()
			}
		}
	}()
	run(t, r, 10*time.Second)
	if len(seen) != 1 {
		t.Fatalf("observer saw the collected Deferred's failure %d times, want once", len(seen))
	}
	if got := r.flushUnhandled(); len(got) != 0 {
		t.Errorf("still tracked after collection: %v", messages(got))
	}
}
