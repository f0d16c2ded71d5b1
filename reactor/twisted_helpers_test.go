package reactor

import (
	"encoding/json"
	"math/rand/v2"
	"time"
)

// What the tests that compare braid with Twisted itself (*_twisted_test.go,
// through internal/twistedtest) share in this package.

// twistedModule is what a Python must import to play these programs.
const twistedModule = "twisted.internet.defer"

// twistedTimeout bounds one run of a testdata script.
const twistedTimeout = 2 * time.Minute

// Canceller kinds of the programs, as in testdata/twisted_common.py.
const (
	cancelNone     = iota // no canceller
	cancelNoop            // a canceller that does nothing
	cancelCallback        // fires the Deferred with 100+i
	cancelErrback         // errbacks it with fuzzErr(60+i)
)

// twistedCanceller is testdata/twisted_common.py's canceller: one of the
// given kind for the Deferred called name (index i), logging "canceller
// <name>" when called; nil for cancelNone.
func twistedCanceller(log func(string, ...any), name string, i, kind int) func(*Deferred) {
	if kind == cancelNone {
		return nil
	}
	return func(d *Deferred) {
		log("canceller %s", name)
		switch kind {
		case cancelCallback:
			_ = d.Callback(100 + i)
		case cancelErrback:
			_ = d.Errback(fuzzErr(60 + i))
		}
	}
}

// randomPrograms makes n programs with gen from a generator seeded with
// seed, so that a failing program can be found again.
func randomPrograms[P any](n int, seed uint64, gen func(*rand.Rand) P) []P {
	rng := rand.New(rand.NewPCG(seed, seed))
	progs := make([]P, n)
	for i := range progs {
		progs[i] = gen(rng)
	}
	return progs
}

// jsonMarshal is json.Marshal, for String methods of test programs.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
