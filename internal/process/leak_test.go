//go:build unix

package process

import (
	"errors"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// leakBaseline records what a leak test must find again at its end.
type leakBaseline struct {
	fds, goroutines int
}

func takeBaseline(t *testing.T) leakBaseline {
	t.Helper()
	if z := zombieChildren(t); len(z) != 0 {
		t.Fatalf("zombie children before the test: %v", z)
	}
	return leakBaseline{fds: openFDs(t), goroutines: runtime.NumGoroutine()}
}

func (b leakBaseline) check(t *testing.T) {
	t.Helper()
	var fds, gs int
	ok := settle(2*time.Second, func() bool {
		fds, gs = openFDs(t), runtime.NumGoroutine()
		return fds == b.fds && gs <= b.goroutines
	})
	if !ok {
		t.Errorf("open fds %d -> %d, goroutines %d -> %d", b.fds, fds, b.goroutines, gs)
	}
	if z := zombieChildren(t); len(z) != 0 {
		t.Errorf("zombie children: %v", z)
	}
	if c := children(t); len(c) != 0 {
		t.Errorf("children still there: %v", c)
	}
}

// countEnds counts ProcessEnded calls and checks each reason.
type countEnds struct {
	protocol.BaseProcessProtocol
	t     *testing.T
	ended func()
}

func (c *countEnds) ProcessEnded(reason *reactor.Failure) {
	if _, ok := errors.AsType[*protocol.ProcessDone](reason); !ok {
		c.t.Errorf("reason %v, want *protocol.ProcessDone", reason)
	}
	c.ended()
}

// Leaks: 500 children one after the other on one reactor leave no zombie,
// no descriptor and no goroutine behind.
func TestProcess_NoLeaks500Sequential(t *testing.T) {
	base := takeBaseline(t)
	h := newHarness(t)
	const n = 500
	done := 0
	var next func()
	next = func() {
		if done == n {
			_ = h.r.Stop()
			return
		}
		h.spawn(&countEnds{t: t, ended: func() { done++; next() }}, "/bin/true", []string{"true"}, protocol.SpawnOptions{})
	}
	h.run(time.Minute, next)
	if done != n {
		t.Fatalf("%d of %d processes ended", done, n)
	}
	h.noErrors()
	base.check(t)
}

// Leaks: 200 children at once on one reactor.
func TestProcess_NoLeaks200Concurrent(t *testing.T) {
	base := takeBaseline(t)
	h := newHarness(t)
	const n = 200
	done := 0
	h.run(time.Minute, func() {
		for range n {
			h.spawn(&countEnds{t: t, ended: func() {
				if done++; done == n {
					_ = h.r.Stop()
				}
			}}, "/bin/true", []string{"true"}, protocol.SpawnOptions{})
		}
		if got := len(Live(h.r)); got > n {
			t.Errorf("Live lists %d", got)
		}
	})
	if done != n {
		t.Fatalf("%d of %d processes ended", done, n)
	}
	h.noErrors()
	base.check(t)
}

// W-01: braid reaps only its own children, through their exit watchers; a child
// started by os/exec in the same program while a braid reactor spawns and
// reaps is still there for its own Wait.
func TestProcess_OtherChildrenNotReaped_W01(t *testing.T) {
	base := takeBaseline(t)
	h := newHarness(t)
	other := exec.Command("sleep", "0.3")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	p := h.stopOnEnd(newTrace())
	h.run(procTimeout, func() { h.spawn(p, "sleep", []string{"sleep", "0.5"}, inheritPath) })
	if err := other.Wait(); err != nil {
		t.Errorf("os/exec child: Wait = %v, want nil (no one else may reap it)", err)
	}
	if got := p.trace(); got[len(got)-1] != "ended:ProcessDone(status=0)" {
		t.Errorf("trace %v", got)
	}
	h.noErrors()
	base.check(t)
}

// W-01 (E-22): when something else reaps braid's child, Twisted waits for
// ever; braid logs the theft and ends the process with an unknown status
// (ProcessTerminated with ExitCode and Status -1), so nothing hangs.
func TestProcess_ChildReapedElsewhereStillEnds_W01(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var stolen error
	p.onMade = func(p *traceProto) {
		// As E-22: a blocking reap of our own child inside the callback.
		var ws syscall.WaitStatus
		_, stolen = syscall.Wait4(p.Transport.Pid(), &ws, 0, nil)
	}
	h.run(procTimeout, func() { h.spawn(p, "sleep", []string{"sleep", "0.2"}, inheritPath) })
	if stolen != nil {
		t.Fatalf("the thief's Wait4: %v", stolen)
	}
	want := []string{
		"connectionMade", "lost:0", "lost:1", "lost:2",
		"exited:ProcessTerminated(exitCode=-1, signal=0, status=-1)",
		"ended:ProcessTerminated(exitCode=-1, signal=0, status=-1)",
	}
	if diff := cmp.Diff(want, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	evs := h.errors()
	if len(evs) != 1 || evs[0].Why != "reapProcess" || !errors.Is(evs[0].Failure, syscall.ECHILD) {
		t.Errorf("logged %v, want one reapProcess error wrapping ECHILD", evs)
	}
}
