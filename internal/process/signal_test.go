//go:build unix

package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// P-14: exactly Twisted's five names (through protocol.ParseSignal) and
// any syscall.Signal; other names are ErrUnknownSignal.
func TestProcess_SignalNames_P14(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string         // a Twisted name, through ParseSignal; "" for sig
		sig  syscall.Signal // used when name is ""
		want syscall.Signal // the signal that ends `sleep`
	}{
		{name: "HUP", want: syscall.SIGHUP},
		{name: "INT", want: syscall.SIGINT},
		{name: "TERM", want: syscall.SIGTERM},
		{name: "KILL", want: syscall.SIGKILL},
		{sig: syscall.SIGUSR1, want: syscall.SIGUSR1},
		{sig: syscall.Signal(int(syscall.SIGTERM)), want: syscall.SIGTERM},
		{sig: os.Kill.(syscall.Signal), want: syscall.SIGKILL},
	}
	for _, tc := range cases {
		h := newHarness(t)
		p := h.stopOnEnd(newTrace())
		var sigErr error
		p.onMade = func(p *traceProto) {
			if tc.name != "" {
				sigErr = signalNamed(p.Transport, tc.name)
			} else {
				sigErr = p.Transport.SignalProcess(tc.sig)
			}
			if sigErr != nil {
				_ = p.Transport.SignalProcess(syscall.SIGKILL)
			}
		}
		h.run(procTimeout, func() { h.spawn(p, "sleep", []string{"sleep", "10"}, inheritPath) })
		what := tc.name
		if what == "" {
			what = fmt.Sprintf("%#v", tc.sig)
		}
		if sigErr != nil {
			t.Errorf("SignalProcess(%s) = %v", what, sigErr)
		}
		got := p.trace()
		if want := "ended:" + reasonString(reactor.NewFailure(exitReason(syscall.WaitStatus(tc.want), 0))); got[len(got)-1] != want {
			t.Errorf("SignalProcess(%s): trace ends %q, want %q", what, got[len(got)-1], want)
		}
		h.noErrors()
	}
	// ParseSignal knows exactly Twisted's five names (and STOP's value).
	for name, want := range map[string]syscall.Signal{"HUP": syscall.SIGHUP, "STOP": syscall.SIGSTOP, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL, "TERM": syscall.SIGTERM} {
		if got, err := protocol.ParseSignal(name); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	// Other names are ErrUnknownSignal, naming the name, and give no signal.
	for _, name := range []string{"USR1", "SIGKILL", "kill", ""} {
		sig, err := protocol.ParseSignal(name)
		if !errors.Is(err, protocol.ErrUnknownSignal) || !strings.Contains(err.Error(), strconv.Quote(name)) {
			t.Errorf("ParseSignal(%q) = %v, want an error wrapping ErrUnknownSignal naming it", name, err)
		}
		if sig != 0 {
			t.Errorf("ParseSignal(%q) gave signal %v with its error", name, sig)
		}
	}
	// Values of other types (Twisted would raise): SignalProcess takes only
	// a syscall.Signal now, so they do not compile.
	for _, typ := range []reflect.Type{reflect.TypeFor[protocol.ProcessTransport](), reflect.TypeFor[*Process]()} {
		m, ok := typ.MethodByName("SignalProcess")
		if !ok {
			t.Fatalf("%v has no SignalProcess", typ)
		}
		// The receiver is the first parameter of a concrete type's method.
		if n := m.Type.NumIn(); m.Type.In(n-1) != reflect.TypeFor[syscall.Signal]() || (typ.Kind() == reflect.Interface) != (n == 1) {
			t.Errorf("%v.SignalProcess is %v, want func(syscall.Signal) error", typ, m.Type)
		}
	}
}

// P-14, E-10: once the child has been reaped, SignalProcess gives
// ErrProcessExitedAlready for ANY signal value, even one the kernel would
// reject: the check comes first, as Twisted checks `self.pid is None`
// before anything else. The same holds for a SignalGroup transport and its
// SignalProcessGroup.
func TestProcess_ExitedAlreadyForAnySignal_P14(t *testing.T) {
	t.Parallel()
	bad := []syscall.Signal{syscall.Signal(-1), syscall.Signal(65), syscall.Signal(1 << 20)}
	every := append([]syscall.Signal{0, syscall.SIGKILL, syscall.SIGTERM}, bad...)
	for _, group := range []bool{false, true} {
		t.Run(fmt.Sprintf("SignalGroup=%v", group), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			p := newTrace()
			var alive, inExited, after, afterGroup []error
			p.onMade = func(p *traceProto) {
				for _, s := range bad {
					alive = append(alive, p.Transport.SignalProcess(s))
				}
			}
			p.onExited = func(p *traceProto, _ *reactor.Failure) {
				for _, s := range bad {
					inExited = append(inExited, p.Transport.SignalProcess(s))
				}
			}
			p.onEnded = func(p *traceProto, _ *reactor.Failure) {
				for _, s := range every {
					after = append(after, p.Transport.SignalProcess(s))
					if group {
						afterGroup = append(afterGroup, p.Transport.(protocol.GroupSignaler).SignalProcessGroup(s))
					}
				}
			}
			h.stopOnEnd(p) // after the hooks above
			opts := protocol.SpawnOptions{SignalGroup: group}
			h.run(procTimeout, func() { h.spawn(p, "/bin/true", []string{"true"}, opts) })
			// While the child is unreaped the kernel judges the value.
			for i, err := range alive {
				if err == nil || isExitedAlready(err) || !errors.Is(err, syscall.EINVAL) {
					t.Errorf("SignalProcess(%d) while unreaped = %v, want EINVAL", int(bad[i]), err)
				}
			}
			for i, err := range inExited {
				if !isExitedAlready(err) {
					t.Errorf("SignalProcess(%d) in ProcessExited = %v, want ProcessExitedAlready", int(bad[i]), err)
				}
			}
			if len(after) != len(every) {
				t.Fatalf("signals after the end: %v", after)
			}
			for i, err := range after {
				if !isExitedAlready(err) {
					t.Errorf("SignalProcess(%d) after the end = %v, want ProcessExitedAlready", int(every[i]), err)
				}
			}
			for i, err := range afterGroup {
				if !isExitedAlready(err) {
					t.Errorf("SignalProcessGroup(%d) after the end = %v, want ProcessExitedAlready", int(every[i]), err)
				}
			}
			if got := p.trace(); got[len(got)-1] != "ended:ProcessDone(status=0)" {
				t.Errorf("trace %v", got)
			}
			h.noErrors()
		})
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
		errs = append(errs, signalNamed(p.Transport, "STOP"))
		h.r.CallLater(100*time.Millisecond, func() {
			state, _, _ = procStat(p.Transport.Pid())
			errs = append(errs, p.Transport.SignalProcess(0), signalNamed(p.Transport, "KILL"))
		})
	}
	p.onEnded = func(p *traceProto, _ *reactor.Failure) {
		h.r.CallLater(0, func() {
			errs = append(errs, signalNamed(p.Transport, "KILL"), p.Transport.SignalProcess(syscall.SIGTERM), p.Transport.SignalProcess(0))
			_ = h.r.Stop()
		})
	}
	var tr *Process
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
		sigErr = signalNamed(p.Transport, "KILL")
	}
	h.run(procTimeout, func() { h.spawn(p, "/bin/true", []string{"true"}, protocol.SpawnOptions{}) })
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
			if err := signalNamed(p.Transport, sig); err != nil {
				t.Error(err)
			}
			// Were the signal still ignored, sleep would run on: end it.
			h.r.CallLater(3*time.Second, func() { _ = signalNamed(p.Transport, "KILL") })
		}
		h.run(procTimeout, func() { h.spawn(p, "sleep", []string{"sleep", "10"}, inheritPath) })
		want := "ended:" + reasonString(reactor.NewFailure(exitReason(syscall.WaitStatus(mustParseSignal(t, sig)), 0)))
		if got := p.trace(); got[len(got)-1] != want {
			t.Errorf("SIG%s: trace %v, want it to end %q", sig, got, want)
		}
		// The reset is scoped to the spawn: the program's own disposition
		// is unchanged afterwards, both signals still ignored.
		if !signal.Ignored(syscall.SIGINT) || !signal.Ignored(syscall.SIGHUP) {
			t.Errorf("after spawning (SIG%s): SIGINT ignored %v, SIGHUP ignored %v; want both still ignored",
				sig, signal.Ignored(syscall.SIGINT), signal.Ignored(syscall.SIGHUP))
		}
	}
	// And in effect: the program survives both signals sent to itself.
	for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP} {
		if err := syscall.Kill(os.Getpid(), s); err != nil {
			t.Error(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if !t.Failed() {
		t.Log("inner: both signals reset")
	}
}
