package reactor

import (
	"fmt"
	"runtime"
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

// step is one (callback, errback) pair of a chain (D-04). A nil half passes
// the result through. both, when set, is used for either path (AddBoth).
// cont and chain are internal steps: cont hands this Deferred's result to a
// Deferred waiting on it (D-09); chain fires another Deferred with it
// (ChainDeferred).
type step struct {
	cb    Callback
	eb    Errback
	both  Callback
	cont  *Deferred
	chain *Deferred
}

// Deferred ports twisted.internet.defer.Deferred: a result that is not there
// yet, and a chain of callback/errback pairs run on it once it is.
//
// A Deferred is not safe for concurrent use; like everything driven by a
// reactor it belongs to the reactor's goroutine. The zero value is not
// usable: call NewDeferred.
type Deferred struct {
	steps []step
	head  int // steps[:head] have run

	result any
	called bool
	paused int
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
	canceller  func(*Deferred)
	chainedTo  *Deferred // the Deferred this one waits on (D-09, D-14)

	unhandled *unhandledEntry // set while the chain rests on a Failure (D-15)
	debug     *debugInfo
}

// NewDeferred ports Deferred(canceller): an unfired Deferred. canceller, which
// may be nil, is called by Cancel before the Deferred has fired (D-13).
func NewDeferred(canceller func(d *Deferred)) *Deferred {
	d := &Deferred{canceller: canceller}
	if debugging.Load() {
		d.debug = &debugInfo{creator: callers(3)}
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
func (d *Deferred) Paused() int { return d.paused }

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
	d.steps = append(d.steps, step{cb: cb, eb: eb})
	d.runIfReady()
	return d
}

// AddCallback ports addCallback: cb paired with a pass-through errback.
func (d *Deferred) AddCallback(cb Callback) *Deferred {
	return d.AddCallbacks(cb, nil)
}

// AddErrback ports addErrback: eb paired with a pass-through callback.
func (d *Deferred) AddErrback(eb Errback) *Deferred {
	return d.AddCallbacks(nil, eb)
}

// AddBoth ports addBoth: f runs on either path; on the error path it gets the
// *Failure as its argument.
func (d *Deferred) AddBoth(f Callback) *Deferred {
	d.steps = append(d.steps, step{both: f})
	d.runIfReady()
	return d
}

// ChainDeferred ports chainDeferred: when d fires, other fires with the same
// result, and d's own result becomes nil (D-12). Unlike Twisted, a long line
// of chained Deferreds fires without recursing, however long it is.
func (d *Deferred) ChainDeferred(other *Deferred) *Deferred {
	d.steps = append(d.steps, step{chain: other})
	d.runIfReady()
	return d
}

func (d *Deferred) runIfReady() {
	if d.called {
		d.runCallbacks()
	}
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
	if d.debug != nil {
		d.debug.invoker = callers(4)
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
	fresh := true // the top was just pushed, rather than resumed after a pop
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		if fresh && cur.paused != 0 {
			// cur cannot start until it is unpaused (D-08). The Deferred
			// below it, if any, carries on with its own steps. (Twisted
			// abandons those too when a waiter is paused, until something
			// else runs that chain; braid does not.) A Deferred resumed
			// after a pop goes on even if paused meanwhile, as a pause from
			// inside a running chain takes effect only at the next run.
			stack = popStack(stack)
			fresh = false
			continue
		}
		fresh = true
		finished := true
		cur.chainedTo = nil
		for cur.head < len(cur.steps) {
			s := cur.steps[cur.head]
			cur.steps[cur.head] = step{}
			cur.head++

			if s.cont != nil {
				// cur was waited on: hand its result to the waiter.
				waiter := s.cont
				waiter.result = cur.result
				waiter.chainedTo = nil
				cur.result = nil
				cur.forgetUnhandled()
				waiter.paused--
				stack = append(stack, waiter)
				finished = false
				break
			}
			if s.chain != nil {
				if next := cur.fireChained(s.chain); next != nil {
					cur.running = true
					stack = append(stack, next)
					finished = false
					break
				}
				continue
			}

			fn, isFailure := s.pick(cur.result)
			if fn == nil {
				continue // pass-through half
			}
			cur.running = true
			res := cur.callStep(fn, isFailure)
			cur.running = false
			cur.result = res
			if res == any(cur) {
				cur.result = newFailure(ErrReturnedSelf, 2)
				continue
			}
			if inner, ok := res.(*Deferred); ok {
				if inner == nil {
					cur.result = nil // a nil *Deferred means "nothing to wait for"
					continue
				}
				if !inner.called || inner.paused != 0 || inner.chainedTo != nil {
					// Wait for inner (D-09).
					cur.paused++
					cur.chainedTo = inner
					inner.steps = append(inner.steps, step{cont: cur})
					break
				}
				// inner has a result already: take it (D-10).
				cur.result = inner.result
				inner.result = nil
				inner.forgetUnhandled()
			}
		}
		if cur.head == len(cur.steps) {
			cur.steps = cur.steps[:0]
			cur.head = 0
		}
		if finished {
			cur.noteUnhandled()
			stack = popStack(stack)
			fresh = false
		}
	}
}

// popStack drops the top of runCallbacks' stack. The Deferred that becomes
// the top resumes its own steps, so it is no longer marked running.
func popStack(stack []*Deferred) []*Deferred {
	stack = stack[:len(stack)-1]
	if n := len(stack); n > 0 {
		stack[n-1].running = false
	}
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

// pick returns the half of s that applies to result.
func (s *step) pick(result any) (fn any, isFailure bool) {
	_, isFailure = result.(*Failure)
	if s.both != nil {
		return s.both, isFailure
	}
	if isFailure {
		if s.eb == nil {
			return nil, true
		}
		return s.eb, true
	}
	if s.cb == nil {
		return nil, false
	}
	return s.cb, false
}

// callStep runs one callback or errback and turns its outcome into the next
// result: the value, or a Failure for a returned error or a panic (D-05).
func (cur *Deferred) callStep(fn any, isFailure bool) (res any) {
	defer func() {
		if v := recover(); v != nil {
			res = failureFromPanic(v)
		}
	}()
	var v any
	var err error
	switch f := fn.(type) {
	case Callback:
		v, err = f(cur.result)
	case Errback:
		v, err = f(cur.result.(*Failure))
	}
	if err != nil {
		return newFailure(err, 3)
	}
	return v
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
	if d.debug == nil {
		return ErrAlreadyCalledError
	}
	return &AlreadyCalledError{Creator: d.debug.creator, Invoker: d.debug.invoker}
}

// debugInfo holds the call sites SetDebugging asks Deferreds to record.
type debugInfo struct {
	creator string
	invoker string
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
