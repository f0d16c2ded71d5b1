//go:build unix

package conchtest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Outside CI, a machine without socat skips the tests that need it —
// cleanly, from the test goroutine — instead of panicking. (Before, the
// skip ran on an inner trial.Run's goroutine and the test went on to
// dereference a process that was never spawned.)
func TestMissingProgram_SkipsCleanly(t *testing.T) {
	if os.Getenv("BRAID_CONCHTEST_NO_SOCAT") != "" {
		t.Skip("this is the child run")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestForwardingProcess_(NeverListens|ProcessDiesEarly|ServerStartsLate)", "-test.v")
	// No PATH to find socat in, and not CI, where a missing program fails.
	cmd.Env = []string{"PATH=/nonexistent", "BRAID_CONCHTEST_NO_SOCAT=1"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tests failed without socat: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "panic") || !strings.Contains(string(out), "SKIP") || !strings.Contains(string(out), "socat not installed") {
		t.Errorf("want every socat test skipped, saying why:\n%s", out)
	}
}
