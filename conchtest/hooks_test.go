//go:build unix

package conchtest_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/internal/listener"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// Tests for ForwardingProcess's overridable steps, which Twisted tests
// override on a subclass of ConchTestForwardingProcess: Connect (_connect),
// ConnectFailed (_ebConnect), ForwardingPortDisconnected and ReallyDie
// (_reallyDie). Each test spawns a real child with a type that embeds
// *conchtest.ForwardingProcess, overrides one step, records each call, and
// either carries on with the embedded step (the calls must come in
// Conch's order) or replaces it (the default must then not run).

// hookServer is the child: after {delay} seconds it listens on
// 127.0.0.1:{port}, echoes what it reads on one connection, closes it,
// and waits a minute, so only a signal ends it: SIGKILL (Conch's
// _reallyDie), or SIGTERM, on which it exits with status 7. The "\x03"
// and the closed stdin of Conch's first stop step do nothing to it. One
// process (sh execs it), so a kill leaves nothing behind.
const hookServer = `sleep {delay}; exec {python} -c '
import signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
c.sendall(c.recv(100))
c.close()
time.sleep(60)' {port}`

// lateServer listens about 200 ms after the spawn: the first attempts,
// the one inside SpawnProcess included, are refused.
const lateServer = "0.2"

// hookRun is one run of a hooked ForwardingProcess.
type hookRun struct {
	r          *braid.Reactor
	proc       *conchtest.ForwardingProcess
	calls      []string // the recorded hook calls, in order
	afterSpawn []string // the calls made before SpawnProcess returned
	result     any      // what the Deferred fired with
	fires      int
	notes      []string // what a failure message should add (not compared)
}

func (h *hookRun) record(format string, args ...any) {
	h.calls = append(h.calls, fmt.Sprintf(format, args...))
}

// sigterm is a replacing hook's stop: SIGTERM to the process, an error
// recorded as a call. Seen once on a loaded machine: the process outlived
// the SIGTERM; so it first notes what the pid runs and who serves the
// port, for the failure message.
func (h *hookRun) sigterm(p *conchtest.ForwardingProcess) {
	pid := p.Transport.Pid()
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	owner, ours, found, err := listener.Owner(p.Port, 0, pid)
	h.notes = append(h.notes, fmt.Sprintf("at SIGTERM: pid %d runs %q; port %d served by pid %d (ours=%v found=%v err=%v)",
		pid, strings.TrimSpace(string(comm)), p.Port, owner, ours, found, err))
	if err := p.Transport.SignalProcess(syscall.SIGTERM); err != nil {
		h.record("SIGTERM: %v", err)
	}
}

// runHooked spawns `sh -c script` (hookServer's placeholders filled in,
// {delay} with delay) driven by the ProcessProtocol wrap returns, which
// embeds h.proc, and runs the reactor until h.proc's Deferred fires. trial
// fails the test if anything is left in the reactor; leakCheck if a
// descriptor, goroutine or child is left in the process.
func runHooked(t *testing.T, script, delay string, wrap func(h *hookRun) protocol.ProcessProtocol) *hookRun {
	t.Helper()
	// The system's python3, as forwarding_twisted_test.go uses; a version
	// manager's shim first in PATH would only add start-up time.
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		python = needProgram(t, "python3")
	}
	leakCheck(t)
	h := &hookRun{}
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		h.r = r
		port, err := conchtest.FreePort()
		if err != nil {
			return reactor.Fail(err)
		}
		h.proc = conchtest.NewForwardingProcess(r, port, []byte("test\n"))
		script := strings.NewReplacer("{python}", python, "{delay}", delay, "{port}", fmt.Sprint(port)).Replace(script)
		opts := protocol.SpawnOptions{Env: []string{"PATH=" + os.Getenv("PATH")}}
		if _, err := r.SpawnProcess(wrap(h), "/bin/sh", []string{"sh", "-c", script}, opts); err != nil {
			return reactor.Fail(err)
		}
		h.afterSpawn = slices.Clone(h.calls)
		return h.proc.Deferred.AddBoth(func(v any) (any, error) {
			h.fires++
			h.result = v
			return nil, nil // the test looks at h.result itself
		})
	}, trial.Timeout(20*time.Second))
	if h.fires != 1 {
		t.Errorf("the Deferred fired %d times, want exactly once", h.fires)
	}
	return h
}

// repeat is calls, n times over.
func repeat(n int, calls ...string) []string {
	var out []string
	for range n {
		out = append(out, calls...)
	}
	return out
}

// failureText names a connect failure: "refused" for a refused connect.
func failureText(f *reactor.Failure) string {
	if _, ok := errors.AsType[*protocol.ConnectionRefusedError](f); ok {
		return "refused"
	}
	return f.ErrorMessage()
}

// endText names a process's exit reason.
func endText(f *reactor.Failure) string {
	if f == nil {
		return "not ended"
	}
	if _, ok := errors.AsType[*protocol.ProcessDone](f); ok {
		return "exit 0"
	}
	if pt, ok := errors.AsType[*protocol.ProcessTerminated](f); ok {
		if pt.Signal != 0 {
			return fmt.Sprintf("signal %d", int(pt.Signal))
		}
		return fmt.Sprintf("exit %d", pt.ExitCode)
	}
	return "?" + f.ErrorMessage()
}

func wantResult(t *testing.T, h *hookRun, want any) {
	t.Helper()
	if diff := cmp.Diff(want, h.result); diff != "" {
		t.Errorf("the Deferred fired with %#v (-want +got):\n%s", h.result, diff)
	}
}

func wantEnd(t *testing.T, h *hookRun, want string) {
	t.Helper()
	if got := endText(h.proc.Timeline.Reason); got != want {
		t.Errorf("the process ended with %v (%s), want %s; %q", h.proc.Timeline.Reason, got, want, h.notes)
	}
}

// allHooks overrides every step and ProcessEnded; each records its call
// and carries on with the embedded method.
type allHooks struct {
	*conchtest.ForwardingProcess
	run *hookRun
}

func (a allHooks) Connect() *reactor.Deferred {
	a.run.record("Connect")
	return a.ForwardingProcess.Connect()
}

func (a allHooks) ConnectFailed(reason *reactor.Failure) {
	a.run.record("ConnectFailed(%s)", failureText(reason))
	a.ForwardingProcess.ConnectFailed(reason)
}

func (a allHooks) ForwardingPortDisconnected(buffer []byte) {
	a.run.record("ForwardingPortDisconnected(%q)", buffer)
	a.ForwardingProcess.ForwardingPortDisconnected(buffer)
}

func (a allHooks) ReallyDie() {
	a.run.record("ReallyDie")
	a.ForwardingProcess.ReallyDie()
}

func (a allHooks) ProcessEnded(reason *reactor.Failure) {
	a.run.record("ProcessEnded(%s)", endText(reason))
	a.ForwardingProcess.ProcessEnded(reason)
}

// TestForwardingProcessHooks_Order_C04_C08: with every step overridden
// and carried on, a server that listens late sees Conch's sequence: the
// first Connect inside SpawnProcess, a refused attempt and a Connect again
// every 0.1 s until one succeeds, then ForwardingPortDisconnected with the
// echo, ReallyDie, and the end of the process (by ReallyDie's SIGKILL).
func TestForwardingProcessHooks_Order_C04_C08(t *testing.T) {
	h := runHooked(t, hookServer, lateServer, func(h *hookRun) protocol.ProcessProtocol {
		return allHooks{ForwardingProcess: h.proc, run: h}
	})
	n := h.proc.Timeline.Attempts
	if n < 2 {
		t.Errorf("attempts = %d, want >= 2: the server listens late", n)
	}
	want := append(repeat(n-1, "Connect", "ConnectFailed(refused)"),
		"Connect", `ForwardingPortDisconnected("test\n")`, "ReallyDie", "ProcessEnded(signal 9)")
	if diff := cmp.Diff(want, h.calls); diff != "" {
		t.Errorf("hook calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Connect"}, h.afterSpawn); diff != "" {
		t.Errorf("calls inside SpawnProcess (-want +got):\n%s", diff)
	}
	wantResult(t, h, []byte("test\n"))
}

// connectHook overrides Connect alone: it records the call, carries on,
// and records how the attempt it started ended (the Deferred Connect
// returns fires with the protocol on success and, its failure handled by
// ConnectFailed, with nil otherwise).
type connectHook struct {
	*conchtest.ForwardingProcess
	run *hookRun
}

func (c connectHook) Connect() *reactor.Deferred {
	c.run.record("Connect")
	d := c.ForwardingProcess.Connect()
	d.AddCallback(func(v any) (any, error) {
		if v == nil {
			c.run.record("Connect: failed")
		} else {
			c.run.record("Connect: connected")
		}
		return v, nil
	})
	return d
}

// TestForwardingProcessHook_Connect_C04: every attempt, the first (inside
// SpawnProcess, C-03) and each retry ConnectFailed schedules, goes through
// the override: it is called as many times as there were attempts, each
// refused one before the next, and the last one connects.
func TestForwardingProcessHook_Connect_C04(t *testing.T) {
	h := runHooked(t, hookServer, lateServer, func(h *hookRun) protocol.ProcessProtocol {
		return connectHook{ForwardingProcess: h.proc, run: h}
	})
	n := h.proc.Timeline.Attempts
	if n < 2 {
		t.Errorf("attempts = %d, want >= 2: the server listens late", n)
	}
	want := append(repeat(n-1, "Connect", "Connect: failed"), "Connect", "Connect: connected")
	if diff := cmp.Diff(want, h.calls); diff != "" {
		t.Errorf("Connect calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Connect"}, h.afterSpawn); diff != "" {
		t.Errorf("calls inside SpawnProcess (-want +got):\n%s", diff)
	}
	wantResult(t, h, []byte("test\n"))
	wantEnd(t, h, "signal 9")
}

// connectFailedHook overrides ConnectFailed: it records the call and
// carries on unless replace is set. When replacing it also notes how many
// calls the reactor had pending, to compare at the end.
type connectFailedHook struct {
	*conchtest.ForwardingProcess
	run     *hookRun
	replace bool
	pending *int
}

func (c connectFailedHook) ConnectFailed(reason *reactor.Failure) {
	c.run.record("ConnectFailed(%s)", failureText(reason))
	if c.replace {
		*c.pending = len(c.run.r.GetDelayedCalls())
		return
	}
	c.ForwardingProcess.ConnectFailed(reason)
}

// TestForwardingProcessHook_ConnectFailed_C05: carried on, the override
// sees every refused attempt but the last, and the retries go on until the
// late server answers. Replaced by one that does not carry on, the retries
// stop: a process that dies after 0.3 s (Conch would have retried about
// three times) gets one attempt only, the Deferred fires with nil (C-15),
// and unlike Conch's helper (TestForwardingProcess_DiesBeforeListening_
// Faithful_C15) no reconnect is left pending — trial's dirty-reactor check
// would report it.
func TestForwardingProcessHook_ConnectFailed_C05(t *testing.T) {
	t.Run("CarryOn", func(t *testing.T) {
		h := runHooked(t, hookServer, lateServer, func(h *hookRun) protocol.ProcessProtocol {
			return connectFailedHook{ForwardingProcess: h.proc, run: h}
		})
		n := h.proc.Timeline.Attempts
		if n < 2 {
			t.Errorf("attempts = %d, want >= 2: the server listens late", n)
		}
		if diff := cmp.Diff(repeat(n-1, "ConnectFailed(refused)"), h.calls); diff != "" {
			t.Errorf("ConnectFailed calls (-want +got):\n%s", diff)
		}
		wantResult(t, h, []byte("test\n"))
		wantEnd(t, h, "signal 9")
	})
	t.Run("Replace", func(t *testing.T) {
		var pendingThen, pendingAtEnd int
		h := runHooked(t, "sleep {delay}; exit 3", "0.3", func(h *hookRun) protocol.ProcessProtocol {
			h.proc.Deferred.AddBoth(func(v any) (any, error) {
				pendingAtEnd = len(h.r.GetDelayedCalls())
				return v, nil
			})
			return connectFailedHook{ForwardingProcess: h.proc, run: h, replace: true, pending: &pendingThen}
		})
		if diff := cmp.Diff([]string{"ConnectFailed(refused)"}, h.calls); diff != "" {
			t.Errorf("ConnectFailed calls (-want +got):\n%s", diff)
		}
		if n := h.proc.Timeline.Attempts; n != 1 {
			t.Errorf("attempts = %d, want 1: the override does not retry", n)
		}
		if pendingAtEnd != pendingThen {
			t.Errorf("%d delayed calls pending when the process ended, %d when ConnectFailed returned: a retry was scheduled anyway",
				pendingAtEnd, pendingThen)
		}
		wantResult(t, h, nil)
		wantEnd(t, h, "exit 3")
	})
}

// disconnectedHook overrides ForwardingPortDisconnected: it records the
// call and carries on, or, with replace, stops the process with SIGTERM
// itself instead.
type disconnectedHook struct {
	*conchtest.ForwardingProcess
	run     *hookRun
	replace bool
}

func (d disconnectedHook) ForwardingPortDisconnected(buffer []byte) {
	d.run.record("ForwardingPortDisconnected(%q)", buffer)
	if d.replace {
		d.run.sigterm(d.ForwardingProcess)
		return
	}
	d.ForwardingProcess.ForwardingPortDisconnected(buffer)
}

// TestForwardingProcessHook_ForwardingPortDisconnected_C07: the
// forwarding port reports to the override, once, with the echo. Carried
// on, the embedded step keeps the buffer and starts the stop that ends in
// ReallyDie's SIGKILL. Replaced, none of that happens: Buffer stays nil
// (so the Deferred fires with nil), Timeline.Disconnected stays zero, and
// the process ends by the override's SIGTERM alone.
func TestForwardingProcessHook_ForwardingPortDisconnected_C07(t *testing.T) {
	t.Run("CarryOn", func(t *testing.T) {
		h := runHooked(t, hookServer, lateServer, func(h *hookRun) protocol.ProcessProtocol {
			return disconnectedHook{ForwardingProcess: h.proc, run: h}
		})
		if diff := cmp.Diff([]string{`ForwardingPortDisconnected("test\n")`}, h.calls); diff != "" {
			t.Errorf("ForwardingPortDisconnected calls (-want +got):\n%s", diff)
		}
		if tl := h.proc.Timeline; tl.Disconnected.IsZero() || tl.Ended.Before(tl.Disconnected) {
			t.Errorf("disconnected at %v, ended at %v: want the disconnect recorded, before the end", tl.Disconnected, tl.Ended)
		}
		wantResult(t, h, []byte("test\n"))
		wantEnd(t, h, "signal 9")
	})
	t.Run("Replace", func(t *testing.T) {
		h := runHooked(t, hookServer, lateServer, func(h *hookRun) protocol.ProcessProtocol {
			return disconnectedHook{ForwardingProcess: h.proc, run: h, replace: true}
		})
		if diff := cmp.Diff([]string{`ForwardingPortDisconnected("test\n")`}, h.calls); diff != "" {
			t.Errorf("ForwardingPortDisconnected calls (-want +got):\n%s", diff)
		}
		if h.proc.Buffer != nil {
			t.Errorf("Buffer = %q, want nil: the embedded step, which keeps it, must not run", h.proc.Buffer)
		}
		if tl := h.proc.Timeline; !tl.Disconnected.IsZero() {
			t.Errorf("Timeline.Disconnected = %v, want zero: the embedded step must not run", tl.Disconnected)
		}
		wantResult(t, h, nil)
		wantEnd(t, h, "exit 7")
	})
}

// reallyDieHook overrides ReallyDie: it records the call with what the
// ForwardingProcess holds then, and carries on (SIGKILL), or, with
// replace, sends SIGTERM instead.
type reallyDieHook struct {
	*conchtest.ForwardingProcess
	run     *hookRun
	replace bool
}

func (d reallyDieHook) ReallyDie() {
	d.run.record("ReallyDie(buffer=%q, ended=%v)", d.Buffer, !d.Timeline.Ended.IsZero())
	if d.replace {
		d.run.sigterm(d.ForwardingProcess)
		return
	}
	d.ForwardingProcess.ReallyDie()
}

// TestForwardingProcessHook_ReallyDie_C08: the stop sequence ends in the
// override, once, after ForwardingPortDisconnected has kept the echo and
// while the process (which ignores the first stop step) still runs.
// Carried on, the embedded SIGKILL ends the process. Replaced by a
// SIGTERM, no SIGKILL is sent: the server exits 7 from its SIGTERM handler.
func TestForwardingProcessHook_ReallyDie_C08(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace bool
		end     string
	}{{"CarryOn", false, "signal 9"}, {"Replace", true, "exit 7"}} {
		t.Run(tc.name, func(t *testing.T) {
			h := runHooked(t, hookServer, lateServer, func(h *hookRun) protocol.ProcessProtocol {
				return reallyDieHook{ForwardingProcess: h.proc, run: h, replace: tc.replace}
			})
			if diff := cmp.Diff([]string{`ReallyDie(buffer="test\n", ended=false)`}, h.calls); diff != "" {
				t.Errorf("ReallyDie calls (-want +got):\n%s", diff)
			}
			wantResult(t, h, []byte("test\n"))
			wantEnd(t, h, tc.end)
		})
	}
}
