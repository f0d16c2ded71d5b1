package reactor

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// unhandledMessages flushes the unhandled errors and returns their messages.
func unhandledMessages() []string {
	var out []string
	for _, f := range FlushUnhandledErrors() {
		out = append(out, f.ErrorMessage())
	}
	return out
}

// D-15: a chain resting on a Failure is tracked; FlushUnhandledErrors
// reports each once; handing the Failure on, or handling it, forgets it.
func TestDeferred_UnhandledErrorsFlushedDeterministically_D15(t *testing.T) {
	FlushUnhandledErrors()
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
// reported to the unhandled-error observer (the GC backstop).
func TestDeferred_CollectedUnhandledErrorObserved_D15(t *testing.T) {
	FlushUnhandledErrors()
	marker := errors.New("collected while failing")
	var mu sync.Mutex
	var seen []*Failure
	restore := SetUnhandledErrorObserver(func(f *Failure) {
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(f, marker) {
			seen = append(seen, f)
		}
	})
	defer restore()
	func() { _ = Fail(marker) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 1 {
			break
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("observer saw the collected Deferred's failure %d times, want once", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := unhandledMessages(); len(got) != 0 {
		t.Errorf("still tracked after collection: %v", got)
	}
}
