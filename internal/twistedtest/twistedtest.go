// Package twistedtest runs Twisted itself beside braid in tests. braid's
// `…AgainstTwisted` tests play the same programs or scenarios on braid and,
// through a script of their package's testdata, on Debian's python3-twisted,
// and compare what each side did.
//
// It is internal: a test helper, not part of braid's API.
package twistedtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Python is the interpreter the scripts run under: Debian's, which
// python3-twisted installs into.
const Python = "/usr/bin/python3"

// Require returns Python if it can import module. Otherwise it fails the
// test in CI (scripts/test.sh installs python3-twisted there) and skips it
// elsewhere, saying why.
func Require(t testing.TB, module string) string {
	t.Helper()
	err := exec.Command(Python, "-c", "import "+module).Run()
	switch {
	case err == nil:
		return Python
	case os.Getenv("CI") != "":
		t.Fatalf("%s cannot import %s (%v); scripts/test.sh installs python3-twisted", Python, module, err)
	default:
		t.Skipf("skipping: %s cannot import %s (%v); apt-get install python3-twisted", Python, module, err)
	}
	return ""
}

// Run runs script (a path relative to the test's directory) with input as
// JSON on stdin, and decodes the JSON it prints into out. A script that
// fails, prints something else, or runs longer than timeout fails the test
// with its stderr, so a scenario that hangs does not stall the suite.
func Run(t testing.TB, script string, input, out any, timeout time.Duration) {
	t.Helper()
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	stdout := run(t, script, in, timeout)
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("%s printed %q: %v", script, stdout, err)
	}
}

// Traces feeds each of progs to script as one JSON line and returns the
// trace the script prints for each, one JSON list of strings per line.
func Traces[P any](t testing.TB, script string, progs []P, timeout time.Duration) [][]string {
	t.Helper()
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, p := range progs {
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
	}
	var traces [][]string
	sc := bufio.NewScanner(bytes.NewReader(run(t, script, in.Bytes(), timeout)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var tr []string
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		traces = append(traces, tr)
	}
	if len(traces) != len(progs) {
		t.Fatalf("%s: %d traces for %d programs", script, len(traces), len(progs))
	}
	return traces
}

func run(t testing.TB, script string, stdin []byte, timeout time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// -B: write no __pycache__ into the source tree.
	cmd := exec.CommandContext(ctx, Python, "-B", script)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	return out
}

// CompareTraces checks braid's trace of each program against Twisted's and
// reports the first few programs that differ.
func CompareTraces[P fmt.Stringer](t testing.TB, progs []P, twisted [][]string, braid func(P) []string) {
	t.Helper()
	failed := 0
	for i, want := range twisted {
		if diff := cmp.Diff(want, braid(progs[i])); diff != "" {
			if failed++; failed <= 3 {
				t.Errorf("program %d: trace differs from Twisted's (-twisted +braid):\n%s\nprogram: %s", i, diff, progs[i])
			}
		}
	}
	if failed > 3 {
		t.Errorf("... %d programs differ in all", failed)
	}
}

// CompareScenarios checks braid's trace of each scenario against Twisted's;
// both maps are keyed by the scenario's name.
func CompareScenarios[S any](t testing.TB, scenarios []S, name func(S) string, twisted, braid map[string][]string) {
	t.Helper()
	for _, s := range scenarios {
		n := name(s)
		if diff := cmp.Diff(twisted[n], braid[n]); diff != "" {
			t.Errorf("%s: (-twisted +braid)\n%s", n, diff)
		}
	}
}
