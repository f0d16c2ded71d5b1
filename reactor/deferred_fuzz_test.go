package reactor

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDeferredChain decodes the input into a program of operations on four
// Deferreds (callbacks that return values, errors, panics, other Deferreds or
// run nested operations; errbacks that recover or re-fail; pause/unpause;
// callback/errback; cancel with several kinds of canceller; ChainDeferred)
// and checks the trace of the real Deferreds against the reference model
// (D-01..D-14).
//
//	go test -run=^$ -fuzz=FuzzDeferredChain -fuzztime=60s ./reactor/
func FuzzDeferredChain(f *testing.F) {
	for _, seed := range deferredChainSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkProgram(t, decodeProgram(data))
	})
}

func checkProgram(t *testing.T, p *program) {
	t.Helper()
	ownUnhandled(t) // programs leave failures behind on purpose
	want := runModel(p)
	var got []string
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("real Deferreds panicked: %v\nprogram:\n%s", v, p)
			}
		}()
		got = runReal(p)
	}()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("trace differs from the model (-model +real):\n%s\nprogram:\n%s", diff, p)
	}
}

// op3 encodes one operation as the three bytes decodeOp reads.
func op3(kind, d, fn, arg int) []byte {
	return []byte{byte(d*numOps + kind), byte(fn), byte(arg)}
}

func prog(cancellers [4]byte, ops ...[]byte) []byte {
	out := append([]byte(nil), cancellers[:]...)
	for _, o := range ops {
		out = append(out, o...)
	}
	return out
}

// deferredChainSeeds are hand-written programs for the interesting corners.
var deferredChainSeeds = [][]byte{
	// Returned unfired Deferred, then fired (D-09).
	prog([4]byte{}, op3(opAddCallback, 0, fnDeferred, 1), op3(opAddCallback, 0, fnValue, 3),
		op3(opCallback, 0, 0, 1), op3(opCallback, 1, 0, 2), op3(opAddCallback, 1, fnValue, 4)),
	// A ChainDeferred target that hands its result to a paused waiter: the
	// source's later steps still run.
	prog([4]byte{}, op3(opAddCallback, 2, fnDeferred, 1), op3(opCallback, 2, 0, 0), op3(opPause, 2, 0, 0),
		op3(opChain, 0, 0, 1), op3(opAddCallback, 0, fnValue, 5), op3(opCallback, 0, 0, 7),
		op3(opUnpause, 2, 0, 0)),
	// Cancel with every kind of canceller, and the suppress-once rule (D-13).
	prog([4]byte{cancNone, cancNoop, cancCallback, cancPanic}, op3(opCancel, 0, 0, 0), op3(opCallback, 0, 0, 1),
		op3(opCallback, 0, 0, 1), op3(opCancel, 1, 0, 0), op3(opCancel, 2, 0, 0), op3(opCancel, 3, 0, 0)),
	// Cancel forwarded to the inner Deferred (D-14).
	prog([4]byte{cancNone, cancErrback}, op3(opAddCallback, 0, fnDeferred, 1), op3(opCallback, 0, 0, 0),
		op3(opCancel, 0, 0, 0), op3(opAddErrback, 0, fnValue, 2)),
	// Re-entrant adds and fires from inside callbacks (D-07), panics, errors.
	{0, 0, 0, 0, byte(opAddCallback), fnNested, 0, byte(opAddCallback), fnValue, 3,
		byte(opAddCallback), fnPanic, 1, byte(opAddErrback), fnError, 2, byte(opCallback), 0, 4},
	// Pause counting, including an unmatched unpause (D-08).
	prog([4]byte{}, op3(opUnpause, 0, 0, 0), op3(opAddCallback, 0, fnValue, 1), op3(opCallback, 0, 0, 2),
		op3(opPause, 0, 0, 0), op3(opPause, 0, 0, 0), op3(opUnpause, 0, 0, 0)),
	// A callback returning its own Deferred (D-11) and a fired-but-paused inner (D-10).
	prog([4]byte{}, op3(opAddCallback, 0, fnDeferred, 0), op3(opCallback, 1, 0, 1), op3(opPause, 1, 0, 0),
		op3(opAddCallback, 2, fnDeferred, 1), op3(opCallback, 2, 0, 3), op3(opUnpause, 1, 0, 0),
		op3(opCallback, 0, 0, 0)),
	// Found against Twisted (TestDeferredChainAgainstTwisted), cut down:
	// a ChainDeferred source keeps its result while the target's chain runs,
	// so a target callback returning the source takes it.
	prog([4]byte{cancErrback, cancNoop, cancErrback, cancNone}, op3(opAddBoth, 2, fnDeferred, 3),
		op3(opChain, 3, 0, 2), op3(opErrback, 3, 0, 3)),
	// A waiter that is still paused when handed its result ends the pass:
	// the rest of the inner's steps wait for the next run (here an add).
	prog([4]byte{cancCallback, cancNoop, cancPanic, cancPanic}, op3(opCallback, 2, 0, 5), op3(opChain, 2, 0, 2),
		op3(opAddBoth, 2, fnDeferred, 0), op3(opChain, 2, 0, 2), op3(opAddCallback, 0, fnPanic, 4),
		op3(opUnpause, 2, 0, 0), op3(opErrback, 0, 0, 5), op3(opAddBoth, 0, fnNil, 4)),
	// A pass-through half hands on a result that is a Deferred (after an
	// unmatched unpause): the chain waits on it again.
	prog([4]byte{cancCallback, cancNoop, cancNone, cancNone}, op3(opAddErrback, 3, fnDeferred, 2),
		op3(opAddErrback, 3, fnError, 6), op3(opUnpause, 3, 0, 0),
		op3(opAddBoth, 2, fnNested, 1), op3(opAddCallback, 2, fnDeferred, 3),
		op3(opPause, 3, 0, 0), op3(opCancel, 2, 0, 0), op3(opUnpause, 2, 0, 0), op3(opErrback, 3, 0, 1),
		op3(opAddCallback, 2, fnNested, 1), op3(opCallback, 0, 0, 2)),
	// Two Deferreds waiting on each other: one ends up handed itself, and a
	// pass-through makes it wait on itself, as in Twisted (no D-11 failure:
	// no callback returned it).
	prog([4]byte{cancErrback, cancCallback, cancNoop, cancErrback}, op3(opPause, 2, 0, 0), op3(opErrback, 1, 0, 6),
		op3(opAddBoth, 2, fnDeferred, 1), op3(opAddErrback, 2, fnValue, 7), op3(opAddBoth, 1, fnDeferred, 2),
		op3(opErrback, 2, 0, 7), op3(opUnpause, 2, 0, 0), op3(opUnpause, 1, 0, 0)),
	// A long line of chained Deferreds and failures passed along them.
	prog([4]byte{}, op3(opChain, 0, 0, 1), op3(opChain, 1, 0, 2), op3(opChain, 2, 0, 3),
		op3(opAddErrback, 3, fnFailure, 0), op3(opErrback, 0, 0, 5), op3(opAddBoth, 3, fnFailure, 6)),
}

// TestDeferredChainSeeds runs the fuzz seeds (and testdata's corpus, through
// the fuzz target) as ordinary tests, with a few edge programs more.
func TestDeferredChainModel_Seeds(t *testing.T) {
	for i, seed := range deferredChainSeeds {
		p := decodeProgram(seed)
		if len(p.ops) == 0 {
			t.Fatalf("seed %d decodes to no operations", i)
		}
		checkProgram(t, p)
	}
}

// The encoder the Twisted check uses to print seeds is decodeProgram's
// inverse.
func TestDeferredChainProgramBytesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, 4+3*(1+rng.IntN(20)))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		p := decodeProgram(b)
		if got, want := decodeProgram(p.bytes()).String(), p.String(); got != want {
			t.Fatalf("round trip of\n%s\ngave\n%s", want, got)
		}
	}
}
