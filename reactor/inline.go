package reactor

import (
	"fmt"
	"iter"
	"runtime"
	"strings"

	"github.com/braid-go/braid/internal/tracking"
)

// Await waits for d inside an [InlineCallbacks] body and returns its result:
// the value, or (nil, the *Failure) when d failed. Like Python's
// "x = yield d", it consumes d's result: steps added to d afterwards see nil.
// Awaiting a Deferred that has already fired (and is not paused) returns at
// once, without letting the reactor run. An Await belongs to its body: call
// it only from that body, never from another goroutine or another body.
type Await func(d *Deferred) (any, error)

// Errors of InlineCallbacks.
var (
	// ErrInlineAbandoned is returned by an Await that is called after its
	// body was abandoned (trial does so to a body a test left suspended) or
	// after it returned.
	ErrInlineAbandoned = kind("inlineCallbacks body was abandoned", nil)
	// ErrAwaitNil is returned by Await(nil).
	ErrAwaitNil = kind("await of a nil *Deferred", nil)
	// ErrInlineReturnedDeferred is the failure of an InlineCallbacks whose
	// body returned a *Deferred as its value; return the result of
	// await(d) instead (Twisted fails an assertion on returnValue(d)).
	ErrInlineReturnedDeferred = kind("inlineCallbacks body returned a *Deferred; return await(d) instead", ErrDeferredResult)
)

// InlineCallbacks ports @inlineCallbacks: body is written as straight-line
// code that waits on Deferreds with await, and InlineCallbacks returns a
// Deferred for its outcome. The body's return value fires that Deferred
// (Twisted's returnValue); a returned error, or a panic in the body, fails
// it with a Failure. A Failure await returned and the body passed on keeps
// its original traceback.
//
// The body runs as a coroutine (iter.Pull): InlineCallbacks runs it on the
// calling goroutine's behalf until it awaits a Deferred that has no result,
// then returns; when that Deferred fires, the body resumes inside the
// Deferred's callback and runs until its next wait. The caller and the body
// never run at the same time, so the body may use the reactor and Deferreds
// exactly as a callback does.
//
// Cancelling the returned Deferred cancels the Deferred the body is waiting
// on (Twisted 22.4): the body sees that Deferred's outcome (usually a
// [ErrCancelled] Failure) from await and may recover from it, translate
// it, or wait on something else; the returned Deferred fires only with what
// the body finally returns.
//
// A body suspended on a Deferred that never fires keeps its goroutine
// alive; Go cannot collect it as Python collects a generator. The reactor
// of the goroutine that called InlineCallbacks lists such bodies, and trial
// reports and abandons (ends, running their deferred functions) every body
// a test leaves suspended; its Deferred is then left unfired.
func InlineCallbacks(body func(await Await) (any, error)) *Deferred {
	st := &inlineState{body: body, owner: tracking.Current()}
	st.outer = NewDeferred(st.cancel)
	// The outer Deferred fires only with the body's outcome, never with a
	// CancelledError of its own (see cancel).
	st.outer.setFlag(cancelOnly)
	st.gotStep = st.gotResult
	st.next, st.stop = iter.Pull(st.run)
	st.step()
	return st.outer
}

// inlineState is one [InlineCallbacks] invocation: Twisted's generator plus
// its _CancellationStatus.
type inlineState struct {
	body     func(Await) (any, error)
	outer    *Deferred
	next     func() (struct{}, bool)
	stop     func()
	yield    func(struct{}) bool
	gotStep  Callback  // st.gotResult, made once: every await adds it
	awaiting *Deferred // the Deferred the body is suspended on
	adding   bool      // await is inside AddBoth: a result now is synchronous
	gotSync  bool      // the awaited Deferred had a result at once
	sent     any       // the awaited result handed to the body
	result   any       // the body's outcome, a *Failure on error

	finished  bool            // the body returned (or panicked)
	abandoned bool            // Abandon ended the body
	owner     *tracking.Scope // the reactor that lists the body while suspended
	handle    *pendingInline
	suspended bool       // listed with owner
	sitePCs   [8]uintptr // where the body is suspended, for String
	siteN     int
}

// run is the coroutine: it runs the body and records its outcome. It never
// panics, so iter.Pull propagates nothing but a runtime.Goexit (t.FailNow in
// a test body), which ends the driving goroutine as it would in a callback.
func (st *inlineState) run(yield func(struct{}) bool) {
	st.yield = yield
	// Deferreds that fail in the body belong to the body's reactor, though
	// the coroutine runs on a goroutine of its own.
	defer tracking.EnterCoroutine(st.owner)()
	defer func() {
		v := recover()
		switch {
		case v == errAbandon || st.abandoned:
			// Unwound by Abandon (or ended during it): no outcome.
		case v != nil:
			st.result = FailureFromPanic(v)
			st.finished = true
		}
	}()
	v, err := st.body(st.await)
	switch {
	case err != nil:
		st.result = bodyFailure(err, st.body)
	case isDeferred(v):
		st.result = newFailure(ErrInlineReturnedDeferred, 3)
	default:
		st.result = v
	}
	st.finished = true
}

func isDeferred(v any) bool { _, ok := v.(*Deferred); return ok }

// errAbandon unwinds a body whose coroutine is being stopped.
var errAbandon = &struct{ msg string }{"braid: inlineCallbacks body abandoned"}

// await is the body's Await.
func (st *inlineState) await(d *Deferred) (any, error) {
	if d == nil {
		return nil, ErrAwaitNil
	}
	if st.finished {
		return nil, ErrInlineAbandoned
	}
	// As Twisted's gotResult: the step added here either runs at once (the
	// result is there) or, later, resumes the body.
	st.adding, st.gotSync = true, false
	d.AddBoth(st.gotStep)
	st.adding = false
	if st.gotSync {
		v := st.sent
		st.sent, st.gotSync = nil, false
		if f, ok := v.(*Failure); ok {
			var pcs [4]uintptr
			f.passedThrough(pcs[:runtime.Callers(2, pcs[:])])
		}
		return unpackResult(v)
	}
	if st.abandoned {
		return nil, ErrInlineAbandoned
	}
	st.awaiting = d
	st.siteN = runtime.Callers(2, st.sitePCs[:])
	if !st.yield(struct{}{}) {
		panic(errAbandon) // stopped while suspended: unwind the body
	}
	v := st.sent
	st.sent = nil
	if f, ok := v.(*Failure); ok {
		f.passedThrough(st.sitePCs[:st.siteN])
	}
	return unpackResult(v)
}

// gotResult is the step await adds to the awaited Deferred. It leaves nil
// as that Deferred's result: the body has taken it.
func (st *inlineState) gotResult(r any) (any, error) {
	if st.adding {
		st.sent, st.gotSync = r, true
		return nil, nil
	}
	st.resume(r)
	return nil, nil
}

func unpackResult(r any) (any, error) {
	if f, ok := r.(*Failure); ok {
		return nil, f
	}
	return r, nil
}

// resume hands r to the suspended body and runs it to its next wait.
func (st *inlineState) resume(r any) {
	if st.finished || st.abandoned {
		return
	}
	st.untrack()
	st.sent = r
	st.awaiting = nil
	st.step()
}

// step runs the body until it waits or ends; at the end it fires the outer
// Deferred, on the driving goroutine rather than inside the coroutine.
func (st *inlineState) step() {
	if _, suspended := st.next(); suspended {
		st.track()
		return
	}
	if !st.finished {
		return // abandoned
	}
	_ = st.outer.start(st.result)
	st.result = nil
}

// cancel is the outer Deferred's canceller: cancel what the body waits on.
// The body then resumes with that Deferred's outcome, and the outer
// Deferred fires with whatever the body makes of it.
func (st *inlineState) cancel(*Deferred) {
	if d := st.awaiting; d != nil {
		d.Cancel()
	}
}

// pendingInline is an [InlineCallbacks] body suspended on a Deferred that has
// not fired yet, as its reactor lists it for trial (tracking.Body). One body
// keeps the same *pendingInline for its lifetime.
type pendingInline struct {
	st *inlineState
}

func (st *inlineState) track() {
	if st.owner == nil {
		return // no reactor to list it with
	}
	if st.handle == nil {
		st.handle = &pendingInline{st: st}
	}
	st.suspended = true
	st.owner.AddPending(st.handle)
}

func (st *inlineState) untrack() {
	if !st.suspended {
		return
	}
	st.suspended = false
	st.owner.RemovePending(st.handle)
}

// Abandon ends a suspended body, as closing a Python generator does: the
// await it is blocked in never returns, the body's deferred functions run
// (an Await called from them returns [ErrInlineAbandoned] unless its Deferred
// has a result already), and its goroutine exits. The [InlineCallbacks]
// Deferred is left unfired, and a later result of the awaited Deferred is
// ignored (and consumed). Call it on the goroutine that drives the body's
// Deferreds. Abandoning a body that is not suspended does nothing.
func (p *pendingInline) Abandon() {
	st := p.st
	if !st.suspended {
		return
	}
	st.untrack()
	st.abandoned = true
	st.awaiting = nil
	st.stop()
}

// String names the body's function, the line where it is suspended and
// the Deferred it waits on, for trial's dirty-reactor report.
func (p *pendingInline) String() string {
	st := p.st
	where := ""
	frames := runtime.CallersFrames(st.sitePCs[:st.siteN])
	for {
		fr, more := frames.Next()
		if fr.Function != "" && !strings.HasPrefix(fr.Function, inlinePkg+".(*inlineState)") {
			where = fmt.Sprintf(" at %s:%d", fr.File, fr.Line)
			break
		}
		if !more {
			break
		}
	}
	state := "suspended"
	if !st.suspended {
		state = "not suspended"
	}
	return fmt.Sprintf("<InlineCallbacks %s() %s%s awaiting %v>", funcName(st.body), state, where, st.awaiting)
}

const inlinePkg = "github.com/braid-go/braid/reactor"
