package reactor

import (
	"math/rand/v2"
	"testing"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestDeferredWaitingOnAgainstTwisted plays random programs of
// deferred_program_test.go (callbacks returning Deferreds, ChainDeferred,
// pauses, cancels) on braid and on Twisted, and compares at the end what
// each Deferred says it waits on: braid's WaitingOn against Twisted's
// _chainedTo, which its repr prints as "waiting on" (D-20).
func TestDeferredWaitingOnAgainstTwisted(t *testing.T) {
	ownUnhandled(t) // the programs leave failures behind on purpose
	twistedtest.Require(t, twistedModule)
	progs := randomPrograms(2000, 20, func(rng *rand.Rand) *program {
		b := make([]byte, 4+3*(1+rng.IntN(30)))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		p := decodeProgram(b)
		for i, c := range p.cancellers {
			if c == cancPanic {
				p.cancellers[i] = cancErrback // braid's canceller panics are a known deviation
			}
		}
		return p
	})
	vals := make([]any, len(progs))
	for i, p := range progs {
		v := p.jsonValue()
		v["waiting"] = true
		vals[i] = v
	}
	twisted := twistedtest.Traces(t, "testdata/twisted_programs.py", vals, twistedTimeout)
	twistedtest.CompareTraces(t, progs, twisted, func(p *program) []string {
		return runRealThen(p, func(m *realRun) {
			for i, d := range m.ds {
				on := "nil"
				if w := d.WaitingOn(); w != nil {
					on = m.name(w)
				}
				m.log("d%d waits on %s", i, on)
			}
		})
	})
}
