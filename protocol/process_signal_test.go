package protocol

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/reactor"
)

// P-14: exactly Twisted's five names, any syscall.Signal or int; other
// names and types are ErrUnknownSignal.
func TestProcess_SignalNames_P14(t *testing.T) {
	t.Parallel()
	cases := []struct {
		sig  any
		want syscall.Signal // the signal that ends `sleep`; 0: an error
	}{
		{"HUP", syscall.SIGHUP},
		{"INT", syscall.SIGINT},
		{"TERM", syscall.SIGTERM},
		{"KILL", syscall.SIGKILL},
		{syscall.SIGUSR1, syscall.SIGUSR1},
		{int(syscall.SIGTERM), syscall.SIGTERM},
		{os.Kill, syscall.SIGKILL},
		{"USR1", 0},
		{"SIGKILL", 0},
		{"kill", 0},
		{"", 0},
		{3.5, 0},
	}
	for _, tc := range cases {
		h := newHarness(t)
		p := h.stopOnEnd(newTrace())
		var sigErr error
		p.onMade = func(p *traceProto) {
			sigErr = p.Transport.SignalProcess(tc.sig)
			if tc.want == 0 {
				_ = p.Transport.SignalProcess("KILL")
			}
		}
		h.run(procTimeout, func() { h.spawn(p, "sleep", []string{"sleep", "10"}, inheritPath) })
		if tc.want == 0 {
			if !errors.Is(sigErr, reactor.ErrUnknownSignal) {
				t.Errorf("SignalProcess(%#v) = %v, want ErrUnknownSignal", tc.sig, sigErr)
			}
			continue
		}
		if sigErr != nil {
			t.Errorf("SignalProcess(%#v) = %v", tc.sig, sigErr)
		}
		got := p.trace()
		if want := "ended:" + reasonString(reactor.NewFailure(reactor.ProcessReason(syscall.WaitStatus(tc.want)))); got[len(got)-1] != want {
			t.Errorf("SignalProcess(%#v): trace ends %q, want %q", tc.sig, got[len(got)-1], want)
		}
		h.noErrors()
	}
}

// P-14: "STOP" stops the child and 0 probes it; after the reap every
// signal is ProcessExitedAlready and Pid is 0 (E-10).
func TestProcess_StopProbeAndExitedAlready_P14(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := newTrace()
	var state byte
	var errs []error
	p.onMade = func(p *traceProto) {
		errs = append(errs, p.Transport.SignalProcess("STOP"))
		h.r.CallLater(100*time.Millisecond, func() {
			state, _, _ = procStat(p.Transport.Pid())
			errs = append(errs, p.Transport.SignalProcess(0), p.Transport.SignalProcess("KILL"))
		})
	}
	p.onEnded = func(p *traceProto, _ *reactor.Failure) {
		h.r.CallLater(0, func() {
			errs = append(errs, p.Transport.SignalProcess("KILL"), p.Transport.SignalProcess(syscall.SIGTERM), p.Transport.SignalProcess(0))
			_ = h.r.Stop()
		})
	}
	var tr *ProcessTransport
	h.run(procTimeout, func() { tr = h.spawn(p, "sleep", []string{"sleep", "10"}, inheritPath) })
	if state != 'T' {
		t.Errorf("state after STOP = %q, want 'T'", state)
	}
	if len(errs) != 6 {
		t.Fatalf("errors %v", errs)
	}
	for i, err := range errs[:3] {
		if err != nil {
			t.Errorf("signal %d while alive: %v", i, err)
		}
	}
	for _, err := range errs[3:] {
		if !isExitedAlready(err) || !strings.Contains(err.Error(), "pid ") {
			t.Errorf("signal after the reap = %v, want ProcessExitedAlready naming the pid", err)
		}
	}
	if tr.Pid() != 0 || tr.Status() != 9 {
		t.Errorf("Pid %d Status %d after the end, want 0 and 9", tr.Pid(), tr.Status())
	}
	h.noErrors()
}

// P-15 (E-12), W-02: a signal sent after the child died but before the
// reap succeeds silently, and the reason reported is the real exit.
func TestProcess_SignalInZombieWindow_P15(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var sigErr error
	p.onMade = func(p *traceProto) {
		// Block the reactor while the child exits, as E-12 did.
		pid := p.Transport.Pid()
		settle(5*time.Second, func() bool { st, _, _ := procStat(pid); return st == 'Z' })
		sigErr = p.Transport.SignalProcess("KILL")
	}
	h.run(procTimeout, func() { h.spawn(p, "/bin/true", []string{"true"}, SpawnOptions{}) })
	if sigErr != nil {
		t.Errorf("SignalProcess to the zombie = %v, want nil", sigErr)
	}
	if got := p.trace(); got[len(got)-1] != "ended:ProcessDone(status=0)" {
		t.Errorf("trace %v, want the real exit", got)
	}
	h.noErrors()
}

// P-06: a Go program started with SIGINT and SIGHUP ignored (a test run in
// the background by a shell) still gives its children the default action,
// as Twisted does. The test re-runs itself under `trap "" INT HUP`.
func TestProcess_InheritedIgnoredSignalsResetInChild_P06(t *testing.T) {
	if os.Getenv("BRAID_PROC_IGNORED_SIGNALS") == "1" {
		ignoredSignalsInner(t)
		return
	}
	t.Parallel()
	const name = "TestProcess_InheritedIgnoredSignalsResetInChild_P06"
	cmd := exec.Command("/bin/sh", "-c", `trap "" INT HUP; exec "$0" -test.run="^$1\$" -test.count=1 -test.v`, os.Args[0], name)
	cmd.Env = append(os.Environ(), "BRAID_PROC_IGNORED_SIGNALS=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) || !strings.Contains(string(out), "inner: both signals reset") {
		t.Fatalf("re-run under trap \"\" INT HUP failed (%v):\n%s", err, out)
	}
}

func ignoredSignalsInner(t *testing.T) {
	if !signal.Ignored(syscall.SIGINT) || !signal.Ignored(syscall.SIGHUP) {
		t.Fatal("inner run: SIGINT and SIGHUP are not ignored; the shell trap did not take")
	}
	for _, sig := range []string{"INT", "HUP"} {
		h := newHarness(t)
		p := h.stopOnEnd(newTrace())
		p.onMade = func(p *traceProto) {
			if err := p.Transport.SignalProcess(sig); err != nil {
				t.Error(err)
			}
			// Were the signal still ignored, sleep would run on: end it.
			h.r.CallLater(3*time.Second, func() { _ = p.Transport.SignalProcess("KILL") })
		}
		h.run(procTimeout, func() { h.spawn(p, "sleep", []string{"sleep", "10"}, inheritPath) })
		want := "ended:" + reasonString(reactor.NewFailure(reactor.ProcessReason(syscall.WaitStatus(procSignalNames[sig]))))
		if got := p.trace(); got[len(got)-1] != want {
			t.Errorf("SIG%s: trace %v, want it to end %q", sig, got, want)
		}
	}
	if !t.Failed() {
		t.Log("inner: both signals reset")
	}
}
