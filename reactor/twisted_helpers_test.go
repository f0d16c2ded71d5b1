package reactor

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

// Helpers for the tests that compare braid with Twisted itself
// (deferred_twisted_test.go, clock_twisted_test.go).

// requireTwisted returns a Python that can import Twisted, or skips the
// test when there is none and CI is unset (scripts/test.sh installs
// python3-twisted).
func requireTwisted(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	err := exec.Command(python, "-c", "import twisted.internet.defer").Run()
	if err == nil {
		return python
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s cannot import Twisted (%v); scripts/test.sh installs python3-twisted", python, err)
	}
	t.Skipf("skipping: %s cannot import Twisted (%v); apt-get install python3-twisted", python, err)
	return ""
}

// runPythonPrograms feeds progs, one JSON value per line, to a script of
// testdata run by python, and returns the trace it prints for each.
func runPythonPrograms[P any](t *testing.T, python, script string, progs []P) [][]string {
	t.Helper()
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, p := range progs {
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	var traces [][]string
	sc := bufio.NewScanner(bytes.NewReader(out))
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

// jsonMarshal is json.Marshal, for String methods of test programs.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// compareTraces checks braid's trace of each program against Twisted's
// and reports the first few programs that differ.
func compareTraces[P fmt.Stringer](t *testing.T, progs []P, twisted [][]string, braid func(P) []string) {
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
