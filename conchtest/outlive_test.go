//go:build unix

package conchtest_test

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// stubbornServer prints its pid, listens on 127.0.0.1:{port}, echoes one
// connection and then lingers, ignoring SIGTERM and keeping the stdout and
// stderr it inherited: a server that outlives the wrapper that started it.
const stubbornServer = `{python} -c '
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(os.getpid(), flush=True)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
c.sendall(c.recv(100))
c.close()
time.sleep(60)' {port}`

// W-13: the hardened stop ends what the spawned wrapper started, even when
// the server outlives the wrapper. Before, once the wrapper was reaped the
// grace-period SIGKILL to the group was dropped and the pipes stayed open,
// so a server holding stdout kept the Deferred from firing for ever.
func TestForwardingProcess_HardenedStopWhenTheServerOutlivesItsWrapper_W13(t *testing.T) {
	cases := []struct {
		name    string
		wrapper string
		inGroup bool // the group SIGKILL reaches the server
	}{
		{"server in the group ignores SIGTERM", stubbornServer + ` & wait`, true},
		{"daemon outside the group keeps stdout", `setsid ` + stubbornServer + ` & wait`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := conchtest.Hardened()
			h.GracePeriod = 100 * time.Millisecond
			var proc *conchtest.ForwardingProcess
			result, took := runWrapped(t, tc.wrapper, h, &proc)
			serverPid := firstLinePid(t, proc.Stdout.Bytes())
			if tc.inGroup {
				waitGone(t, serverPid)
			} else {
				_ = syscall.Kill(serverPid, syscall.SIGKILL) // out of the group: ours to clean up
				waitGone(t, serverPid)
			}
			if b, ok := result.([]byte); !ok || string(b) != "test\n" {
				t.Errorf("Deferred fired with %#v, want []byte(\"test\\n\")", result)
			}
			if took > 8*time.Second {
				t.Errorf("the Deferred fired %v after the start: the stop is not bounded by the grace period", took)
			}
			if proc.Timeline.Reason == nil {
				t.Error("no exit reason recorded")
			}
		})
	}
}

// runWrapped runs `sh -c wrapper` (its {python} and {port} filled in) in a
// process group of its own, driven by a hardened ForwardingProcess, until
// the Deferred fires; it returns what it fired with and when.
func runWrapped(t *testing.T, wrapper string, h conchtest.Hardening, proc **conchtest.ForwardingProcess) (any, time.Duration) {
	t.Helper()
	return runWrappedOn(t, 0, wrapper, h, proc)
}

// runWrappedOn is runWrapped for a given port (0: a free one).
func runWrappedOn(t *testing.T, port int, wrapper string, h conchtest.Hardening, proc **conchtest.ForwardingProcess) (any, time.Duration) {
	t.Helper()
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		python = needProgram(t, "python3")
	}
	var result any
	start := time.Now()
	var took time.Duration
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		if port == 0 {
			var err error
			if port, err = conchtest.FreePort(); err != nil {
				return reactor.Fail(err)
			}
		}
		p := conchtest.NewForwardingProcess(r, port, []byte("test\n"))
		p.Hardening = h
		*proc = p
		script := strings.NewReplacer("{python}", python, "{port}", fmt.Sprint(port)).Replace(wrapper)
		opts := protocol.SpawnOptions{NewProcessGroup: true}
		if _, err := r.SpawnProcess(p, "/bin/sh", []string{"sh", "-c", script}, opts); err != nil {
			return reactor.Fail(err)
		}
		return p.Deferred.AddBoth(func(v any) (any, error) {
			result, took = v, time.Since(start)
			return nil, nil
		})
	}, trial.Timeout(20*time.Second))
	return result, took
}

// firstLinePid reads the pid the server printed first.
func firstLinePid(t *testing.T, stdout []byte) int {
	t.Helper()
	line, _, _ := bytes.Cut(stdout, []byte("\n"))
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line)))
	if err != nil || pid <= 1 {
		t.Fatalf("the server's pid was not printed (stdout %q)", stdout)
	}
	return pid
}

// waitGone waits until pid no longer exists (not even as a zombie).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			return
		}
	}
	t.Errorf("server %d still present 10 s after the stop", pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}
