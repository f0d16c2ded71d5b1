//go:build unix

package conchtest_test

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/internal/process"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// Scenario tests for ForwardingProcess with socat as the third-party
// server: the process starts socat (after a delay, or not at all), socat
// forwards to an in-reactor echo server, and the ForwardingProcess sends
// "test\n" through it.

// scenario is one run: the shell script the child runs, in which {socat}
// is socat's path, {port} the port to listen on, {echo} the echo server's.
type scenario struct {
	script    string
	hardening conchtest.Hardening
}

// outcome is what a run produced.
type outcome struct {
	proc   *conchtest.ForwardingProcess
	result any // what the Deferred fired with (a *reactor.Failure on error)
	fires  int // how many times the Deferred fired (must be 1)
	port   int
}

const listenNow = `exec {socat} TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr TCP:127.0.0.1:{echo}`

// startScenario spawns the scenario's child on r with a ForwardingProcess
// and returns the Deferred, with a counter of how often it fires.
// tb is the trial test the run belongs to (t itself, or an inner recorder).
//
// It may run on a goroutine of its own (an inner trial.Run), where a test
// cannot skip: the test calls needProgram(t, "socat") first.
func startScenario(t *testing.T, tb trial.TB, r *braid.Reactor, sc scenario, out *outcome) *reactor.Deferred {
	socat, err := exec.LookPath("socat")
	if err != nil {
		return reactor.Fail(err)
	}
	echo, err := conchtest.ListenEcho(r, "127.0.0.1")
	if err != nil {
		return reactor.Fail(err)
	}
	trial.AddCleanup(tb, echo.StopListening)
	if out.port, err = conchtest.FreePort(); err != nil {
		return reactor.Fail(err)
	}
	out.proc = conchtest.NewForwardingProcess(r, out.port, []byte("test\n"))
	out.proc.Hardening = sc.hardening
	script := strings.NewReplacer("{socat}", socat, "{port}", fmt.Sprint(out.port),
		"{echo}", fmt.Sprint(conchtest.PortNumber(echo))).Replace(sc.script)
	// Hardening.StopGroup signals the child's process group: give it one.
	opts := protocol.SpawnOptions{NewProcessGroup: sc.hardening.StopGroup}
	if _, err := r.SpawnProcess(out.proc, "/bin/sh", []string{"sh", "-c", script}, opts); err != nil {
		return reactor.Fail(err)
	}
	return out.proc.Deferred.AddBoth(func(v any) (any, error) {
		out.fires++
		out.result = v
		return v, nil
	})
}

// runScenario runs one scenario as a clean trial test and returns what
// happened; trial fails the test if anything is left behind.
func runScenario(t *testing.T, sc scenario) *outcome {
	t.Helper()
	leakCheck(t)
	out := &outcome{}
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		return startScenario(t, t, r, sc, out).AddErrback(func(f *reactor.Failure) (any, error) {
			return nil, nil // the test looks at out.result itself
		})
	}, trial.Timeout(20*time.Second))
	checkFiredOnce(t, out)
	return out
}

// checkFiredOnce: the Deferred fired exactly once and was let go.
func checkFiredOnce(t *testing.T, out *outcome) {
	t.Helper()
	if out.fires != 1 {
		t.Errorf("the Deferred fired %d times, want exactly once", out.fires)
	}
	if out.proc != nil && out.proc.Deferred != nil {
		t.Errorf("ForwardingProcess still holds its Deferred after firing")
	}
}

func wantEcho(t *testing.T, out *outcome) {
	t.Helper()
	if b, ok := out.result.([]byte); !ok || string(b) != "test\n" {
		t.Errorf("Deferred fired with %#v, want []byte(\"test\\n\")", out.result)
	}
}

// TestForwardingProcess_ServerStartsLate covers the retry loop: the server
// listens at once, after 50 ms and after 500 ms, faithful and hardened.
func TestForwardingProcess_ServerStartsLate_C05(t *testing.T) {
	needProgram(t, "socat")
	delays := []time.Duration{0, 50 * time.Millisecond, 500 * time.Millisecond}
	modes := []struct {
		name string
		h    conchtest.Hardening
	}{{"Faithful", conchtest.Hardening{}}, {"Hardened", conchtest.Hardened()}}
	for _, mode := range modes {
		for _, delay := range delays {
			t.Run(fmt.Sprintf("%s/%v", mode.name, delay), func(t *testing.T) {
				script := fmt.Sprintf("sleep %.3f; ", delay.Seconds()) + listenNow
				out := runScenario(t, scenario{script: script, hardening: mode.h})
				wantEcho(t, out)
				tl := out.proc.Timeline
				t.Logf("%d attempts, ready after %v, ended: %v", tl.Attempts, tl.Readiness(), tl.Reason)
				if delay > 0 && tl.Attempts < 2 {
					t.Errorf("attempts = %d: the server started %v late, the first attempt must have been refused", tl.Attempts, delay)
				}
				if mode.name == "Faithful" && delay == 500*time.Millisecond && tl.Attempts < 5 {
					t.Errorf("attempts = %d, want >= 5 at one per 0.1 s over 0.5 s", tl.Attempts)
				}
				if tl.Readiness() < delay {
					t.Errorf("ready after %v, before the server could listen (%v)", tl.Readiness(), delay)
				}
			})
		}
	}
}

// runInner runs a trial test against a recording TB in its own goroutine
// (trial's Fatalf ends that goroutine) and returns what trial reported.
func runInner(f func(rt *recordT)) *recordT {
	rt := &recordT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rt)
	}()
	<-done
	return rt
}

// TestForwardingProcess_NeverListens_Faithful_W09: Conch's helper retries
// forever, so the test's own timeout ends it; trial then reports the
// pending reconnect and the live process, and cleans both up.
func TestForwardingProcess_NeverListens_Faithful_W09(t *testing.T) {
	needProgram(t, "socat")
	leakCheck(t)
	out := &outcome{}
	rt := runInner(func(rt *recordT) {
		trial.Run(rt, func(r *braid.Reactor) *reactor.Deferred {
			return startScenario(t, rt, r, scenario{script: "exec sleep 30"}, out)
		}, trial.Timeout(400*time.Millisecond))
	})
	report := rt.text()
	for _, want := range []string{"still running", "DelayedCall", "connect", "sleep"} {
		if !strings.Contains(report, want) {
			t.Errorf("trial's report does not mention %q:\n%s", want, report)
		}
	}
	if tl := out.proc.Timeline; tl.Attempts < 3 {
		t.Errorf("attempts = %d, want the 0.1 s retry loop still going at the timeout", tl.Attempts)
	}
	if out.fires != 1 {
		t.Errorf("the Deferred fired %d times, want once (trial's timeout errback)", out.fires)
	}
}

// TestForwardingProcess_NeverListens_Deadline: hardened, the Deferred
// fails with a DeadlineError naming the port, and the process is stopped.
func TestForwardingProcess_NeverListens_Deadline(t *testing.T) {
	needProgram(t, "socat")
	h := conchtest.Hardened()
	h.Deadline = 300 * time.Millisecond
	out := runScenario(t, scenario{script: "exec sleep 30", hardening: h})
	f, _ := out.result.(*reactor.Failure)
	de, ok := errors.AsType[*conchtest.DeadlineError](f)
	if !ok {
		t.Fatalf("Deferred fired with %v, want a DeadlineError", out.result)
	}
	if de.Port != out.port || !strings.Contains(de.Error(), fmt.Sprint(out.port)) {
		t.Errorf("DeadlineError %q does not name port %d", de, out.port)
	}
}

// TestForwardingProcess_DiesBeforeListening_Faithful_C15: Conch's helper
// fires with nil when the process ends first, and leaves its reconnect
// pending, which trial reports as a dirty reactor.
func TestForwardingProcess_DiesBeforeListening_Faithful_C15(t *testing.T) {
	needProgram(t, "socat")
	leakCheck(t)
	out := &outcome{}
	rt := runInner(func(rt *recordT) {
		trial.Run(rt, func(r *braid.Reactor) *reactor.Deferred {
			return startScenario(t, rt, r, scenario{script: "echo boom >&2; sleep 0.05; exit 3"}, out)
		}, trial.Timeout(5*time.Second))
	})
	checkFiredOnce(t, out)
	if out.result != nil {
		t.Errorf("Deferred fired with %#v, want nil (Conch's None)", out.result)
	}
	if report := rt.text(); !strings.Contains(report, "DelayedCall") || !strings.Contains(report, "connect") {
		t.Errorf("trial did not report the pending reconnect:\n%s", report)
	}
}

// TestForwardingProcess_DiesBeforeListening_FailFast_W10: hardened, the
// Deferred fails with the exit status and the tail of stderr.
func TestForwardingProcess_DiesBeforeListening_FailFast_W10(t *testing.T) {
	needProgram(t, "socat")
	out := runScenario(t, scenario{script: "echo boom >&2; sleep 0.05; exit 3", hardening: conchtest.Hardened()})
	f, _ := out.result.(*reactor.Failure)
	ee, ok := errors.AsType[*conchtest.EndedEarlyError](f)
	if !ok {
		t.Fatalf("Deferred fired with %v, want an EndedEarlyError", out.result)
	}
	term, ok := errors.AsType[*protocol.ProcessTerminated](ee)
	if !ok || term.ExitCode != 3 {
		t.Errorf("reason %v, want ProcessTerminated with exit code 3", ee.Reason)
	}
	if !strings.Contains(string(ee.Stderr), "boom") || !strings.Contains(ee.Error(), "boom") {
		t.Errorf("stderr tail %q / message %q lack the child's 'boom'", ee.Stderr, ee.Error())
	}
}

// TestForwardingProcess_IgnoresSIGINT: a process that ignores SIGINT is
// still ended by SIGKILL — at once in faithful mode, after the grace period
// when hardened with SIGINT as the stop signal.
func TestForwardingProcess_IgnoresSIGINT_C08(t *testing.T) {
	needProgram(t, "socat")
	script := `trap "" INT; ` + strings.TrimPrefix(listenNow, "exec ") + `; while :; do sleep 0.05; done`
	hardened := conchtest.Hardening{Backoff: true, StopSignal: syscall.SIGINT, GracePeriod: 200 * time.Millisecond}
	for _, tc := range []struct {
		name string
		h    conchtest.Hardening
	}{{"Faithful", conchtest.Hardening{}}, {"Hardened", hardened}} {
		t.Run(tc.name, func(t *testing.T) {
			out := runScenario(t, scenario{script: script, hardening: tc.h})
			wantEcho(t, out)
			tl := out.proc.Timeline
			term, ok := errors.AsType[*protocol.ProcessTerminated](tl.Reason)
			if !ok || term.Signal != syscall.SIGKILL {
				t.Errorf("process ended with %v, want SIGKILL", tl.Reason)
			}
			if stop := tl.Ended.Sub(tl.Disconnected); stop < tc.h.GracePeriod {
				t.Errorf("stopped %v after the disconnect, before the %v grace period", stop, tc.h.GracePeriod)
			}
		})
	}
}

// TestForwardingProcess_GroupStop_W03: the server is a grandchild started
// by a wrapper shell and would outlive a stop of the wrapper alone; the
// hardened group stop leaves nothing listening on the port.
func TestForwardingProcess_GroupStop_W03(t *testing.T) {
	needProgram(t, "socat")
	// "; true" keeps sh from exec'ing: socat stays its child, and with
	// fork it keeps listening after the first connection.
	script := strings.Replace(strings.TrimPrefix(listenNow, "exec "), "reuseaddr", "reuseaddr,fork", 1) + "; true"
	out := runScenario(t, scenario{script: script, hardening: conchtest.Hardened()})
	wantEcho(t, out)
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", out.port), 30*time.Second); err == nil { // refused at once; the limit only guards a hang
		c.Close()
		t.Fatalf("something still listens on port %d after the group stop", out.port)
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after stop: %v, want connection refused", err)
	}
}

// TestForwardingProcess_CancelStops: cancelling the Deferred that
// NewForwardingProcess made
// stops the retries and kills the process; nothing is left behind.
func TestForwardingProcess_CancelStops(t *testing.T) {
	needProgram(t, "socat")
	leakCheck(t)
	out := &outcome{}
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := startScenario(t, t, r, scenario{script: "exec sleep 30"}, out)
		r.CallLater(150*time.Millisecond, d.Cancel)
		trial.AddCleanup(t, func() *reactor.Deferred { return processesGone(r) })
		return trial.AssertFailure(d, reactor.ErrCancelled)
	}, trial.Timeout(10*time.Second))
	checkFiredOnce(t, out)
}

// processesGone fires once no process spawned on r is left: the KILL a
// cancellation sends has been delivered and the child reaped.
func processesGone(r *braid.Reactor) *reactor.Deferred {
	d := reactor.NewDeferred(nil)
	var poll func()
	poll = func() {
		if len(process.Live(r)) == 0 {
			_ = d.Callback(nil)
			return
		}
		r.CallLater(5*time.Millisecond, poll)
	}
	poll()
	return d
}
