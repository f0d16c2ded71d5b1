package main

import (
	"os"
	"os/exec"
	"testing"
)

// TestDemo runs the demo as the README's first command does, each way, so a
// broken demo fails the test suite.
func TestDemo(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ssh, hardened bool
		needs         string
	}{
		{"socat", false, false, "socat"},
		{"socat-hardened", false, true, "socat"},
		{"ssh", true, false, "ssh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath(tc.needs); err != nil && os.Getenv("CI") == "" {
				t.Skipf("%s not installed; skipping outside CI", tc.needs)
			}
			if err := run(tc.ssh, tc.hardened, []byte("demo\n")); err != nil {
				t.Fatal(err)
			}
		})
	}
}
