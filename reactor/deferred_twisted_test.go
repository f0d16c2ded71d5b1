package reactor

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestDeferredChainAgainstTwisted runs random programs of
// deferred_program_test.go on braid's Deferreds and on Twisted's (through
// testdata/twisted_programs.py) and compares the traces line by line. The
// fuzz target checks braid against a model written for the tests; this
// checks both against the real thing (D-01..D-14).
func TestDeferredChainAgainstTwisted(t *testing.T) {
	ownUnhandled(t) // the programs leave failures behind on purpose
	twistedtest.Require(t, twistedModule)
	progs := make([]*program, 0, 4000)
	for _, seed := range deferredChainSeeds {
		progs = append(progs, decodeProgram(seed))
	}
	for _, data := range fuzzCorpus(t, "testdata/fuzz/FuzzDeferredChain") {
		progs = append(progs, decodeProgram(data))
	}
	rng := rand.New(rand.NewPCG(2, 25))
	for len(progs) < cap(progs) {
		b := make([]byte, 4+3*(1+rng.IntN(40)))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		p := decodeProgram(b)
		for i, c := range p.cancellers {
			if c == cancPanic && rng.IntN(2) == 0 {
				p.cancellers[i] = cancErrback // keep most programs free of the emulated deviation
			}
		}
		progs = append(progs, p)
	}

	traces := twistedTraces(t, progs)
	failed := 0
	for i, want := range traces {
		if diff := cmp.Diff(want, braidTrace(progs[i])); diff != "" {
			if failed++; failed <= 3 {
				p := minimizeAgainstTwisted(t, progs[i])
				want := twistedTraces(t, []*program{p})[0]
				model := "differs from Twisted's too"
				if cmp.Equal(want, runModel(p)) {
					model = "agrees with Twisted"
				}
				t.Errorf("program %d, cut down to what still differs: trace differs from Twisted's (-twisted +braid); the test model %s:\n%s\nprogram (as a fuzz seed: %q):\n%s",
					i, model, cmp.Diff(want, braidTrace(p)), p.bytes(), p)
			}
		}
	}
	if failed > 3 {
		t.Errorf("... %d programs differ in all", failed)
	}
}

func braidTrace(p *program) []string {
	return runReal(p)
}

// twistedTraces runs progs on Twisted, in one Python process.
func twistedTraces(t *testing.T, progs []*program) [][]string {
	t.Helper()
	vals := make([]any, len(progs))
	for i, p := range progs {
		vals[i] = p.jsonValue()
	}
	return twistedtest.Traces(t, "testdata/twisted_programs.py", vals, twistedTimeout)
}

// minimizeAgainstTwisted drops top-level operations from p, one at a time,
// for as long as braid's trace still differs from Twisted's, so that a
// failure is reported with a program short enough to follow by hand.
func minimizeAgainstTwisted(t *testing.T, p *program) *program {
	for {
		var cands []*program
		for i := range p.ops {
			c := &program{cancellers: p.cancellers, ops: append(append([]*progOp(nil), p.ops[:i]...), p.ops[i+1:]...)}
			cands = append(cands, c)
		}
		if len(cands) == 0 {
			return p
		}
		traces := twistedTraces(t, cands)
		smaller := false
		for i, c := range cands {
			if !cmp.Equal(traces[i], braidTrace(c)) {
				p, smaller = c, true
				break
			}
		}
		if !smaller {
			return p
		}
	}
}

// fuzzCorpus reads the []byte inputs of a fuzz target's corpus directory.
func fuzzCorpus(t *testing.T, dir string) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		lit, ok := strings.CutPrefix(lines[len(lines)-1], "[]byte(")
		if !ok || len(lines) != 2 {
			t.Fatalf("%s: not a one-value []byte corpus file", f)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, []byte(s))
	}
	return out
}

func (p *program) jsonValue() map[string]any {
	ops := make([]any, len(p.ops))
	for i, o := range p.ops {
		ops[i] = o.jsonValue()
	}
	return map[string]any{"cancellers": p.cancellers[:], "ops": ops}
}

func (o *progOp) jsonValue() map[string]any {
	m := map[string]any{"kind": o.kind, "d": o.d, "j": o.j, "fn": o.fn, "arg": o.arg, "id": o.id}
	if o.nested != nil {
		m["nested"] = o.nested.jsonValue()
	}
	return m
}
