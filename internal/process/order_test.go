//go:build unix

package process

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

const procTimeout = 10 * time.Second

// The event orders of P-10, one child per case.
func TestProcess_EventOrder_P10(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		exe   string
		args  []string
		setup func(h *procHarness, p *traceProto)
		want  []string
	}{
		{
			name: "output on both pipes then exit 3",
			exe:  "sh",
			args: sh("printf out1; sleep 0.05; printf err1 >&2; sleep 0.2; printf out2; exit 3"),
			want: []string{
				"connectionMade", "out:out1", "err:err1", "out:out2",
				"lost:0", "lost:1", "lost:2",
				"exited:ProcessTerminated(exitCode=3, signal=0, status=768)",
				"ended:ProcessTerminated(exitCode=3, signal=0, status=768)",
			},
		},
		{
			name: "/bin/true",
			exe:  "/bin/true",
			args: []string{"true"},
			want: []string{
				"connectionMade", "lost:0", "lost:1", "lost:2",
				"exited:ProcessDone(status=0)", "ended:ProcessDone(status=0)",
			},
		},
		{
			name: "SIGKILL while sleeping",
			exe:  "sleep",
			args: []string{"sleep", "10"},
			setup: func(h *procHarness, p *traceProto) {
				p.onMade = func(p *traceProto) {
					h.r.CallLater(100*time.Millisecond, func() {
						if err := signalNamed(p.Transport, "KILL"); err != nil {
							h.t.Error(err)
						}
					})
				}
			},
			want: []string{
				"connectionMade", "lost:0", "lost:1", "lost:2",
				"exited:ProcessTerminated(exitCode=-1, signal=9, status=9)",
				"ended:ProcessTerminated(exitCode=-1, signal=9, status=9)",
			},
		},
		{
			// P-17: the write made after CloseStdin is still delivered, and
			// inConnectionLost comes from the flush, before cat even sees EOF.
			name: "cat echoes stdin, CloseStdin at 0.2s",
			exe:  "cat",
			args: []string{"cat"},
			setup: func(h *procHarness, p *traceProto) {
				p.onMade = func(p *traceProto) {
					p.Transport.Write([]byte("hello\n"))
					h.r.CallLater(200*time.Millisecond, func() {
						p.Transport.CloseStdin()
						p.Transport.Write([]byte("late\n"))
					})
				}
			},
			want: []string{
				"connectionMade", "out:hello\n", "lost:0", "out:late\n", "lost:1", "lost:2",
				"exited:ProcessDone(status=0)", "ended:ProcessDone(status=0)",
			},
		},
		{
			name: "child closes stdout, writes late to stderr",
			exe:  "sh",
			args: sh("exec >&-; sleep 0.2; printf late >&2; exit 0"),
			want: []string{
				"connectionMade", "lost:1", "err:late", "lost:0", "lost:2",
				"exited:ProcessDone(status=0)", "ended:ProcessDone(status=0)",
			},
		},
		{
			// A child with no descriptors at all (an empty, non-nil childFDs):
			// not even the parent's stdio leaks in (P-06).
			name: "no pipes",
			exe:  "sh",
			args: sh("command exec 3<&0 && exit 10; command exec 3>&1 && exit 11; command exec 3>&2 && exit 12; exit 0"),
			want: []string{"connectionMade", "exited:ProcessDone(status=0)", "ended:ProcessDone(status=0)"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			p := h.stopOnEnd(newTrace())
			if tc.setup != nil {
				tc.setup(h, p)
			}
			opts := inheritPath
			if tc.name == "no pipes" {
				opts.ChildFDs = map[int]protocol.ChildFD{}
			}
			h.run(procTimeout, func() { h.spawn(p, tc.exe, tc.args, opts) })
			if diff := cmp.Diff(tc.want, p.trace()); diff != "" {
				t.Errorf("trace (-want +got):\n%s", diff)
			}
			if p.pidAtExit != 0 {
				t.Errorf("Pid() inside ProcessExited = %d, want 0 (P-12)", p.pidAtExit)
			}
			if p.endedCount != 1 {
				t.Errorf("ProcessEnded called %d times", p.endedCount)
			}
			// Both reasons name the pid the child had (Pid is 0 by then).
			if p.pidAtMade == 0 || !cmp.Equal(p.reasonPids, []int{p.pidAtMade, p.pidAtMade}) {
				t.Errorf("reason pids %v, want the child's pid %d twice", p.reasonPids, p.pidAtMade)
			}
			h.noErrors()
		})
	}
}

// P-12: the raw status is visible inside ProcessExited, and ProcessExited
// and ProcessEnded get separate Failures with equal values.
func TestProcess_ReasonsSeparateButEqual_P12(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var exited, ended *reactor.Failure
	p := h.stopOnEnd(newTrace())
	p.onExited = func(_ *traceProto, f *reactor.Failure) { exited = f }
	p.onEnded = func(_ *traceProto, f *reactor.Failure) { ended = f; _ = h.r.Stop() }
	pid := 0
	h.run(procTimeout, func() {
		if tr := h.spawn(p, "sh", sh("exit 7"), inheritPath); tr != nil {
			pid = tr.Pid()
		}
	})
	if exited == nil || ended == nil || exited == ended {
		t.Fatalf("want two distinct Failures, got %p and %p", exited, ended)
	}
	if diff := cmp.Diff(exited.Value(), ended.Value()); diff != "" {
		t.Errorf("reasons differ:\n%s", diff)
	}
	// The reason is a *ProcessTerminated naming the pid the child had.
	want := &protocol.ProcessTerminated{ExitCode: 7, Status: 7 << 8, Pid: pid}
	if pid == 0 {
		t.Errorf("no pid at spawn")
	}
	if diff := cmp.Diff(want, exited.Value()); diff != "" {
		t.Errorf("reason (-want +got):\n%s", diff)
	}
	if p.statusAtExit != 7<<8 {
		t.Errorf("Status() inside ProcessExited = %d, want %d", p.statusAtExit, 7<<8)
	}
}

// P-18: LoseConnection closes the three pipes but signals nothing:
// ProcessEnded waits for the child's own exit.
func TestProcess_LoseConnectionSendsNoSignal_P18(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	p.onMade = func(p *traceProto) {
		h.r.CallLater(50*time.Millisecond, p.Transport.LoseConnection)
	}
	h.run(procTimeout, func() { h.spawn(p, "sleep", []string{"sleep", "0.4"}, inheritPath) })
	want := []string{
		"connectionMade", "lost:0", "lost:1", "lost:2",
		"exited:ProcessDone(status=0)", "ended:ProcessDone(status=0)",
	}
	if diff := cmp.Diff(want, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if lost, exited := p.at(t, "lost:"), p.at(t, "exited:"); exited < 400*time.Millisecond || lost > exited-200*time.Millisecond {
		t.Errorf("pipes lost at %v, exited at %v: want the pipes gone long before the exit at 0.4s", lost, exited)
	}
	h.noErrors()
}

// P-08, P-10, P-15: a grandchild holding stdout and stderr delays
// ProcessEnded (not ProcessExited); between the two the pid is gone, so a
// signal gives ProcessExitedAlready.
func TestProcess_GrandchildKeepsPipesOpen_P08_P15(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var sigErr error
	p.onExited = func(p *traceProto, _ *reactor.Failure) { sigErr = signalNamed(p.Transport, "KILL") }
	// No stdin pipe: the forked background job closes its inherited stdin
	// only some time after the fork, so whether lost(0) precedes
	// ProcessExited would be a race.
	opts := inheritPath
	opts.ChildFDs = map[int]protocol.ChildFD{1: protocol.ChildFDRead, 2: protocol.ChildFDRead}
	h.run(procTimeout, func() { h.spawn(p, "sh", sh("sleep 0.5 & echo parent-exits; exit 5"), opts) })
	want := []string{
		"connectionMade", "out:parent-exits\n",
		"exited:ProcessTerminated(exitCode=5, signal=0, status=1280)",
		"lost:1", "lost:2",
		"ended:ProcessTerminated(exitCode=5, signal=0, status=1280)",
	}
	if diff := cmp.Diff(want, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if exited, ended := p.at(t, "exited:"), p.at(t, "ended:"); ended-exited < 300*time.Millisecond {
		t.Errorf("exited at %v, ended at %v: want ProcessEnded only when the grandchild exits", exited, ended)
	}
	if !isExitedAlready(sigErr) {
		t.Errorf("SignalProcess between ProcessExited and ProcessEnded = %v, want ProcessExitedAlready", sigErr)
	}
	h.noErrors()
}

// P-19: the parent notices the child closing its stdin while it runs.
func TestProcess_ChildClosingStdinNoticed_P19(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var writeAfterLoss bool
	p.onLost = func(p *traceProto, fd int) {
		if fd == 0 {
			p.Transport.Write([]byte("dropped")) // P-16: silently dropped
			writeAfterLoss = true
		}
	}
	h.run(procTimeout, func() { h.spawn(p, "sh", sh("exec <&-; sleep 0.4"), inheritPath) })
	if lost0, exited := p.at(t, "lost:0"), p.at(t, "exited:"); exited-lost0 < 200*time.Millisecond {
		t.Errorf("stdin lost at %v, exit at %v: want the loss noticed while the child sleeps", lost0, exited)
	}
	if !writeAfterLoss {
		t.Error("no InConnectionLost")
	}
	h.noErrors()
}

// P-06, P-17: after CloseStdout a shell writing to stdout dies of SIGPIPE:
// the SIGPIPE disposition the Go runtime handles is the default in the child.
func TestProcess_CloseStdoutThenShellDiesOfSIGPIPE_P06_P17(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	p.onMade = func(p *traceProto) { p.Transport.CloseStdout() }
	h.run(procTimeout, func() { h.spawn(p, "sh", sh("sleep 0.1; echo one; echo two; exit 0"), inheritPath) })
	want := []string{
		"connectionMade", "lost:0", "lost:1", "lost:2",
		"exited:ProcessTerminated(exitCode=-1, signal=13, status=13)",
		"ended:ProcessTerminated(exitCode=-1, signal=13, status=13)",
	}
	if diff := cmp.Diff(want, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if first := p.firstLost(); first != "lost:1" {
		t.Errorf("first pipe lost: %s, want lost:1 (closed by the parent before the child wrote)", first)
	}
	h.noErrors()
}

// P-13: a panic in OutReceived is logged and closes stdout at once; the
// shell then dies of SIGPIPE. A panic in ProcessEnded is logged too.
func TestProcess_PanicInOutReceivedClosesPipe_P13(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := newTrace()
	p.onOut = func(*traceProto, []byte) { panic("boom in outReceived") }
	p.onEnded = func(*traceProto, *reactor.Failure) {
		h.r.CallLater(0, func() { _ = h.r.Stop() })
		panic("boom in processEnded")
	}
	h.run(procTimeout, func() { h.spawn(p, "sh", sh("echo first; sleep 0.2; echo second; exit 0"), inheritPath) })
	want := []string{
		"connectionMade", "out:first\n", "lost:0", "lost:1", "lost:2",
		"exited:ProcessTerminated(exitCode=-1, signal=13, status=13)",
		"ended:ProcessTerminated(exitCode=-1, signal=13, status=13)",
	}
	if diff := cmp.Diff(want, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if first := p.firstLost(); first != "lost:1" {
		t.Errorf("first pipe lost: %s, want lost:1 (closed by the panic)", first)
	}
	var whys []string
	for _, ev := range h.errors() {
		whys = append(whys, ev.Why+": "+ev.Failure.ErrorMessage())
	}
	wantWhys := []string{
		"childDataReceived: panic: boom in outReceived",
		"unexpected error in processEnded: panic: boom in processEnded",
	}
	if diff := cmp.Diff(wantWhys, whys); diff != "" {
		t.Errorf("logged errors (-want +got):\n%s", diff)
	}
}

// P-04, E-13: a panic in ConnectionMade is logged and Spawn still
// returns the running transport.
func TestProcess_PanicInConnectionMadeStillSpawns_P04(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	p.onMade = func(*traceProto) { panic("boom in connectionMade") }
	var tr *Process
	h.run(procTimeout, func() { tr = h.spawn(p, "/bin/true", []string{"true"}, protocol.SpawnOptions{}) })
	if tr == nil || tr.Pid() != 0 || tr.Status() != 0 {
		t.Errorf("transport %v: want a reaped child with status 0", tr)
	}
	if evs := h.errors(); len(evs) != 1 || evs[0].Why != "makeConnection" {
		t.Errorf("logged %v, want one makeConnection error", evs)
	}
	if got := p.trace(); got[len(got)-1] != "ended:ProcessDone(status=0)" {
		t.Errorf("trace %v", got)
	}
}

// P-20: while paused, nothing is read (the child's exit is still reported);
// ResumeProducing delivers the rest.
func TestProcess_PauseResumeProducing_P20(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var atResume []string
	p.onMade = func(p *traceProto) {
		p.Transport.PauseProducing()
		h.r.CallLater(400*time.Millisecond, func() {
			atResume = p.trace()
			p.Transport.ResumeProducing()
		})
	}
	opts := inheritPath
	opts.ChildFDs = map[int]protocol.ChildFD{0: protocol.ChildFDWrite, 1: protocol.ChildFDRead}
	h.run(procTimeout, func() { h.spawn(p, "sh", sh("echo a; echo b; exit 0"), opts) })
	if diff := cmp.Diff([]string{"connectionMade", "lost:0", "exited:ProcessDone(status=0)"}, atResume); diff != "" {
		t.Errorf("before resume (-want +got):\n%s", diff)
	}
	want := []string{
		"connectionMade", "lost:0", "exited:ProcessDone(status=0)",
		"out:a\nb\n", "lost:1", "ended:ProcessDone(status=0)",
	}
	if diff := cmp.Diff(want, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	h.noErrors()
}
