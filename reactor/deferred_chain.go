package reactor

// runCallbacks runs as much of the chain as can run now, iteratively: when a
// callback returns an unfired Deferred, d waits on it; when that one fires,
// its result moves to d and d continues (D-09, D-12). The explicit stack
// keeps the goroutine stack flat however deep the chaining goes.
//
// The stack holds the Deferreds whose chains are in progress, innermost on
// top. A Deferred below the top is either one whose result was just handed
// to a waiter (it continues once the waiter is done) or the source of a
// ChainDeferred whose target is running. A source is followed by chainMark
// and stays marked running, as in Twisted, where the target's chain runs
// inside the source's step (a call of its own to _runCallbacks). So the
// stack is a series of segments, one per such call, separated by chainMark.
//
// As in Twisted, a Deferred that is paused when it comes to the top, new or
// resumed, ends its segment's pass at once: it and the Deferreds below it
// in the segment keep their remaining steps until something runs their
// chains again (an Unpause, an added step), and the source below the
// segment carries on (D-08, D-09).
//
// first, unless its kind is stepNone, is a step to run before d's stored
// ones: add passes a step for a fired Deferred with none stored, sparing it
// the round trip through a stepBlock.
func (d *Deferred) runCallbacks(first step) {
	if d.running {
		return // a step of d is executing; the outer loop will continue (D-07)
	}
	var buf [8]*Deferred // most chains never wait: keep the stack off the heap
	stack := append(buf[:0], d)
	var r chainRun
	for panicked := true; panicked; first = (step{}) {
		// A step that panicked has its Failure as the result: carry on. (It
		// was first or a later step: first has run either way.)
		stack, panicked = r.run(stack, first)
	}
}

// chainRun is the state of one runCallbacks, kept outside run so that a
// panicking step, recovered in run, leaves it intact for the next run call.
// The stack travels as run's argument and result instead (stored in here,
// its appends would move runCallbacks' buffer to the heap), and no pointer
// is kept here at all: every store through a pointer costs a write barrier
// while the GC marks, and run's locals need none.
type chainRun struct {
	// resume: go on with the top's next step, without the check for a
	// pause that starts a Deferred's pass: a step of it panicked, or it is
	// a ChainDeferred source whose target has just finished.
	resume bool
}

// run runs chains until the stack is empty and returns false, or until a
// step panics: then that step's result is the panic as a Failure (D-05) and
// run returns true and the stack so that the caller calls it again. One
// deferred recover per pass costs less than one per step.
//
// first, when set, is the first step to run (see runCallbacks).
func (r *chainRun) run(in []*Deferred, first step) (stack []*Deferred, panicked bool) {
	stack = in            // the named result, so that a recovered panic returns it
	var calling *Deferred // the Deferred whose steps are running: a panic becomes its result
	defer func() {
		if calling != nil {
			if v := recover(); v != nil {
				calling.running = false
				calling.result = FailureFromPanic(v)
				r.resume = true
				panicked = true
			}
		}
	}()
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		if r.resume {
			r.resume = false
		} else if cur.paused != 0 {
			stack = r.endSegment(stack)
			continue
		} else {
			cur.clearChainedTo() // its chain runs: it waits on nothing (D-20)
		}
		// cur is marked running (and is the one a panic is charged to) for
		// its whole run of steps, not around each call: between two steps
		// no other code runs, and this saves four stores per step.
		calling, cur.running = cur, true
		finished, keepRunning := true, false
	steps:
		for {
			var s step
			if first.kind != stepNone {
				s, first = first, step{} // it belongs to the bottom Deferred, the first one run
			} else if b := cur.steps; b != nil {
				s = b.steps[b.head]
				b.head++
				if b.head == b.n {
					cur.dropFirstBlock(b)
				}
			} else {
				break
			}

			var v any
			var err error
			passedOn := false // v is the result a pass-through half handed on
			switch s.kind {
			case stepCont:
				// cur was waited on: hand its result to the waiter.
				waiter := s.target
				if waiter.paused != 1 {
					waiter.keepWaitingOn() // it stays paused: its "waiting on" stays too, as in Twisted
				}
				waiter.result = cur.result // it was cur: waiter waits no more
				cur.result = nil
				cur.forgetUnhandled()
				waiter.paused--
				stack = append(stack, waiter)
				finished = false
				break steps
			case stepChain:
				if next := cur.fireChained(s.target); next != nil {
					// cur stays running while its target's chain runs,
					// as in Twisted, where that happens inside cur's step.
					keepRunning = true
					stack = append(stack, chainMark, next)
					finished = false
					break steps
				}
				continue
			case stepBoth:
				v, err = s.cb(cur.result)
			default:
				if f, isFailure := cur.result.(*Failure); isFailure {
					if s.eb == nil {
						continue // pass-through half
					}
					v, err = s.eb(f)
				} else if s.cb != nil {
					v, err = s.cb(cur.result)
				} else if v, passedOn = cur.result, true; cur.waitingOn() == nil {
					continue // pass-through half
				}
				// else Twisted's pass-through returns its argument and the
				// chain checks it as any result: a Deferred (there only
				// after an unmatched Unpause) is waited on again.
			}
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
			case inner == cur && !passedOn:
				// A callback returned its own Deferred (D-11). (Handed on
				// by a pass-through, after a waiting cycle, it is waited on
				// as Twisted does: for ever, unless unpaused.)
				cur.result = newFailure(ErrReturnedSelf, 2)
			case inner == nil:
				cur.result = nil // a nil *Deferred means "nothing to wait for"
			case !inner.called || inner.paused != 0 || inner.waitingOn() != nil:
				// Wait for inner (D-09); cur.result holds it meanwhile.
				cur.paused++
				cur.waitsOnResult()
				inner.pushStep(step{target: cur, kind: stepCont})
				cur.releaseRunSteps() // a wait can be long
				break steps
			default:
				// inner has a result already: take it (D-10).
				cur.result = inner.result
				inner.result = nil
				inner.forgetUnhandled()
			}
		}
		calling, cur.running = nil, keepRunning
		if finished {
			cur.noteUnhandled()
			stack = r.pop(stack)
		}
	}
	return stack, false
}

// chainMark separates the segments of the stack (see runCallbacks).
var chainMark = new(Deferred)

// pop drops the top of the stack, which has run all it could.
func (r *chainRun) pop(stack []*Deferred) []*Deferred {
	return r.resumeSource(stack[:len(stack)-1])
}

// endSegment drops the top segment of the stack (see runCallbacks), leaving
// its Deferreds' remaining steps for later, as Twisted's _runCallbacks does
// when it meets a paused Deferred.
func (r *chainRun) endSegment(stack []*Deferred) []*Deferred {
	for len(stack) > 0 && stack[len(stack)-1] != chainMark {
		stack = stack[:len(stack)-1]
	}
	return r.resumeSource(stack)
}

// resumeSource, when a segment has just ended, lets the ChainDeferred source
// below it carry on as if from inside its step (r.resume), as Twisted's does
// when the target's Callback returns: even if paused meanwhile. Its result
// becomes nil only now, because nil is what that Callback returns to the
// step (so a callback of the target that returned the source found the
// source's result still there, and took it).
func (r *chainRun) resumeSource(stack []*Deferred) []*Deferred {
	n := len(stack)
	if n == 0 || stack[n-1] != chainMark {
		return stack
	}
	stack = stack[:n-1]
	src := stack[n-2]
	src.running = false
	src.result = nil
	r.resume = true
	return stack
}

// fireChained fires target with d's result, as target.Callback would, and
// returns target when its chain should run next on the explicit stack; d's
// result then stays until target's chain is done (see resumeSource).
func (d *Deferred) fireChained(target *Deferred) *Deferred {
	if d.waitingOn() != nil {
		// Only after an unmatched Unpause can a chain go on while its result
		// is a Deferred; Twisted's callback then fails its assertion, before
		// it looks at the target.
		d.result = newFailure(ErrDeferredResult, 2)
		return nil
	}
	if target.called {
		if target.hasFlag(suppressAlreadyCalled) {
			target.clearFlag(suppressAlreadyCalled)
			d.result = nil
			return nil
		}
		d.result = newFailure(target.alreadyCalledError(), 2)
		return nil
	}
	target.called = true
	target.result = d.result
	if target.aux != nil && target.aux.debug {
		target.aux.invoker = callers(3) // fired as its Callback would be
	}
	d.forgetUnhandled()
	if target.paused != 0 || target.running {
		d.result = nil
		return nil // it runs when unpaused, or its own loop continues
	}
	return target
}
