package twistedtest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Run and Traces round-trip JSON through a script under Python; Require
// with a module every Python has returns the interpreter.
func TestRunAndTraces(t *testing.T) {
	if got := Require(t, "json"); got != Python {
		t.Fatalf("Require = %q, want %q", got, Python)
	}
	dir := t.TempDir()
	echo := filepath.Join(dir, "echo.py")
	lines := filepath.Join(dir, "lines.py")
	write := func(p, src string) {
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(echo, "import json, sys\njson.dump({'got': json.load(sys.stdin)}, sys.stdout)\n")
	write(lines, "import json, sys\nfor line in sys.stdin:\n    print(json.dumps(['saw %d' % json.loads(line)]))\n")

	var out map[string][]int
	Run(t, echo, []int{1, 2}, &out, 30*time.Second)
	if diff := cmp.Diff(map[string][]int{"got": {1, 2}}, out); diff != "" {
		t.Errorf("Run (-want +got):\n%s", diff)
	}
	traces := Traces(t, lines, []int{3, 4}, 30*time.Second)
	if diff := cmp.Diff([][]string{{"saw 3"}, {"saw 4"}}, traces); diff != "" {
		t.Errorf("Traces (-want +got):\n%s", diff)
	}
}
