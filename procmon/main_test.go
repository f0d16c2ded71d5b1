package procmon_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serverEnv, set in a child's environment to "port" or "port:delay", makes
// the test binary a tiny TCP server instead of running the tests: after
// delay (a time.Duration) it listens on 127.0.0.1:port, closes every
// connection it accepts, and runs until a signal ends it. The examples and
// tests re-execute themselves this way, so the readiness check has a server
// to wait for on any machine.
const serverEnv = "PROCMON_TEST_SERVER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(serverEnv); spec != "" {
		os.Exit(runServer(spec))
	}
	os.Exit(m.Run())
}

func runServer(spec string) int {
	portText, delayText, _ := strings.Cut(spec, ":")
	port, err := strconv.Atoi(portText)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v\n", serverEnv, spec, err)
		return 2
	}
	if delayText != "" {
		delay, err := time.ParseDuration(delayText)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s=%q: %v\n", serverEnv, spec, err)
			return 2
		}
		time.Sleep(delay)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", portText))
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 1
	}
	fmt.Printf("listening on %d\n", port)
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			return 1
		}
		c.Close()
	}
}

// selfServer returns the argv and environment that run this test binary as
// the server of serverEnv.
func selfServer(t testing.TB, port int, delay time.Duration) (args, env []string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("cannot re-execute the test binary: %v", err)
	}
	return []string{self}, []string{fmt.Sprintf("%s=%d:%v", serverEnv, port, delay)}
}

// needProgram returns the path of a program the test drives. When it is
// missing the test is skipped, except in CI (CI=true), where it must run.
func needProgram(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required in CI but not installed", name)
	}
	t.Skipf("%s not installed; skipping outside CI", name)
	return ""
}
