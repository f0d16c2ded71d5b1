package reactor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestTimeoutsAgainstTwisted runs random programs of Deferred.AddTimeout
// (with and without onTimeoutCancel) and DeferLater on a Clock, with the
// Deferred fired, failed, cancelled and watched around them, on braid and
// on Twisted (testdata/twisted_timeout.py), and compares the traces
// (D-17, TR-13).
func TestTimeoutsAgainstTwisted(t *testing.T) {
	ownUnhandled(t) // the programs leave failures behind on purpose
	twistedtest.Require(t, twistedModule)
	progs := randomPrograms(2000, 11, randomTimeoutProgram)
	twistedtest.CompareTraces(t, progs, twistedtest.Traces(t, "testdata/twisted_timeout.py", progs, twistedTimeout), timeoutProgram.runOnBraid)
}

const (
	toAddTimeout = iota
	toAdvance
	toFire
	toFail
	toCancel
	toWatch
	toDeferLater
	toCancelLater
	numTimeoutOps
)

type timeoutOp struct {
	Kind   int  `json:"kind"`
	N      int  `json:"n"`
	Custom bool `json:"custom"` // AddTimeout: an onTimeoutCancel; DeferLater: the function fails
}

type timeoutProgram struct {
	Canceller int         `json:"canceller"`
	Ops       []timeoutOp `json:"ops"`
}

func randomTimeoutProgram(rng *rand.Rand) timeoutProgram {
	p := timeoutProgram{Canceller: rng.IntN(4)}
	for range 1 + rng.IntN(12) {
		p.Ops = append(p.Ops, timeoutOp{Kind: rng.IntN(numTimeoutOps), N: rng.IntN(4), Custom: rng.IntN(2) == 0})
	}
	return p
}

func (p timeoutProgram) String() string {
	b, _ := jsonMarshal(p)
	return string(b)
}

type timeoutRun struct {
	clock *Clock
	d     *Deferred
	later *Deferred
	trace []string
}

func (r *timeoutRun) log(format string, a ...any) {
	r.trace = append(r.trace, fmt.Sprintf(format, a...))
}

func toShow(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case int:
		return fmt.Sprintf("v%d", v)
	case *Failure:
		var fz fuzzErr
		var te *TimeoutError
		switch {
		case errors.As(v, &fz):
			return fmt.Sprintf("F:%d", int(fz))
		case errors.As(v, &te):
			return "F:timeout"
		case errors.Is(v, ErrCancelled):
			return "F:cancel"
		}
		return "F:?" + v.ErrorMessage()
	}
	return fmt.Sprintf("?%T", v)
}

func (p timeoutProgram) runOnBraid() []string {
	r := &timeoutRun{clock: NewClock()}
	r.d = NewDeferred(twistedCanceller(r.log, "d", 0, p.Canceller))
	for _, o := range p.Ops {
		r.do(o)
	}
	r.log("final d called=%v result=%s pending=%d", r.d.Called(), toShow(r.d.Result()), len(r.clock.GetDelayedCalls()))
	return r.trace
}

func (r *timeoutRun) do(o timeoutOp) {
	d, n := r.d, time.Duration(o.N)*time.Second
	switch o.Kind {
	case toAddTimeout:
		r.log("addTimeout %d custom=%s", o.N, pyBool(o.Custom))
		var onTimeout func(any, time.Duration) (any, error)
		if o.Custom {
			onTimeout = func(v any, timeout time.Duration) (any, error) {
				r.log("onTimeoutCancel got %s after %d", toShow(v), int(timeout/time.Second))
				return 7, nil
			}
		}
		d.AddTimeout(n, r.clock, onTimeout)
	case toAdvance:
		r.log("advance %d", o.N)
		r.clock.Advance(n)
	case toFire:
		r.log("callback v%d: %s", o.N, opErrName(d.Callback(o.N)))
	case toFail:
		r.log("errback F:%d: %s", o.N, opErrName(d.Errback(fuzzErr(o.N))))
	case toCancel:
		r.log("cancel")
		d.Cancel()
	case toWatch:
		d.AddBoth(func(v any) (any, error) {
			r.log("d passes on %s", toShow(v))
			return v, nil
		})
	case toDeferLater:
		if r.later != nil {
			return
		}
		r.log("deferLater %d raises=%s", o.N, pyBool(o.Custom))
		r.later = DeferLater(r.clock, n, func() (any, error) {
			r.log("deferLater's function runs at %g", r.clock.Seconds())
			if o.Custom {
				return nil, fuzzErr(9)
			}
			return 5, nil
		})
		r.later.AddBoth(func(v any) (any, error) {
			r.log("deferLater fires with %s", toShow(v))
			return nil, nil
		})
	case toCancelLater:
		if r.later != nil {
			r.log("cancel deferLater")
			r.later.Cancel()
		}
	}
}
