package reactor

import (
	"runtime"

	"github.com/braid-go/braid/internal/tracking"
)

// Unhandled errors in Deferreds (D-15). Twisted logs "Unhandled error in
// Deferred" when a Deferred whose chain stopped on a Failure is garbage
// collected, which in Go would make reports depend on GC timing. Here each
// such Deferred is tracked by its reactor — the one whose goroutine left it
// so (see internal/tracking) — which reports what it still tracks when it
// shuts down or is closed, and which trial reports after every test; a GC
// cleanup stays as the backstop for a Deferred dropped before that. A
// Deferred failing where no reactor is live is reported by the backstop
// alone, to log/slog.

// whyUnhandled is the ErrorEvent.Why of an unhandled error in a Deferred,
// as Twisted logs it.
const whyUnhandled = "Unhandled error in Deferred"

func logUnhandled(f *Failure) { logToSlog(f, whyUnhandled) }

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
	if d.aux != nil && d.aux.debug {
		// Debugging: the report names where d was made and first fired,
		// for as long as f rests here (see dropDebugSites).
		sites := "unhandled in a Deferred (debug):\n" + d.debugSites()
		f.heldBy.Store(&sites)
	}
	if d.aux != nil && d.aux.unhandled != nil {
		if d.aux.unhandled.Failure == error(f) {
			return
		}
		d.forgetUnhandled()
	}
	e := &tracking.Entry{Failure: f, Scope: tracking.Current()}
	e.Cleanup = runtime.AddCleanup(d, reportCollected, e)
	if d.aux == nil {
		d.aux = &deferredAux{}
	}
	d.aux.unhandled = e
	tracking.Track(e)
}

// forgetUnhandled stops tracking d: its Failure was handed on or handled.
// It inlines to one compare for the Deferreds that were never tracked.
func (d *Deferred) forgetUnhandled() {
	if d.aux != nil && d.aux.unhandled != nil {
		d.untrackUnhandled()
	}
}

func (d *Deferred) untrackUnhandled() {
	d.dropDebugSites()
	e := d.aux.unhandled
	d.aux.unhandled = nil
	tracking.Untrack(e)
}

// dropDebugSites takes from the Failure resting unhandled in a debugging
// d the note of d's sites: d's chain runs on (an errback may handle it,
// and log it as handled) or hands it on. trackUnhandled puts the note back
// if the chain comes to rest on it again.
func (d *Deferred) dropDebugSites() {
	if d.aux.debug && d.aux.unhandled != nil {
		d.aux.unhandled.Failure.(*Failure).heldBy.Store(nil)
	}
}

// reportCollected runs after a tracked Deferred was garbage collected. One
// without a reactor is logged to log/slog at once; a reactor's is left to
// it (see Reactor.logCollected).
func reportCollected(e *tracking.Entry) {
	if tracking.Collected(e) {
		logUnhandled(e.Failure.(*Failure))
	}
}

// reportUnhandled hands each Failure r still tracks to its error observer.
func (r *Reactor) reportUnhandled() {
	for _, err := range r.scope.Flush(nil) {
		r.LogError(err.(*Failure), whyUnhandled)
	}
}
