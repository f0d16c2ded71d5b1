package reactor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestLoopingCallAgainstTwisted runs random programs of two LoopingCalls on
// a Clock, whose functions return, fail, return Deferreds that fire or fail
// later, or stop, reset or advance the clock from inside, on braid and on
// Twisted's task.LoopingCall (testdata/twisted_looping.py), and compares
// the traces: when each call is made, how each loop ends, what Start, Stop
// and Reset return (TR-12). Some loops are made with
// NewLoopingCallWithCount (Twisted's withCount), and their traces show the
// count each call is given, and which calls count 0 and are not made.
func TestLoopingCallAgainstTwisted(t *testing.T) {
	ownUnhandled(t) // the programs leave failures behind on purpose
	twistedtest.Require(t, twistedModule)
	progs := randomPrograms(1500, 4, randomLoopProgram)
	twistedtest.CompareTraces(t, progs, twistedtest.Traces(t, "testdata/twisted_looping.py", progs, twistedTimeout), loopProgram.runOnBraid)
}

const (
	loopStart = iota
	loopStop
	loopReset
	loopAdvance
)

// What a loop's function does on a call (with k, where it takes one).
const (
	bodyOK         = iota
	bodyRaise      // fails
	bodyDefer      // returns a Deferred that fires k seconds later
	bodyDeferFail  // returns a Deferred that fails k seconds later
	bodyStop       // stops its own loop
	bodyReset      // resets its own loop
	bodyAdvance    // advances the clock by k
	numBodyActions //
)

type loopOp struct {
	Kind int  `json:"kind"`
	Loop int  `json:"loop"`
	N    int  `json:"n"` // interval, or seconds to advance
	Now  bool `json:"now"`
}

type loopProgram struct {
	Loops   [2][][2]int `json:"loops"`   // per loop, the (action, k) its calls cycle through
	Counted [2]bool     `json:"counted"` // the loop is made withCount
	Ops     []loopOp    `json:"ops"`
}

func randomLoopProgram(rng *rand.Rand) loopProgram {
	var p loopProgram
	for i := range p.Loops {
		for range 1 + rng.IntN(4) {
			a := rng.IntN(numBodyActions)
			if a == bodyAdvance && rng.IntN(2) == 0 {
				a = bodyOK // keep re-entrant advances a minority
			}
			p.Loops[i] = append(p.Loops[i], [2]int{a, rng.IntN(4)})
		}
		p.Counted[i] = rng.IntN(2) == 0
	}
	for range 1 + rng.IntN(14) {
		o := loopOp{Kind: rng.IntN(4), Loop: rng.IntN(2), N: 1 + rng.IntN(3), Now: rng.IntN(2) == 0}
		if o.Kind == loopAdvance {
			o.N = []int{0, 1, 2, 3, 5, 7}[rng.IntN(6)]
		}
		p.Ops = append(p.Ops, o)
	}
	return p
}

func (p loopProgram) String() string {
	b, _ := jsonMarshal(p)
	return string(b)
}

type loopFuzzErr struct{}

func (loopFuzzErr) Error() string { return "FuzzErr" }

type loopRun struct {
	clock   *Clock
	loops   [2]*LoopingCall
	pending [2]bool
	calls   [2]int
	trace   []string
}

func (r *loopRun) log(format string, a ...any) { r.trace = append(r.trace, fmt.Sprintf(format, a...)) }

func (r *loopRun) now() string { return fmt.Sprintf("%g", r.clock.Seconds()) }

func loopOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrLoopingCallNotRunning):
		return "not running"
	}
	return err.Error()
}

func (p loopProgram) runOnBraid() []string {
	r := &loopRun{clock: NewClock()}
	for i := range r.loops {
		body := r.body(i, p.Loops[i])
		if !p.Counted[i] {
			r.loops[i] = NewLoopingCall(r.clock, func() (any, error) { return body(-1) })
			continue
		}
		r.loops[i] = NewLoopingCallWithCount(r.clock, body)
	}
	for _, o := range p.Ops {
		r.do(o)
	}
	for i, lc := range r.loops {
		r.log("final lc%d running=%v calls=%d", i, lc.Running(), r.calls[i])
	}
	r.log("pending %d", len(r.clock.GetDelayedCalls()))
	return r.trace
}

// body returns loop i's function; count is -1 for a loop without counts.
func (r *loopRun) body(i int, actions [][2]int) func(count int) (any, error) {
	return func(count int) (any, error) {
		n := r.calls[i]
		r.calls[i]++
		if count < 0 {
			r.log("lc%d call %d at %s", i, n, r.now())
		} else {
			r.log("lc%d call %d at %s count %d", i, n, r.now(), count)
		}
		a := actions[n%len(actions)]
		k := time.Duration(a[1]) * time.Second
		switch a[0] {
		case bodyRaise:
			return nil, loopFuzzErr{}
		case bodyDefer, bodyDeferFail:
			d := NewDeferred(nil)
			r.pending[i] = true
			r.clock.CallLater(k, func() {
				r.pending[i] = false
				r.log("lc%d call %d's Deferred fires at %s", i, n, r.now())
				if a[0] == bodyDefer {
					_ = d.Callback(nil)
				} else {
					_ = d.Errback(loopFuzzErr{})
				}
			})
			return d, nil
		case bodyStop:
			r.log("lc%d stop: %s", i, loopOutcome(r.loops[i].Stop()))
		case bodyReset:
			r.log("lc%d reset: %s", i, loopOutcome(r.loops[i].Reset()))
		case bodyAdvance:
			r.log("advance %d", a[1])
			r.clock.Advance(k)
		}
		return nil, nil
	}
}

func (r *loopRun) do(o loopOp) {
	i, lc := o.Loop, r.loops[o.Loop]
	switch o.Kind {
	case loopStart:
		if lc.Running() || r.pending[i] {
			r.log("lc%d start %d now=%s: running", i, o.N, pyBool(o.Now))
			if _, err := lc.Start(time.Duration(o.N)*time.Second, o.Now); !errors.Is(err, ErrLoopingCallRunning) {
				r.log("lc%d start: %v, want ErrLoopingCallRunning", i, err)
			}
			return
		}
		r.log("lc%d start %d now=%s", i, o.N, pyBool(o.Now))
		d, err := lc.Start(time.Duration(o.N)*time.Second, o.Now)
		if err != nil {
			r.log("lc%d start: %v", i, err)
			return
		}
		d.AddCallbacks(func(v any) (any, error) {
			what := fmt.Sprint(v)
			if v == lc {
				what = "itself"
			}
			r.log("lc%d done at %s: %s", i, r.now(), what)
			return nil, nil
		}, func(f *Failure) (any, error) {
			r.log("lc%d failed at %s: %s", i, r.now(), f.ErrorMessage())
			return nil, nil
		})
	case loopStop:
		r.log("lc%d stop: %s", i, loopOutcome(lc.Stop()))
	case loopReset:
		r.log("lc%d reset: %s", i, loopOutcome(lc.Reset()))
	case loopAdvance:
		r.log("advance %d", o.N)
		r.clock.Advance(time.Duration(o.N) * time.Second)
	}
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
