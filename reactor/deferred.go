package reactor

import (
	"runtime"

	"github.com/braid-go/braid/internal/tracking"
)

// Callback is a success-path step: it gets the current result and returns
// the next one. Returning a non-nil error (or a *Failure as the value)
// switches the chain to the error path; returning a *Deferred makes the chain
// wait for it (D-09).
type Callback func(result any) (any, error)

// Errback is an error-path step: it gets the Failure and returns the next
// result. Returning (v, nil) recovers onto the success path with v (D-06);
// returning an error (for instance the Failure itself) keeps the chain on the
// error path.
type Errback func(f *Failure) (any, error)

// Deferred ports twisted.internet.defer.Deferred: a result that is not there
// yet, and a chain of callback/errback pairs run on it once it is.
//
// A Deferred is not safe for concurrent use; like everything driven by a
// reactor it belongs to the reactor's goroutine. The zero value is not
// usable: call NewDeferred.
type Deferred struct {
	// result is the current result; while the chain waits on another
	// Deferred (D-09) it is that Deferred, as in Twisted, which is how a
	// waiting Deferred is recognised (see waitingOn).
	result any
	steps  *stepBlock // the steps waiting to run; nil when there are none

	canceller func(*Deferred)
	aux       *deferredAux // what few Deferreds need, allocated on demand

	// paused is the pause count (D-08); the chain runs only when it is 0.
	paused int32
	called bool
	// running is Twisted's _runningCallbacks: set while one of this
	// Deferred's own steps is executing, so that adding a step or firing from
	// inside it does not recurse (D-07).
	running bool
	// flags holds the rarely set states below, in one byte so that a
	// Deferred fits the 48-byte size class: on the machines braid is
	// measured on an allocation costs about 0.7 ns per byte, and one
	// Deferred is allocated per operation.
	flags deferredFlags
}

type deferredFlags uint8

const (
	// suppressAlreadyCalled makes the next Callback/Errback a silent no-op,
	// after Cancel on a Deferred without a canceller (D-13).
	suppressAlreadyCalled deferredFlags = 1 << iota
	// cancelOnly marks a Deferred whose Cancel runs the canceller and nothing
	// else (DeferredList: it cancels its members and fires when they do).
	cancelOnly
	// cancelling is set while the canceller runs, so that a Cancel reaching
	// this Deferred again from inside it (a DeferredList whose member waits
	// on the list) does not recurse forever.
	cancelling
	// cancelUnfiredOnly makes Cancel do nothing once the Deferred has fired,
	// even while it waits on another: DeferredList's cancel is so.
	cancelUnfiredOnly
	// notWaiting marks a Deferred whose result is a Deferred it no longer
	// waits on: its chain ran since, after an unmatched Unpause (Twisted
	// clears _chainedTo then, and repr stops saying "waiting on").
	notWaiting
)

func (d *Deferred) hasFlag(f deferredFlags) bool { return d.flags&f != 0 }
func (d *Deferred) setFlag(f deferredFlags)      { d.flags |= f }
func (d *Deferred) clearFlag(f deferredFlags)    { d.flags &^= f }

// waitingOn returns the Deferred d's chain waits on (D-09), or nil. Only a
// waiting Deferred holds a *Deferred as its result: Callback refuses one,
// and the chain runner replaces one a step returns by its result unless it
// has to wait for it.
func (d *Deferred) waitingOn() *Deferred {
	inner, _ := d.result.(*Deferred)
	return inner
}

// NewDeferred ports Deferred(canceller): an unfired Deferred. canceller, which
// may be nil, is called by Cancel before the Deferred has fired (D-13).
func NewDeferred(canceller func(d *Deferred)) *Deferred {
	d := &Deferred{canceller: canceller}
	if tracking.AnyDebugging() {
		d.noteCreator()
	}
	return d
}

// Succeed ports defer.succeed: a Deferred already fired with result.
func Succeed(result any) *Deferred {
	d := NewDeferred(nil)
	_ = d.Callback(result)
	return d
}

// Fail ports defer.fail: a Deferred already fired with err as a Failure.
func Fail(err error) *Deferred {
	d := NewDeferred(nil)
	_ = d.Errback(newFailure(err, 3))
	return d
}

// Called reports whether Callback or Errback has been called (D-01).
func (d *Deferred) Called() bool { return d.called }

// Paused reports the pause count (D-08); the chain runs only when it is 0.
func (d *Deferred) Paused() int { return int(d.paused) }

// Result returns the current result, for tests (Twisted's d.result): nil when
// unfired, a *Failure on the error path. While the chain waits on another
// Deferred (D-09), Result returns that Deferred, as Twisted does.
func (d *Deferred) Result() any {
	return d.result
}

// AddCallbacks ports addCallbacks: appends one pair (D-04). A nil half passes
// the result through unchanged. If the Deferred has fired and is not paused,
// the pair runs before AddCallbacks returns (D-07). It returns d.
func (d *Deferred) AddCallbacks(cb Callback, eb Errback) *Deferred {
	return d.add(cb, eb, nil, stepPair)
}

// AddCallback ports addCallback: cb paired with a pass-through errback.
func (d *Deferred) AddCallback(cb Callback) *Deferred {
	return d.add(cb, nil, nil, stepPair)
}

// AddErrback ports addErrback: eb paired with a pass-through callback.
func (d *Deferred) AddErrback(eb Errback) *Deferred {
	return d.add(nil, eb, nil, stepPair)
}

// AddBoth ports addBoth: f runs on either path; on the error path it gets the
// *Failure as its argument.
func (d *Deferred) AddBoth(f Callback) *Deferred {
	if f == nil {
		return d.add(nil, nil, nil, stepPair) // both halves nil: the result passes through
	}
	return d.add(f, nil, nil, stepBoth)
}

// ChainDeferred ports chainDeferred: when d fires, other fires with the same
// result, and d's own result becomes nil (D-12). Unlike Twisted, a long line
// of chained Deferreds fires without recursing, however long it is. Until
// other's chain runs, other says it waits on d ([Deferred.WaitingOn]).
func (d *Deferred) ChainDeferred(other *Deferred) *Deferred {
	if other.aux == nil {
		other.aux = &deferredAux{}
	}
	other.aux.chainedTo = d
	return d.add(nil, nil, other, stepChain)
}

// add appends a step and, if d has fired, runs what can run. It takes the
// step's fields rather than a step so that the exported wrappers inline
// into their callers and the step is built in place.
func (d *Deferred) add(cb Callback, eb Errback, target *Deferred, kind stepKind) *Deferred {
	s := step{cb: cb, eb: eb, target: target, kind: kind}
	if d.called && d.steps == nil && d.paused == 0 && !d.running {
		// Nothing waits before s, and it would run at once: skip storing it.
		// (A Deferred waiting on another is paused.)
		d.runCallbacks(s)
		return d
	}
	// pushStep, written out here as the inliner will not take it.
	if b := d.steps; b != nil && b.last.n < stepBlockLen {
		b = b.last
		b.steps[b.n] = s
		b.n++
	} else {
		d.pushStepInNewBlock(s)
	}
	if d.called {
		d.runCallbacks(step{})
	}
	return d
}

// Callback ports callback: fires the Deferred with result and runs the chain.
// A second Callback or Errback returns an *AlreadyCalledError and changes
// nothing (D-02), unless a Cancel without canceller asked for one late fire
// to be ignored (D-13). A *Failure result behaves as Errback (D-03). A
// *Deferred result is refused with [ErrDeferredResult] (Twisted asserts).
func (d *Deferred) Callback(result any) error {
	if d.aux != nil && d.aux.debug {
		d.checkGoroutine("Callback")
	}
	if _, ok := result.(*Deferred); ok {
		return ErrDeferredResult
	}
	return d.start(result)
}

// Errback ports errback: fires the Deferred on the error path. A plain error
// is wrapped in a Failure recording the caller's stack; a *Failure is used as
// is. Errback(nil), or of a typed nil such as a nil *MyError, returns
// [ErrNoCurrentException] and fires nothing.
func (d *Deferred) Errback(err error) error {
	if d.aux != nil && d.aux.debug {
		d.checkGoroutine("Errback")
	}
	if isNilError(err) {
		return ErrNoCurrentException
	}
	return d.start(newFailure(err, 3))
}

func (d *Deferred) start(result any) error {
	if d.called {
		if d.hasFlag(suppressAlreadyCalled) {
			d.clearFlag(suppressAlreadyCalled)
			return nil
		}
		return d.alreadyCalledError()
	}
	d.called = true
	d.result = result
	if d.aux != nil && d.aux.debug {
		d.aux.invoker = callers(4)
	}
	d.runCallbacks(step{})
	return nil
}

// Pause ports pause: while the count is above 0 no step runs (D-08).
func (d *Deferred) Pause() { d.paused++ }

// Unpause ports unpause: when the count returns to 0 on a fired Deferred the
// chain resumes. As in Twisted, an unmatched Unpause drives the count below
// 0, which blocks the chain until a later Pause brings it back (D-08).
func (d *Deferred) Unpause() {
	d.paused--
	if d.paused != 0 {
		return
	}
	if d.called {
		d.runCallbacks(step{})
	}
}

// Cancel ports cancel (D-13, D-14). On an unfired Deferred it calls the
// canceller; without one it arranges for the next Callback/Errback to be
// ignored; then, if the Deferred is still unfired, it errbacks with
// ErrCancelled. On a Deferred waiting on another it cancels that one
// (and so on down a chain of waiting Deferreds, without recursion). On any
// other fired Deferred, on a fired [DeferredList] even if it waits (Twisted's
// DeferredList overrides cancel so), or on Deferreds waiting on each other
// in a cycle (where Twisted recurses until RecursionError), it does nothing.
func (d *Deferred) Cancel() {
	t := d.cancelTarget()
	if t == nil || t.hasFlag(cancelling) {
		return // nothing to cancel, or a canceller cancelling its own Deferred again
	}
	if t.canceller != nil {
		t.callCanceller()
	} else {
		t.setFlag(suppressAlreadyCalled)
	}
	if !t.called && !t.hasFlag(cancelOnly) {
		_ = t.start(newFailure(ErrCancelled, 3))
	}
}

// cancelTarget returns the Deferred Cancel acts on: the first unfired one
// along the chain d waits on (d itself when unfired), or nil when the chain
// ends at a fired Deferred, reaches a fired [DeferredList] (whose cancel does
// nothing then), or loops (Floyd's cycle check, no allocation).
func (d *Deferred) cancelTarget() *Deferred {
	slow, fast := d, d
	for {
		for range 2 {
			if !fast.called {
				return fast
			}
			if fast.hasFlag(cancelUnfiredOnly) {
				return nil
			}
			if fast = fast.waitingOn(); fast == nil {
				return nil
			}
		}
		if slow = slow.waitingOn(); slow == fast {
			return nil
		}
	}
}

// callCanceller runs the canceller, turning a panic into an error result if
// the canceller did not fire the Deferred itself.
func (d *Deferred) callCanceller() {
	d.setFlag(cancelling)
	defer func() {
		d.clearFlag(cancelling)
		if v := recover(); v != nil && !d.called {
			_ = d.start(FailureFromPanic(v))
		}
	}()
	d.canceller(d)
}

func (d *Deferred) alreadyCalledError() error {
	if d.aux == nil || !d.aux.debug {
		return &AlreadyCalledError{}
	}
	return &AlreadyCalledError{Creator: d.aux.creator, Invoker: d.aux.invoker}
}

// noteCreator records where d was made, and on which reactor's goroutine,
// when the reactor of the calling goroutine was made WithDebugging.
func (d *Deferred) noteCreator() {
	if s := tracking.GoroutineScope(); s != nil && s.Debugging {
		d.aux = &deferredAux{debug: true, creator: callers(4), owner: s}
	}
}

// checkGoroutine is WithDebugging's check that d is fired on the goroutine
// of the reactor it was made on: firing it from another goroutine races
// with that reactor, and -race may not be running to say so.
func (d *Deferred) checkGoroutine(method string) {
	if s := tracking.GoroutineScope(); s != d.aux.owner {
		panic("reactor: Deferred." + method + " called on a goroutine that does not run the reactor the Deferred was made on;" +
			" hand the result to that reactor's goroutine with CallFromThread\ncreated at:\n" + d.aux.creator)
	}
}

// deferredAux holds the state only some Deferreds need, so that the
// Deferred itself stays small: the tracking of an unhandled Failure (D-15)
// and the call sites [WithDebugging] asks for.
type deferredAux struct {
	unhandled *tracking.Entry // set while the chain rests on a Failure

	// chainedTo is the Deferred whose ChainDeferred made this one its
	// target, until this one's chain next runs (Twisted's _chainedTo).
	chainedTo *Deferred

	debug   bool            // made under a reactor WithDebugging
	owner   *tracking.Scope // that reactor's
	creator string          // where NewDeferred was called
	invoker string          // where the Deferred was first fired
}

func callers(skip int) string {
	var pcs [16]uintptr
	n := runtime.Callers(skip, pcs[:])
	return (&Failure{pcs: pcs[:n]}).stackText()
}

func (f *Failure) stackText() string {
	var s string
	for _, fr := range f.Frames() {
		s += "  " + fr + "\n"
	}
	return s
}
