package reactor

import (
	"fmt"
	"runtime"
	"sync"
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

// stepKind says what a step does. Branching on it, rather than on which
// func field is set or on a type switch over an any, keeps the per-step work
// to one compare and a direct call.
type stepKind uint8

const (
	stepPair  stepKind = iota // cb on success, eb on failure; a nil half passes the result through (D-04)
	stepBoth                  // cb on either path (AddBoth)
	stepCont                  // hand the result to target, which waits on this Deferred (D-09)
	stepChain                 // fire target with the result (ChainDeferred)
)

// step is one link of a chain: a (callback, errback) pair, an AddBoth
// function, or one of the two internal steps that pass the result to
// another Deferred (target).
type step struct {
	cb     Callback // the callback, or the AddBoth function
	eb     Errback
	target *Deferred // stepCont and stepChain only
	kind   stepKind
}

// inlineSteps is how many steps a Deferred holds without allocating; most
// chains are this short. A longer chain borrows a block of stepBlockLen
// steps from stepBlocks and gives it back once its steps have run, so a
// steady stream of ten-step chains allocates nothing but the Deferreds (an
// allocation costs far more than the chain logic here, mostly in GC work).
// Chains longer than a block grow into an ordinary slice.
const (
	inlineSteps  = 2
	stepBlockLen = 16
)

type stepBlock [stepBlockLen]step

// stepBlocks holds cleared *stepBlocks for reuse.
var stepBlocks sync.Pool

// Deferred ports twisted.internet.defer.Deferred: a result that is not there
// yet, and a chain of callback/errback pairs run on it once it is.
//
// A Deferred is not safe for concurrent use; like everything driven by a
// reactor it belongs to the reactor's goroutine. The zero value is not
// usable: call NewDeferred.
type Deferred struct {
	steps []step // the chain; backed by inline until it outgrows it
	head  int32  // steps[:head] have run
	// paused is the pause count (D-08); the chain runs only when it is 0.
	paused int32

	result    any
	canceller func(*Deferred)
	chainedTo *Deferred // the Deferred this one waits on (D-09, D-14)

	aux *deferredAux // what few Deferreds need, allocated on demand

	called bool
	// running is Twisted's _runningCallbacks: set while one of this
	// Deferred's own steps is executing, so that adding a step or firing from
	// inside it does not recurse (D-07).
	running bool
	// suppressAlreadyCalled makes the next Callback/Errback a silent no-op,
	// after Cancel on a Deferred without a canceller (D-13).
	suppressAlreadyCalled bool
	// cancelOnly marks a Deferred whose Cancel runs the canceller and nothing
	// else (DeferredList: it cancels its members and fires when they do).
	cancelOnly bool
	// cancelling is set while the canceller runs, so that a Cancel reaching
	// this Deferred again from inside it (a DeferredList whose member waits
	// on the list) does not recurse forever.
	cancelling bool

	inline [inlineSteps]step
}

// NewDeferred ports Deferred(canceller): an unfired Deferred. canceller, which
// may be nil, is called by Cancel before the Deferred has fired (D-13).
func NewDeferred(canceller func(d *Deferred)) *Deferred {
	d := &Deferred{canceller: canceller}
	if debugging.Load() {
		d.aux = &deferredAux{debug: true, creator: callers(3)}
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
	if d.chainedTo != nil {
		return d.chainedTo
	}
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
// of chained Deferreds fires without recursing, however long it is.
func (d *Deferred) ChainDeferred(other *Deferred) *Deferred {
	return d.add(nil, nil, other, stepChain)
}

// add appends a step and, if d has fired, runs what can run. It takes the
// step's fields rather than a step so that the exported wrappers inline
// into their callers and the step is built in place.
func (d *Deferred) add(cb Callback, eb Errback, target *Deferred, kind stepKind) *Deferred {
	if len(d.steps) == cap(d.steps) {
		d.growSteps()
	}
	// Reslicing d.steps in place writes only its length; an append would
	// store the array pointer again, a write barrier while the GC marks.
	d.steps = d.steps[:len(d.steps)+1]
	d.steps[len(d.steps)-1] = step{cb: cb, eb: eb, target: target, kind: kind}
	if d.called {
		d.runCallbacks()
	}
	return d
}

// addStep appends s to the chain without running anything.
func (d *Deferred) addStep(s step) {
	if len(d.steps) == cap(d.steps) {
		d.growSteps()
	}
	d.steps = d.steps[:len(d.steps)+1]
	d.steps[len(d.steps)-1] = s
}

// growSteps makes room for one more step: first the inline steps, then room
// made by dropping the steps that have run, then a block from stepBlocks,
// then a bigger slice.
func (d *Deferred) growSteps() {
	if cap(d.steps) == 0 {
		d.steps = d.inline[:0]
		return
	}
	live := d.steps[d.head:]
	if len(live) <= cap(d.steps)/2 {
		n := copy(d.steps, live)
		clear(d.steps[n:])
		d.steps = d.steps[:n]
		d.head = 0
		return
	}
	var grown []step
	if len(live) < stepBlockLen {
		blk, _ := stepBlocks.Get().(*stepBlock)
		if blk == nil {
			blk = new(stepBlock)
		}
		grown = blk[:len(live)]
	} else {
		grown = make([]step, len(live), 2*cap(d.steps))
	}
	copy(grown, live)
	d.releaseSteps(true)
	d.steps = grown
	d.head = 0
}

// releaseSteps empties the chain and gives a pooled block back to
// stepBlocks. The steps must have run (which clears them) or have been
// copied elsewhere; dirty says they have not been cleared yet.
func (d *Deferred) releaseSteps(dirty bool) {
	if dirty {
		clear(d.steps[:cap(d.steps)]) // steps moved out of d keep nothing alive in it
	}
	if cap(d.steps) == stepBlockLen {
		stepBlocks.Put((*stepBlock)(d.steps[:stepBlockLen]))
	}
	d.steps = d.inline[:0]
}

// Callback ports callback: fires the Deferred with result and runs the chain.
// A second Callback or Errback returns ErrAlreadyCalledError and changes
// nothing (D-02), unless a Cancel without canceller asked for one late fire
// to be ignored (D-13). A *Failure result behaves as Errback (D-03). A
// *Deferred result is refused with ErrDeferredResult (Twisted asserts).
func (d *Deferred) Callback(result any) error {
	if _, ok := result.(*Deferred); ok {
		return ErrDeferredResult
	}
	return d.start(result)
}

// Errback ports errback: fires the Deferred on the error path. A plain error
// is wrapped in a Failure recording the caller's stack; a *Failure is used as
// is. Errback(nil) returns ErrNilError and fires nothing.
func (d *Deferred) Errback(err error) error {
	if isNilError(err) {
		return ErrNilError
	}
	return d.start(newFailure(err, 3))
}

func (d *Deferred) start(result any) error {
	if d.called {
		if d.suppressAlreadyCalled {
			d.suppressAlreadyCalled = false
			return nil
		}
		return d.alreadyCalledError()
	}
	d.called = true
	d.result = result
	if d.aux != nil && d.aux.debug {
		d.aux.invoker = callers(4)
	}
	d.runCallbacks()
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
		d.runCallbacks()
	}
}

// Cancel ports cancel (D-13, D-14). On an unfired Deferred it calls the
// canceller; without one it arranges for the next Callback/Errback to be
// ignored; then, if the Deferred is still unfired, it errbacks with
// ErrCancelledError. On a Deferred waiting on another it cancels that one
// (and so on down a chain of waiting Deferreds, without recursion). On any
// other fired Deferred, or on Deferreds waiting on each other in a cycle
// (where Twisted recurses until RecursionError), it does nothing.
func (d *Deferred) Cancel() {
	t := d.cancelTarget()
	if t == nil || t.cancelling {
		return // nothing to cancel, or a canceller cancelling its own Deferred again
	}
	if t.canceller != nil {
		t.callCanceller()
	} else {
		t.suppressAlreadyCalled = true
	}
	if !t.called && !t.cancelOnly {
		_ = t.start(newFailure(ErrCancelledError, 3))
	}
}

// cancelTarget returns the Deferred Cancel acts on: the first unfired one
// along the chain d waits on (d itself when unfired), or nil when the chain
// ends at a fired Deferred or loops (Floyd's cycle check, no allocation).
func (d *Deferred) cancelTarget() *Deferred {
	slow, fast := d, d
	for {
		for range 2 {
			if !fast.called {
				return fast
			}
			if fast = fast.chainedTo; fast == nil {
				return nil
			}
		}
		if slow = slow.chainedTo; slow == fast {
			return nil
		}
	}
}

// callCanceller runs the canceller, turning a panic into an error result if
// the canceller did not fire the Deferred itself.
func (d *Deferred) callCanceller() {
	d.cancelling = true
	defer func() {
		d.cancelling = false
		if v := recover(); v != nil && !d.called {
			_ = d.start(failureFromPanic(v))
		}
	}()
	d.canceller(d)
}

// runCallbacks runs as much of the chain as can run now, iteratively: when a
// callback returns an unfired Deferred, d waits on it; when that one fires,
// its result moves to d and d continues (D-09, D-12). The explicit stack
// keeps the goroutine stack flat however deep the chaining goes.
//
// The stack holds the Deferreds whose chains are in progress, innermost on
// top. A Deferred below the top is either one whose result was just handed
// to a waiter (it continues once the waiter is done) or the source of a
// ChainDeferred whose target is running; the latter is marked running, as in
// Twisted, where the target's chain runs inside the source's callback.
func (d *Deferred) runCallbacks() {
	if d.running {
		return // a step of d is executing; the outer loop will continue (D-07)
	}
	var buf [8]*Deferred // most chains never wait: keep the stack off the heap
	stack := append(buf[:0], d)
	r := chainRun{fresh: true}
	for panicked := true; panicked; {
		// A step that panicked has its Failure as the result: carry on.
		stack, panicked = r.run(stack)
	}
}

// chainRun is the state of one runCallbacks, kept outside run so that a
// panicking step, recovered in run, leaves it intact for the next run call.
// (The stack travels as run's argument and result instead: stored in here,
// its appends would move runCallbacks' buffer to the heap.)
type chainRun struct {
	// fresh: the top was just pushed, rather than resumed after a pop.
	fresh bool
	// calling is the Deferred whose callback or errback is executing.
	calling *Deferred
	// resume: a step of the top panicked; go on with its next step.
	resume bool
}

// run runs chains until the stack is empty and returns false, or until a
// step panics: then that step's result is the panic as a Failure (D-05) and
// run returns true and the stack so that the caller calls it again. One
// deferred recover per pass costs less than one per step.
func (r *chainRun) run(in []*Deferred) (stack []*Deferred, panicked bool) {
	stack = in // the named result, so that a recovered panic returns it
	defer func() {
		if c := r.calling; c != nil {
			if v := recover(); v != nil {
				c.running = false
				c.result = failureFromPanic(v)
				r.calling = nil
				r.resume = true
				panicked = true
			}
		}
	}()
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		if r.resume {
			r.resume = false
		} else {
			if r.fresh && cur.paused != 0 {
				// cur cannot start until it is unpaused (D-08). The Deferred
				// below it, if any, carries on with its own steps. (Twisted
				// abandons those too when a waiter is paused, until something
				// else runs that chain; braid does not.) A Deferred resumed
				// after a pop goes on even if paused meanwhile, as a pause
				// from inside a running chain takes effect only at the next
				// run.
				stack = r.pop(stack)
				continue
			}
			r.fresh = true
			cur.chainedTo = nil
		}
		finished := true
	steps:
		for int(cur.head) < len(cur.steps) {
			s := cur.steps[cur.head]
			cur.steps[cur.head] = step{}
			cur.head++

			var v any
			var err error
			switch s.kind {
			case stepCont:
				// cur was waited on: hand its result to the waiter.
				waiter := s.target
				waiter.result = cur.result
				waiter.chainedTo = nil
				cur.result = nil
				cur.forgetUnhandled()
				waiter.paused--
				stack = append(stack, waiter)
				finished = false
				break steps
			case stepChain:
				if next := cur.fireChained(s.target); next != nil {
					cur.running = true
					stack = append(stack, next)
					finished = false
					break steps
				}
				continue
			case stepBoth:
				r.calling, cur.running = cur, true
				v, err = s.cb(cur.result)
			default:
				if f, isFailure := cur.result.(*Failure); isFailure {
					if s.eb == nil {
						continue // pass-through half
					}
					r.calling, cur.running = cur, true
					v, err = s.eb(f)
				} else {
					if s.cb == nil {
						continue
					}
					r.calling, cur.running = cur, true
					v, err = s.cb(cur.result)
				}
			}
			r.calling, cur.running = nil, false
			if err != nil {
				cur.result = newFailure(err, 2)
				continue
			}
			cur.result = v
			inner, ok := v.(*Deferred)
			if !ok {
				continue
			}
			switch {
			case inner == cur:
				cur.result = newFailure(ErrReturnedSelf, 2)
			case inner == nil:
				cur.result = nil // a nil *Deferred means "nothing to wait for"
			case !inner.called || inner.paused != 0 || inner.chainedTo != nil:
				// Wait for inner (D-09).
				cur.paused++
				cur.chainedTo = inner
				inner.addStep(step{target: cur, kind: stepCont})
				break steps
			default:
				// inner has a result already: take it (D-10).
				cur.result = inner.result
				inner.result = nil
				inner.forgetUnhandled()
			}
		}
		if int(cur.head) == len(cur.steps) {
			if cap(cur.steps) == stepBlockLen {
				cur.releaseSteps(false) // every step has run and was cleared
			} else {
				cur.steps = cur.steps[:0]
			}
			cur.head = 0
		}
		if finished {
			cur.noteUnhandled()
			stack = r.pop(stack)
		}
	}
	return stack, false
}

// pop drops the top of the stack. The Deferred that becomes the top resumes
// its own steps, so it is no longer marked running.
func (r *chainRun) pop(stack []*Deferred) []*Deferred {
	stack = stack[:len(stack)-1]
	if n := len(stack); n > 0 {
		stack[n-1].running = false
	}
	r.fresh = false
	return stack
}

// fireChained fires target with cur's result, as target.Callback would, and
// returns target when its chain should run next on the explicit stack.
func (cur *Deferred) fireChained(target *Deferred) *Deferred {
	if target.called {
		if target.suppressAlreadyCalled {
			target.suppressAlreadyCalled = false
			cur.result = nil
			return nil
		}
		cur.result = newFailure(target.alreadyCalledError(), 2)
		return nil
	}
	target.called = true
	target.result = cur.result
	cur.result = nil
	cur.forgetUnhandled()
	if target.paused != 0 || target.running {
		return nil // it runs when unpaused, or its own loop continues
	}
	return target
}

// String ports repr(d) (D-20).
func (d *Deferred) String() string {
	switch {
	case d.chainedTo != nil:
		return fmt.Sprintf("<Deferred at %p waiting on Deferred at %p>", d, d.chainedTo)
	case d.called:
		return fmt.Sprintf("<Deferred at %p current result: %v>", d, d.result)
	default:
		return fmt.Sprintf("<Deferred at %p>", d)
	}
}

func (d *Deferred) alreadyCalledError() error {
	if d.aux == nil || !d.aux.debug {
		return ErrAlreadyCalledError
	}
	return &AlreadyCalledError{Creator: d.aux.creator, Invoker: d.aux.invoker}
}

// deferredAux holds the state only some Deferreds need, so that the
// Deferred itself stays small: the tracking of an unhandled Failure (D-15)
// and the call sites SetDebugging asks for.
type deferredAux struct {
	unhandled *unhandledEntry // set while the chain rests on a Failure

	debug   bool   // made while SetDebugging was on
	creator string // where NewDeferred was called
	invoker string // where the Deferred was first fired
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
