package reactor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestInlineCallbacksAgainstTwisted runs random programs of an
// InlineCallbacks body (awaiting three Deferreds, catching or passing on
// their failures, firing them, returning, raising) and operations around
// it (firing, failing, pausing the Deferreds; cancelling the body's
// Deferred) on braid and on Twisted's @inlineCallbacks
// (testdata/twisted_inline.py), and compares the traces.
func TestInlineCallbacksAgainstTwisted(t *testing.T) {
	ownUnhandled(t) // the programs leave failures behind on purpose
	twistedtest.Require(t, twistedModule)
	progs := randomPrograms(2000, 7, randomInlineProgram)
	twistedtest.CompareTraces(t, progs, twistedtest.Traces(t, "testdata/twisted_inline.py", progs, twistedTimeout), inlineProgram.runOnBraid)
}

// Body steps.
const (
	icAwait = iota
	icFireInside
	icReturn
	icRaise
)

// Operations around the body.
const (
	icFire = iota
	icFail
	icPause
	icUnpause
	icCancelOuter
	icStart
	numICOps
)

type inlineStep struct {
	Kind  int  `json:"kind"`
	I     int  `json:"i"`
	N     int  `json:"n"`
	Catch bool `json:"catch"`
}

type inlineOp struct {
	Kind int `json:"kind"`
	I    int `json:"i"`
	N    int `json:"n"`
}

type inlineProgram struct {
	Cancellers [3]int       `json:"cancellers"`
	Body       []inlineStep `json:"body"`
	Ops        []inlineOp   `json:"ops"`
}

func randomInlineProgram(rng *rand.Rand) inlineProgram {
	var p inlineProgram
	for i := range p.Cancellers {
		p.Cancellers[i] = rng.IntN(4)
	}
	for range 1 + rng.IntN(6) {
		s := inlineStep{Kind: icAwait, I: rng.IntN(3), N: rng.IntN(8), Catch: rng.IntN(2) == 0}
		switch r := rng.IntN(10); {
		case r == 0:
			s.Kind = icReturn
		case r == 1:
			s.Kind = icRaise
		case r < 4:
			s.Kind = icFireInside
		}
		p.Body = append(p.Body, s)
	}
	ops := 1 + rng.IntN(10)
	start := rng.IntN(ops)
	for k := range ops {
		o := inlineOp{Kind: rng.IntN(numICOps), I: rng.IntN(3), N: rng.IntN(8)}
		if k == start {
			o.Kind = icStart
		}
		p.Ops = append(p.Ops, o)
	}
	return p
}

func (p inlineProgram) String() string {
	b, _ := jsonMarshal(p)
	return string(b)
}

type inlineRun struct {
	p     inlineProgram
	es    [3]*Deferred
	outer *Deferred
	trace []string
}

func (r *inlineRun) log(format string, a ...any) {
	r.trace = append(r.trace, fmt.Sprintf(format, a...))
}

func icShow(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case int:
		return fmt.Sprintf("v%d", v)
	case string:
		return v
	case *Failure:
		return "F:" + icTag(v)
	}
	return fmt.Sprintf("?%T", v)
}

func icTag(err error) string {
	var fz fuzzErr
	switch {
	case errors.As(err, &fz):
		return fmt.Sprint(int(fz))
	case errors.Is(err, ErrCancelled):
		return "cancel"
	}
	return "?" + err.Error()
}

func (p inlineProgram) runOnBraid() []string {
	r := &inlineRun{p: p}
	for i := range r.es {
		r.es[i] = NewDeferred(twistedCanceller(r.log, fmt.Sprintf("e%d", i), i, p.Cancellers[i]))
	}
	for _, o := range p.Ops {
		r.do(o)
	}
	for i, e := range r.es {
		r.log("final e%d called=%v paused=%d result=%s", i, e.Called(), e.Paused(), icShow(e.Result()))
	}
	abandonSuspended() // a body still suspended: Python leaves its generator to the collector
	return r.trace
}

func (r *inlineRun) body(await Await) (any, error) {
	r.log("body starts")
	for _, st := range r.p.Body {
		switch st.Kind {
		case icAwait:
			v, err := await(r.es[st.I])
			if err == nil {
				r.log("body got %s from e%d", icShow(v), st.I)
				continue
			}
			if !st.Catch {
				r.log("body lets F:%s through", icTag(err))
				return nil, err
			}
			r.log("body caught F:%s", icTag(err))
		case icFireInside:
			r.log("body fires e%d v%d: %s", st.I, st.N, opErrName(r.es[st.I].Callback(st.N)))
		case icReturn:
			r.log("body returns v%d", st.N)
			return st.N, nil
		case icRaise:
			r.log("body raises F:%d", st.N)
			return nil, fuzzErr(st.N)
		}
	}
	r.log("body ends")
	return "end", nil
}

func (r *inlineRun) do(o inlineOp) {
	e := r.es[o.I]
	switch o.Kind {
	case icFire:
		r.log("callback e%d v%d: %s", o.I, o.N, opErrName(e.Callback(o.N)))
	case icFail:
		r.log("errback e%d F:%d: %s", o.I, o.N, opErrName(e.Errback(fuzzErr(o.N))))
	case icPause:
		r.log("pause e%d", o.I)
		e.Pause()
	case icUnpause:
		r.log("unpause e%d", o.I)
		e.Unpause()
	case icStart:
		if r.outer != nil {
			return
		}
		r.outer = InlineCallbacks(r.body)
		r.outer.AddBoth(func(v any) (any, error) {
			r.log("outer fires with %s", icShow(v))
			return nil, nil
		})
	case icCancelOuter:
		if r.outer != nil {
			r.log("cancel outer")
			r.outer.Cancel()
		}
	}
}
