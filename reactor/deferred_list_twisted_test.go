package reactor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestDeferredListAgainstTwisted runs random programs on three member
// Deferreds and a DeferredList (any flags) or GatherResults over some of
// them, made at some point of the program: members fired, failed,
// cancelled, paused and watched; the list cancelled or made to wait on a
// member. Twisted runs the same through testdata/twisted_dlist.py, and the
// traces are compared (D-18, D-19).
func TestDeferredListAgainstTwisted(t *testing.T) {
	ownUnhandled(t) // the programs leave failures behind on purpose
	twistedtest.Require(t, twistedModule)
	progs := randomPrograms(2000, 5, randomDListProgram)
	twistedtest.CompareTraces(t, progs, twistedtest.Traces(t, "testdata/twisted_dlist.py", progs, twistedTimeout), dlistProgram.runOnBraid)
}

const (
	dlFire = iota
	dlFail
	dlCancelMember
	dlCancelList
	dlWatchMember
	dlListWaits
	dlPause
	dlUnpause
	dlMakeList
	numDLOps
)

type dlistOp struct {
	Kind int `json:"kind"`
	I    int `json:"i"`
	N    int `json:"n"`
}

type dlistProgram struct {
	Cancellers  [3]int    `json:"cancellers"`
	Size        int       `json:"size"` // the list holds members 0..Size-1
	Gather      bool      `json:"gather"`
	OneCallback bool      `json:"oneCallback"`
	OneErrback  bool      `json:"oneErrback"`
	Consume     bool      `json:"consume"`
	Ops         []dlistOp `json:"ops"`
}

func randomDListProgram(rng *rand.Rand) dlistProgram {
	p := dlistProgram{
		Size: rng.IntN(4), Gather: rng.IntN(3) == 0,
		OneCallback: rng.IntN(3) == 0, OneErrback: rng.IntN(3) == 0, Consume: rng.IntN(2) == 0,
	}
	for i := range p.Cancellers {
		p.Cancellers[i] = rng.IntN(4)
	}
	ops := 1 + rng.IntN(12)
	made := rng.IntN(ops)
	for k := range ops {
		o := dlistOp{Kind: rng.IntN(numDLOps), I: rng.IntN(3), N: rng.IntN(8)}
		if k == made {
			o.Kind = dlMakeList
		}
		p.Ops = append(p.Ops, o)
	}
	return p
}

func (p dlistProgram) String() string {
	b, _ := jsonMarshal(p)
	return string(b)
}

type dlistRun struct {
	p       dlistProgram
	members [3]*Deferred
	list    *Deferred
	trace   []string
}

func (r *dlistRun) log(format string, a ...any) { r.trace = append(r.trace, fmt.Sprintf(format, a...)) }

func (p dlistProgram) runOnBraid() []string {
	r := &dlistRun{p: p}
	for i := range r.members {
		r.members[i] = NewDeferred(twistedCanceller(r.log, fmt.Sprintf("m%d", i), i, p.Cancellers[i]))
	}
	for _, o := range p.Ops {
		r.do(o)
	}
	for i, m := range r.members {
		r.log("final m%d called=%v paused=%d result=%s", i, m.Called(), m.Paused(), dlTrace(m.Result()))
	}
	if r.list != nil {
		r.log("final list called=%v result=%s", r.list.Called(), dlTrace(r.list.Result()))
	}
	return r.trace
}

func (r *dlistRun) do(o dlistOp) {
	m := r.members[o.I]
	switch o.Kind {
	case dlFire:
		r.log("callback m%d v%d: %s", o.I, o.N, opErrName(m.Callback(o.N)))
	case dlFail:
		r.log("errback m%d F:%d: %s", o.I, o.N, opErrName(m.Errback(fuzzErr(o.N))))
	case dlCancelMember:
		r.log("cancel m%d", o.I)
		m.Cancel()
	case dlWatchMember:
		m.AddBoth(func(v any) (any, error) {
			r.log("m%d passes on %s", o.I, dlTrace(v))
			return v, nil
		})
	case dlPause:
		r.log("pause m%d", o.I)
		m.Pause()
	case dlUnpause:
		r.log("unpause m%d", o.I)
		m.Unpause()
	case dlMakeList:
		if r.list != nil {
			return
		}
		ms := r.members[:r.p.Size]
		if r.p.Gather {
			r.list = GatherResults(ms, GatherOptions{ConsumeErrors: r.p.Consume})
		} else {
			r.list = DeferredList(ms, DLOptions{FireOnOneCallback: r.p.OneCallback, FireOnOneErrback: r.p.OneErrback, ConsumeErrors: r.p.Consume})
		}
		r.log("list made")
		r.list.AddBoth(func(v any) (any, error) {
			r.log("list fires with %s", dlTrace(v))
			return v, nil
		})
	case dlCancelList:
		if r.list != nil {
			r.log("cancel list")
			r.list.Cancel()
		}
	case dlListWaits:
		if r.list != nil {
			r.list.AddCallback(func(any) (any, error) {
				r.log("list waits on m%d", o.I)
				return m, nil
			})
		}
	}
}

// dlTrace prints a result as twisted_dlist.py's show does.
func dlTrace(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case int:
		return fmt.Sprintf("v%d", v)
	case *Failure:
		var fe *FirstError
		var fz fuzzErr
		switch {
		case errors.As(v, &fe) && fe.Sub != nil:
			return fmt.Sprintf("FirstError(%d, %s)", fe.Index, dlTrace(fe.Sub))
		case errors.As(v, &fz):
			return fmt.Sprintf("F:%d", int(fz))
		case errors.Is(v, ErrCancelled):
			return "F:cancel"
		}
		return "F:?" + v.ErrorMessage()
	case DLResult:
		if v.OK {
			return "(ok " + dlTrace(v.Value) + ")"
		}
		return "(failed " + dlTrace(v.Value) + ")"
	case DLFirst:
		return fmt.Sprintf("(%s at %d)", dlTrace(v.Value), v.Index)
	case []DLResult:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = dlTrace(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = dlTrace(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case *Deferred:
		return "<Deferred>"
	}
	return fmt.Sprintf("?%T", v)
}
