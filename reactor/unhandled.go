package reactor

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"
)

// Unhandled errors in Deferreds (D-15). Twisted logs "Unhandled error in
// Deferred" when a Deferred whose chain stopped on a Failure is garbage
// collected, which in Go would make reports depend on GC timing. Here every
// Deferred whose chain rests on a Failure is tracked in a process-wide set:
// FlushUnhandledErrors reports and forgets them deterministically (a reactor
// does it when it shuts down, trial after every test), and a GC cleanup stays
// as the backstop for Deferreds that are dropped unflushed.
//
// The set is process-wide because a Deferred knows no reactor; two reactors
// running at once in one process share it.

// unhandledEntry is one tracked Deferred.
type unhandledEntry struct {
	ref     weak.Pointer[Deferred]
	failure *Failure
	cleanup runtime.Cleanup
}

var unhandled struct {
	mu      sync.Mutex
	entries map[*unhandledEntry]struct{}
}

var (
	debugging atomic.Bool
	// unhandledObserver receives Failures of Deferreds collected while still
	// holding an unhandled error. Guarded by observerMu.
	observerMu        sync.Mutex
	unhandledObserver = logUnhandled
)

// SetDebugging ports defer.setDebugging: when on, new Deferreds record where
// they were made and where they were first fired, and AlreadyCalledError
// names both. It costs a stack capture per Deferred; leave it off in benchmarks.
func SetDebugging(on bool) { debugging.Store(on) }

// GetDebugging ports defer.getDebugging.
func GetDebugging() bool { return debugging.Load() }

func logUnhandled(f *Failure) {
	slog.Default().Log(context.Background(), slog.LevelError, "Unhandled error in Deferred",
		"error", f.ErrorMessage(), "type", f.TypeName(), "traceback", f.Traceback())
}

// SetUnhandledErrorObserver installs the function that receives the Failure
// of every Deferred garbage-collected while its chain still rested on an
// unhandled error (the GC backstop of D-15). The default logs through
// log/slog as "Unhandled error in Deferred". It returns a function restoring
// the previous observer. A nil observer restores the default.
func SetUnhandledErrorObserver(observer func(*Failure)) (restore func()) {
	if observer == nil {
		observer = logUnhandled
	}
	observerMu.Lock()
	prev := unhandledObserver
	unhandledObserver = observer
	observerMu.Unlock()
	return func() {
		observerMu.Lock()
		unhandledObserver = prev
		observerMu.Unlock()
	}
}

// FlushUnhandledErrors returns the Failures of every live Deferred whose chain
// currently rests on an unhandled error, and stops tracking them, so each is
// reported once. It never touches the Deferreds themselves (they belong to
// their reactors' goroutines): a flushed entry simply leaves the set. A Deferred that later gets an errback is unaffected. Test
// code calls it to check that nothing failed unseen (trial does, after every
// test); a reactor calls it when it shuts down and logs each one.
func FlushUnhandledErrors() []*Failure {
	unhandled.mu.Lock()
	defer unhandled.mu.Unlock()
	var out []*Failure
	for e := range unhandled.entries {
		delete(unhandled.entries, e)
		e.cleanup.Stop()
		out = append(out, e.failure)
	}
	return out
}

// FlushUnhandledErrorsMatching is FlushUnhandledErrors limited to the
// Failures match accepts; the others stay tracked. trial's
// FlushLoggedErrors uses it to take only the kinds a test expects.
func FlushUnhandledErrorsMatching(match func(*Failure) bool) []*Failure {
	unhandled.mu.Lock()
	defer unhandled.mu.Unlock()
	var out []*Failure
	for e := range unhandled.entries {
		if !match(e.failure) {
			continue
		}
		delete(unhandled.entries, e)
		e.cleanup.Stop()
		out = append(out, e.failure)
	}
	return out
}

// noteUnhandled is called when d's chain has run as far as it can: a Failure
// left as the result is tracked, anything else clears the tracking. It is
// small enough to inline, so a chain ending in success pays two compares.
func (d *Deferred) noteUnhandled() {
	if _, ok := d.result.(*Failure); ok || d.aux != nil {
		d.trackUnhandled()
	}
}

func (d *Deferred) trackUnhandled() {
	f, ok := d.result.(*Failure)
	if !ok {
		d.forgetUnhandled()
		return
	}
	if d.aux != nil && d.aux.unhandled != nil {
		if d.aux.unhandled.failure == f {
			return
		}
		d.forgetUnhandled()
	}
	e := &unhandledEntry{ref: weak.Make(d), failure: f}
	e.cleanup = runtime.AddCleanup(d, reportCollected, e)
	if d.aux == nil {
		d.aux = &deferredAux{}
	}
	d.aux.unhandled = e
	unhandled.mu.Lock()
	if unhandled.entries == nil {
		unhandled.entries = make(map[*unhandledEntry]struct{})
	}
	unhandled.entries[e] = struct{}{}
	unhandled.mu.Unlock()
}

// forgetUnhandled stops tracking d: its Failure was handed on or handled.
// It inlines to one compare for the Deferreds that were never tracked.
func (d *Deferred) forgetUnhandled() {
	if d.aux != nil && d.aux.unhandled != nil {
		d.untrackUnhandled()
	}
}

func (d *Deferred) untrackUnhandled() {
	e := d.aux.unhandled
	d.aux.unhandled = nil
	unhandled.mu.Lock()
	e.cleanup.Stop()
	delete(unhandled.entries, e)
	unhandled.mu.Unlock()
}

// reportCollected runs after a tracked Deferred was garbage collected.
func reportCollected(e *unhandledEntry) {
	unhandled.mu.Lock()
	_, tracked := unhandled.entries[e]
	delete(unhandled.entries, e)
	unhandled.mu.Unlock()
	if !tracked {
		return
	}
	observerMu.Lock()
	observe := unhandledObserver
	observerMu.Unlock()
	observe(e.failure)
}
