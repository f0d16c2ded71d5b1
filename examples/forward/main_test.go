package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// demoEnv makes the test binary run the demo's main instead of the tests,
// for the test that runs it as a user would, in a bare environment.
const demoEnv = "BRAID_FORWARD_DEMO"

func TestMain(m *testing.M) {
	// The test binary is re-executed as the embedded forwarder, and as the
	// demo itself; see childEnv and demoEnv.
	if os.Getenv(childEnv) != "" || os.Getenv(demoEnv) != "" {
		os.Args = os.Args[:1]
		main()
		return
	}
	os.Exit(m.Run())
}

// TestDemo runs the demo as the README's first command does, each way, so a
// broken demo fails the test suite.
func TestDemo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     mode
		hardened bool
		needs    string
	}{
		{"embedded", modeEmbedded, false, ""},
		{"embedded-hardened", modeEmbedded, true, ""},
		{"socat", modeSocat, false, "socat"},
		{"socat-hardened", modeSocat, true, "socat"},
		{"ssh", modeSSH, false, "ssh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needs != "" {
				if _, err := exec.LookPath(tc.needs); err != nil && os.Getenv("CI") == "" {
					t.Skipf("%s not installed; skipping outside CI", tc.needs)
				}
			}
			if err := run(tc.mode, tc.hardened, []byte("demo\n")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The README's first command on a fresh machine: nothing installed but the
// program, no PATH to find socat or ssh in. The default mode needs neither.
func TestDemo_RunsWithNothingInstalled(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{demoEnv + "=1", "PATH=/nonexistent"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the demo failed in a bare environment: %v\n%s", err, out)
	}
	for _, want := range []string{"forwarder:      embedded", `came back:      "hello through braid\n"`, "a normal stop"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the demo's report lacks %q:\n%s", want, out)
		}
	}
}
