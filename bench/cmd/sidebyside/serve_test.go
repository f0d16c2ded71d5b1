package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestChildMain_Args(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantOK   bool
		wantCode int
		wantErr  string
	}{
		{"not a child", []string{"-group", "tcp"}, false, 0, ""},
		{"no args", nil, false, 0, ""},
		{"no kind", []string{serveFlag}, true, 2, "want one server kind"},
		{"unknown kind", []string{serveFlag, "nginx"}, true, 1, `unknown server kind "nginx"`},
	}
	for _, c := range cases {
		var stderr strings.Builder
		code, ok := childMain(c.args, strings.NewReader(""), io.Discard, &stderr)
		if ok != c.wantOK || code != c.wantCode || !strings.Contains(stderr.String(), c.wantErr) {
			t.Errorf("%s: childMain = %d, %v, stderr %q; want %d, %v, stderr with %q",
				c.name, code, ok, stderr.String(), c.wantCode, c.wantOK, c.wantErr)
		}
	}
}

// TestServe_EchoesUntilStdinCloses runs each server kind in this process:
// it prints a port, echoes on it, and returns once stdin closes.
func TestServe_EchoesUntilStdinCloses(t *testing.T) {
	for _, kind := range []string{serveBraid, serveBraidTuned, serveGoRW} {
		t.Run(kind, func(t *testing.T) {
			stdinR, stdinW := io.Pipe()
			stdoutR, stdoutW := io.Pipe()
			ret := make(chan error, 1)
			go func() { ret <- serve(kind, stdinR, stdoutW); stdoutW.Close() }()
			line, err := bufio.NewReader(stdoutR).ReadString('\n')
			if err != nil {
				t.Fatalf("reading the port: %v", err)
			}
			c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strings.TrimSpace(line)))
			if err != nil {
				t.Fatal(err)
			}
			in := make([]byte, pingShape.size)
			if err := roundTrip(c, []byte(strings.Repeat("p", pingShape.size)), in); err != nil {
				t.Fatal(err)
			}
			if string(in) != strings.Repeat("p", pingShape.size) {
				t.Errorf("echo came back as %.20q…", in)
			}
			c.Close()
			stdinW.Close()
			select {
			case err := <-ret:
				if err != nil {
					t.Errorf("serve returned %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("serve did not return after stdin closed")
			}
		})
	}
}

func TestCPUBetween(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name          string
		before, after map[string]time.Duration
		want          time.Duration
		wantErr       error
	}{
		{"same threads", map[string]time.Duration{"1": 5 * ms, "2": ms}, map[string]time.Duration{"1": 8 * ms, "2": 2 * ms}, 4 * ms, nil},
		{"thread started", map[string]time.Duration{"1": 5 * ms}, map[string]time.Duration{"1": 6 * ms, "3": 2 * ms}, 3 * ms, nil},
		{"thread exited", map[string]time.Duration{"1": 5 * ms, "2": ms}, map[string]time.Duration{"1": 6 * ms}, 0, errThreadExited},
	}
	for _, c := range cases {
		got, err := cpuBetween(c.before, c.after)
		if got != c.want || !errors.Is(err, c.wantErr) {
			t.Errorf("%s: cpuBetween = %v, %v; want %v, %v", c.name, got, err, c.want, c.wantErr)
		}
	}
}

func TestThreadsCPU_NoSuchProcess(t *testing.T) {
	if _, err := threadsCPU(-1); err == nil {
		t.Error("threadsCPU(-1) gave no error")
	}
}
