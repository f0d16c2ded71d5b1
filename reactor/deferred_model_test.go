package reactor

import (
	"errors"
	"fmt"
)

// Two interpreters for the programs of deferred_program_test.go. Both write
// the same kind of trace: each operation, each callback run with the result
// it was given, each canceller run, and at the end every Deferred's state.

// ---- on real Deferreds ----

type realRun struct {
	ds    [progDeferreds]*Deferred
	trace []string
}

func runReal(p *program) []string { return runRealThen(p, nil) }

// runRealThen is runReal, calling after (when not nil) at the end.
func runRealThen(p *program, after func(m *realRun)) []string {
	m := &realRun{}
	for i := range m.ds {
		m.ds[i] = NewDeferred(m.canceller(i, p.cancellers[i]))
	}
	for _, o := range p.ops {
		m.do(o)
	}
	for i, d := range m.ds {
		m.log("final d%d called=%v paused=%d result=%s", i, d.Called(), d.Paused(), m.name(d.Result()))
	}
	if after != nil {
		after(m)
	}
	return m.trace
}

func (m *realRun) log(format string, a ...any) { m.trace = append(m.trace, fmt.Sprintf(format, a...)) }

func (m *realRun) canceller(i, kind int) func(*Deferred) {
	switch kind {
	case cancNoop:
		return func(*Deferred) { m.log("canceller d%d", i) }
	case cancCallback:
		return func(d *Deferred) {
			m.log("canceller d%d", i)
			m.log("canceller callback d%d: %s", i, opErrName(d.Callback(100+i)))
		}
	case cancErrback:
		return func(d *Deferred) {
			m.log("canceller d%d", i)
			m.log("canceller errback d%d: %s", i, opErrName(d.Errback(fuzzErr(60+i))))
		}
	case cancPanic:
		return func(*Deferred) {
			m.log("canceller d%d", i)
			panic(fuzzErr(70 + i))
		}
	}
	return nil
}

func (m *realRun) do(o *progOp) {
	d := m.ds[o.d]
	switch o.kind {
	case opAddCallback:
		if o.fn == fnNil {
			d.AddCallback(nil)
		} else {
			d.AddCallback(func(v any) (any, error) { return m.step(o, v, false) })
		}
	case opAddErrback:
		if o.fn == fnNil {
			d.AddErrback(nil)
		} else {
			d.AddErrback(func(f *Failure) (any, error) { return m.step(o, f, true) })
		}
	case opAddBoth:
		if o.fn == fnNil {
			d.AddBoth(nil)
		} else {
			d.AddBoth(func(v any) (any, error) { _, isF := v.(*Failure); return m.step(o, v, isF) })
		}
	case opPause:
		m.log("pause d%d", o.d)
		d.Pause()
	case opUnpause:
		m.log("unpause d%d", o.d)
		d.Unpause()
	case opCallback:
		m.log("callback d%d v%d: %s", o.d, o.arg, opErrName(d.Callback(o.arg)))
	case opErrback:
		m.log("errback d%d F:%d: %s", o.d, o.arg, opErrName(d.Errback(fuzzErr(o.arg))))
	case opCancel:
		m.log("cancel d%d", o.d)
		d.Cancel()
	case opChain:
		m.log("chain d%d -> d%d", o.d, o.j)
		d.ChainDeferred(m.ds[o.j])
	}
}

func (m *realRun) step(o *progOp, in any, onFailure bool) (any, error) {
	m.log("d%d.s%d.%s(%s)", o.d, o.id, halfName(o.kind, onFailure), m.name(in))
	switch o.fn {
	case fnError:
		return nil, fuzzErr(o.arg)
	case fnPanic:
		panic(fuzzErr(o.arg))
	case fnDeferred:
		return m.ds[o.arg], nil
	case fnFailure:
		if f, ok := in.(*Failure); ok {
			return nil, f
		}
		return NewFailure(fuzzErr(o.arg)), nil
	case fnNested:
		m.do(o.nested)
	}
	return o.arg, nil
}

func (m *realRun) name(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case int:
		return fmt.Sprintf("v%d", v)
	case *Failure:
		return "F:" + failureTag(v)
	case *Deferred:
		for i, d := range m.ds {
			if d == v {
				return fmt.Sprintf("d%d", i)
			}
		}
		return "d?"
	}
	return fmt.Sprintf("?%T", v)
}

func failureTag(f *Failure) string {
	if e, ok := errors.AsType[fuzzErr](f); ok {
		return fmt.Sprint(int(e))
	}
	switch {
	case errors.Is(f, ErrCancelled):
		return "cancel"
	case isAlreadyCalled(f):
		return "already"
	case errors.Is(f, ErrReturnedSelf):
		return "self"
	case errors.Is(f, ErrDeferredResult):
		return "deferred-result"
	}
	return "?" + f.ErrorMessage()
}

func opErrName(err error) string {
	switch {
	case err == nil:
		return "ok"
	case isAlreadyCalled(err):
		return "already"
	}
	return err.Error()
}

// ---- the reference model ----
//
// The model is Deferred semantics written the plain way, with recursion:
// firing runs the chain; a step returning an unfired (or paused, or waiting)
// Deferred parks the chain on it; a ChainDeferred target runs inside its
// source's step; a waiter handed a result runs, then the Deferred that handed
// it over carries on. Programs are short, so recursion depth is no concern.

type modelFailure string

type modelDeferred struct {
	id        int
	canceller int
	called    bool
	running   bool
	suppress  bool
	paused    int
	// result is nil, an int, a modelFailure, or the *modelDeferred the chain
	// waits on: as in Twisted, holding a Deferred as the result is what
	// waiting means (also after an unmatched unpause lets the chain go on).
	result any
	steps  []modelStep
}

type modelStep struct {
	op    *progOp        // a user step
	cont  *modelDeferred // hand the result to this waiter
	chain *modelDeferred // fire this Deferred with the result
}

type modelRun struct {
	ds    [progDeferreds]*modelDeferred
	trace []string
}

func runModel(p *program) []string {
	m := &modelRun{}
	for i := range m.ds {
		m.ds[i] = &modelDeferred{id: i, canceller: p.cancellers[i]}
	}
	for _, o := range p.ops {
		m.do(o)
	}
	for i, d := range m.ds {
		m.log("final d%d called=%v paused=%d result=%s", i, d.called, d.paused, m.name(d.result))
	}
	return m.trace
}

func (m *modelRun) log(format string, a ...any) {
	m.trace = append(m.trace, fmt.Sprintf(format, a...))
}

func (m *modelRun) name(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case int:
		return fmt.Sprintf("v%d", v)
	case modelFailure:
		return "F:" + string(v)
	case *modelDeferred:
		return fmt.Sprintf("d%d", v.id)
	}
	return "?"
}

func (m *modelRun) do(o *progOp) {
	d := m.ds[o.d]
	switch o.kind {
	case opAddCallback, opAddErrback, opAddBoth:
		d.steps = append(d.steps, modelStep{op: o})
		if d.called {
			m.run(d)
		}
	case opPause:
		m.log("pause d%d", o.d)
		d.paused++
	case opUnpause:
		m.log("unpause d%d", o.d)
		d.paused--
		if d.paused == 0 && d.called {
			m.run(d)
		}
	case opCallback:
		m.log("callback d%d v%d: %s", o.d, o.arg, m.fire(d, o.arg))
	case opErrback:
		m.log("errback d%d F:%d: %s", o.d, o.arg, m.fire(d, modelFailure(fmt.Sprint(o.arg))))
	case opCancel:
		m.log("cancel d%d", o.d)
		m.cancel(d)
	case opChain:
		m.log("chain d%d -> d%d", o.d, o.j)
		d.steps = append(d.steps, modelStep{chain: m.ds[o.j]})
		if d.called {
			m.run(d)
		}
	}
}

// fire is Callback/Errback: once only, except for the one late call a
// cancel without canceller swallows.
func (m *modelRun) fire(d *modelDeferred, result any) string {
	if d.called {
		if d.suppress {
			d.suppress = false
			return "ok"
		}
		return "already"
	}
	d.called = true
	d.result = result
	m.run(d)
	return "ok"
}

func (m *modelRun) cancel(d *modelDeferred) {
	// A fired Deferred passes the cancel to the one it waits on; Deferreds
	// waiting on each other in a cycle cancel nothing.
	seen := map[*modelDeferred]bool{}
	for d.called {
		seen[d] = true
		if d = d.waitingOn(); d == nil || seen[d] {
			return
		}
	}
	switch d.canceller {
	case cancNone:
		d.suppress = true
	case cancNoop:
		m.log("canceller d%d", d.id)
	case cancCallback:
		m.log("canceller d%d", d.id)
		m.log("canceller callback d%d: %s", d.id, m.fire(d, 100+d.id))
	case cancErrback:
		m.log("canceller d%d", d.id)
		m.log("canceller errback d%d: %s", d.id, m.fire(d, modelFailure(fmt.Sprint(60+d.id))))
	case cancPanic:
		m.log("canceller d%d", d.id)
		if !d.called {
			m.fire(d, modelFailure(fmt.Sprint(70+d.id)))
		}
	}
	if !d.called {
		m.fire(d, modelFailure("cancel"))
	}
}

// waitingOn is the Deferred d's result holds, if any (Twisted's
// isinstance(d.result, Deferred)).
func (d *modelDeferred) waitingOn() *modelDeferred {
	inner, _ := d.result.(*modelDeferred)
	return inner
}

// run follows the shape of Twisted's _runCallbacks rather than braid's: a
// list of the Deferreds whose chains this call is running, where a waiter
// handed a result is pushed and a paused Deferred on top ends the call;
// ChainDeferred fires its target by a recursive call, as Twisted's
// d.callback does.
func (m *modelRun) run(d *modelDeferred) {
	if d.running {
		return
	}
	chain := []*modelDeferred{d}
	for len(chain) > 0 {
		cur := chain[len(chain)-1]
		if cur.paused != 0 {
			return // the rest waits until something runs these chains again
		}
		finished := true
	steps:
		for len(cur.steps) > 0 {
			s := cur.steps[0]
			cur.steps = cur.steps[1:]
			var res any
			passedOn := false
			switch {
			case s.cont != nil:
				w := s.cont
				w.result, cur.result = cur.result, nil
				w.paused--
				chain = append(chain, w)
				finished = false
				break steps
			case s.chain != nil:
				cur.running = true
				res = m.fireChained(cur, s.chain)
				cur.running = false
			default:
				_, onFailure := cur.result.(modelFailure)
				o := s.op
				if o.fn == fnNil || (o.kind == opAddCallback && onFailure) || (o.kind == opAddErrback && !onFailure) {
					// The pass-through half returns the result unchanged,
					// which matters only when it is a Deferred.
					if cur.waitingOn() == nil {
						continue
					}
					res, passedOn = cur.result, true
					break
				}
				cur.running = true
				res = m.step(o, cur.result, onFailure)
				cur.running = false
			}
			cur.result = res
			inner, ok := res.(*modelDeferred)
			switch {
			case !ok:
			case inner == cur && !passedOn:
				cur.result = modelFailure("self") // braid's D-11: Twisted would wait on itself for ever
			case !inner.called || inner.paused != 0 || inner.waitingOn() != nil:
				cur.paused++
				inner.steps = append(inner.steps, modelStep{cont: cur})
				break steps
			default:
				cur.result, inner.result = inner.result, nil
			}
		}
		if finished {
			chain = chain[:len(chain)-1]
		}
	}
}

// fireChained is the step ChainDeferred adds: target.Callback (or Errback)
// with cur's result; what the call returns (nil, or the failure it raised)
// becomes cur's result.
func (m *modelRun) fireChained(cur, target *modelDeferred) any {
	if cur.waitingOn() != nil {
		return modelFailure("deferred-result") // Twisted's callback asserts
	}
	if m.fire(target, cur.result) == "already" {
		return modelFailure("already")
	}
	return nil
}

func (m *modelRun) step(o *progOp, in any, onFailure bool) any {
	m.log("d%d.s%d.%s(%s)", o.d, o.id, halfName(o.kind, onFailure), m.name(in))
	switch o.fn {
	case fnError, fnPanic:
		return modelFailure(fmt.Sprint(o.arg))
	case fnDeferred:
		return m.ds[o.arg]
	case fnFailure:
		if f, ok := in.(modelFailure); ok {
			return f
		}
		return modelFailure(fmt.Sprint(o.arg))
	case fnNested:
		m.do(o.nested)
	}
	return o.arg
}
