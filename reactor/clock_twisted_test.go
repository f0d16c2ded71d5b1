package reactor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestClockAgainstTwisted runs random programs of CallLater, Cancel, Reset,
// Delay and Advance, some made from inside the calls themselves, on braid's
// Clock and on Twisted's task.Clock (testdata/twisted_clock.py), and
// compares the traces: which call runs when, in what order, and what each
// operation returns (R-05, R-07, R-09, TR-11).
func TestClockAgainstTwisted(t *testing.T) {
	ownUnhandled(t) // the programs leave failures behind on purpose
	twistedtest.Require(t, twistedModule)
	progs := randomPrograms(2000, 3, randomClockProgram)
	twistedtest.CompareTraces(t, progs, twistedtest.Traces(t, "testdata/twisted_clock.py", progs, twistedTimeout), clockProgram.runOnBraid)
}

const (
	clockSchedule = iota
	clockCancel
	clockReset
	clockDelay
	clockAdvance
)

// clockOp is one operation; n is a delay or an advance in whole seconds.
type clockOp struct {
	Kind   int      `json:"kind"`
	N      int      `json:"n"`
	Target int      `json:"target"`
	Nested *clockOp `json:"nested,omitempty"` // for clockSchedule: what the call does when it runs
}

type clockProgram []*clockOp

func randomClockProgram(rng *rand.Rand) clockProgram {
	var op func(depth int) *clockOp
	op = func(depth int) *clockOp {
		o := &clockOp{Kind: rng.IntN(5), N: []int{0, 0, 1, 2, 3, 5}[rng.IntN(6)], Target: rng.IntN(8)}
		if o.Kind == clockSchedule && depth < 2 && rng.IntN(3) == 0 {
			o.Nested = op(depth + 1)
		}
		return o
	}
	p := make(clockProgram, 1+rng.IntN(20))
	for i := range p {
		p[i] = op(0)
	}
	return p
}

func (p clockProgram) String() string {
	b, _ := jsonMarshal(p)
	return string(b)
}

// clockRun is the braid side, writing the trace twisted_clock.py writes.
type clockRun struct {
	clock *Clock
	calls []*DelayedCall
	trace []string
}

func (p clockProgram) runOnBraid() []string {
	r := &clockRun{clock: NewClock()}
	for _, o := range p {
		r.do(o)
	}
	var pending []string
	for _, c := range r.clock.GetDelayedCalls() {
		pending = append(pending, fmt.Sprintf("c%d@%g", slices.Index(r.calls, c), c.GetTime()))
	}
	slices.SortFunc(pending, func(a, b string) int {
		var x, y int
		fmt.Sscanf(a, "c%d", &x)
		fmt.Sscanf(b, "c%d", &y)
		return x - y
	})
	r.log("pending %s", strings.Join(pending, " "))
	return r.trace
}

func (r *clockRun) log(format string, a ...any) { r.trace = append(r.trace, fmt.Sprintf(format, a...)) }

func (r *clockRun) now() string { return fmt.Sprintf("%g", r.clock.Seconds()) }

func clockOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrDelayedCallAlreadyCalled):
		return "called"
	case errors.Is(err, ErrDelayedCallAlreadyCancelled):
		return "cancelled"
	}
	return err.Error()
}

func (r *clockRun) do(o *clockOp) {
	d := time.Duration(o.N) * time.Second
	switch {
	case o.Kind == clockSchedule:
		name := fmt.Sprintf("c%d", len(r.calls))
		r.log("schedule %s +%d at %s", name, o.N, r.now())
		r.calls = append(r.calls, r.clock.CallLater(d, func() {
			r.log("run %s at %s", name, r.now())
			if o.Nested != nil {
				r.do(o.Nested)
			}
		}))
	case o.Kind == clockAdvance:
		r.log("advance %d", o.N)
		r.clock.Advance(d)
	case len(r.calls) > 0:
		i := o.Target % len(r.calls)
		c := r.calls[i]
		switch o.Kind {
		case clockCancel:
			r.log("cancel c%d: %s", i, clockOutcome(c.Cancel()))
		case clockReset:
			r.log("reset c%d +%d: %s", i, o.N, clockOutcome(c.Reset(d)))
		case clockDelay:
			r.log("delay c%d +%d: %s", i, o.N, clockOutcome(c.Delay(d)))
		}
	}
}
