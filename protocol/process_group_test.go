package protocol

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/reactor"
)

// grandchildPid parses the pid a `sleep ... & echo $!` script prints.
func grandchildPid(t *testing.T, out []byte) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("child printed %q, not a pid", out)
	}
	return pid
}

// withoutExited removes the ProcessExited event from a trace, re-sorting
// the pipe losses it separated, and returns it.
func withoutExited(trace []string) ([]string, string) {
	var out []string
	exited := ""
	for _, e := range trace {
		if strings.HasPrefix(e, "exited:") {
			exited = e
			continue
		}
		out = append(out, e)
	}
	sort.Strings(out[2 : len(out)-1])
	return out, exited
}

// W-03: with SignalGroup, KILL reaches the shell's `sleep` too; nothing of
// the group is left alive and ProcessEnded comes at once.
func TestProcess_SignalGroupLeavesNoSleep_W03(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	sleepPid := 0
	p.onOut = func(p *traceProto, b []byte) {
		sleepPid = grandchildPid(t, b)
		if err := p.Transport.SignalProcess("KILL"); err != nil {
			t.Error(err)
		}
	}
	var shPid int
	h.run(procTimeout, func() {
		tr := h.spawn(p, "sh", sh("sleep 100 & echo $!; wait"), SpawnOptions{InheritEnv: true, SignalGroup: true})
		shPid = tr.Pid()
	})
	// The shell and its sleep die together; whether the shell's reap or
	// the sleep's closing of the pipes is seen first is a race (P-08), so
	// ProcessExited may come anywhere among the pipe losses.
	want := []string{
		"connectionMade", "out:" + strconv.Itoa(sleepPid) + "\n", "lost:0", "lost:1", "lost:2",
		"ended:ProcessTerminated(exitCode=-1, signal=9, status=9)",
	}
	got, exited := withoutExited(p.trace())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if exited != "exited:ProcessTerminated(exitCode=-1, signal=9, status=9)" {
		t.Errorf("ProcessExited: %q", exited)
	}
	if !settle(2*time.Second, func() bool { return !alive(sleepPid) && !alive(shPid) }) {
		t.Errorf("alive after the group KILL: sleep %d %v, sh %d %v", sleepPid, alive(sleepPid), shPid, alive(shPid))
	}
	h.noErrors()
}

// W-03, P-10 (last row): without a group, KILL reaches the shell alone;
// its `sleep` keeps the pipes open, so ProcessEnded waits for it.
func TestProcess_KillWithoutGroupSparesGrandchild_P10_W03(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	sleepPid := 0
	var aliveAtExit bool
	p.onOut = func(p *traceProto, b []byte) {
		sleepPid = grandchildPid(t, b)
		if err := p.Transport.SignalProcess("KILL"); err != nil {
			t.Error(err)
		}
		if err := p.Transport.SignalProcessGroup("KILL"); !errors.Is(err, ErrNoProcessGroup) {
			t.Errorf("SignalProcessGroup without a group = %v", err)
		}
	}
	p.onExited = func(*traceProto, *reactor.Failure) {
		aliveAtExit = alive(sleepPid)
		_ = syscall.Kill(sleepPid, syscall.SIGKILL) // the test's cleanup: a pid we saw alive
	}
	// No stdin pipe: when the background job drops its stdin is a race.
	opts := SpawnOptions{InheritEnv: true, ChildFDs: map[int]ChildFD{1: ChildFDRead, 2: ChildFDRead}}
	h.run(procTimeout, func() { h.spawn(p, "sh", sh("sleep 100 & echo $!; wait"), opts) })
	if !aliveAtExit {
		t.Error("the grandchild died with the shell; want it to survive a KILL of the shell alone")
	}
	got := p.trace()
	exited := -1
	for i, e := range got {
		if strings.HasPrefix(e, "exited:") {
			exited = i
		}
	}
	// ProcessExited comes before the pipes held by `sleep` are lost.
	if exited < 0 || !cmp.Equal(got[exited+1:], []string{"lost:1", "lost:2", "ended:ProcessTerminated(exitCode=-1, signal=9, status=9)"}) {
		t.Errorf("trace %v", got)
	}
	h.noErrors()
}

// R-17, W-04: shutdown closes the pipes (each reported lost) but leaves the
// child running, unreported; it stays in Processes until KillAndReap.
func TestProcess_ShutdownLeavesChildRunning_R17(t *testing.T) {
	before := openFDs(t)
	h := newHarness(t)
	p := newTrace()
	p.onMade = func(*traceProto) { h.r.CallLater(100*time.Millisecond, func() { _ = h.r.Stop() }) }
	var tr *ProcessTransport
	h.run(procTimeout, func() { tr = h.spawn(p, "sleep", []string{"sleep", "100"}, inheritPath) })
	if diff := cmp.Diff([]string{"connectionMade", "lost:0", "lost:1", "lost:2"}, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	pid := tr.Pid()
	if pid == 0 || !alive(pid) {
		t.Fatalf("child pid %d not alive after shutdown", pid)
	}
	if l := Processes(h.r); len(l) != 1 || l[0] != tr {
		t.Errorf("Processes after shutdown = %v", l)
	}
	if err := tr.KillAndReap(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) || tr.Pid() != 0 || len(Processes(h.r)) != 0 {
		t.Errorf("after KillAndReap: alive %v, Pid %d, Processes %v", alive(pid), tr.Pid(), Processes(h.r))
	}
	if z := zombieChildren(t); len(z) != 0 {
		t.Errorf("zombies %v", z)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds %d -> %d", before, after)
	}
	if diff := cmp.Diff([]string{"connectionMade", "lost:0", "lost:1", "lost:2"}, p.trace()); diff != "" {
		t.Errorf("callbacks after KillAndReap (-want +got):\n%s", diff)
	}
	h.noErrors()
}

// DESIGN.md §8 (children at shutdown): KillOnShutdown kills the group and
// reaps it before the reactor drops its descriptors; no callback follows.
func TestProcess_KillOnShutdown_R17(t *testing.T) {
	before := openFDs(t)
	h := newHarness(t)
	p := newTrace()
	sleepPid := 0
	p.onOut = func(_ *traceProto, b []byte) {
		sleepPid = grandchildPid(t, b)
		_ = h.r.Stop()
	}
	var tr *ProcessTransport
	var shPid int
	h.run(procTimeout, func() {
		tr = h.spawn(p, "sh", sh("sleep 100 & echo $!; wait"), SpawnOptions{InheritEnv: true, NewProcessGroup: true, KillOnShutdown: true})
		shPid = tr.Pid()
	})
	if diff := cmp.Diff([]string{"connectionMade", "out:" + strconv.Itoa(sleepPid) + "\n"}, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if len(Processes(h.r)) != 0 || tr.Pid() != 0 || tr.Status() != 9 {
		t.Errorf("after shutdown: Processes %v, Pid %d, Status %d", Processes(h.r), tr.Pid(), tr.Status())
	}
	if !settle(2*time.Second, func() bool { return !alive(sleepPid) && !alive(shPid) }) {
		t.Errorf("alive after shutdown: sleep %v, sh %v", alive(sleepPid), alive(shPid))
	}
	if z := zombieChildren(t); len(z) != 0 {
		t.Errorf("zombies %v", z)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds %d -> %d", before, after)
	}
	h.noErrors()
}

// W-03, W-04: KillAndReap after the leader exited still kills the group's
// survivors that hold the pipes, and delivers nothing more.
func TestProcess_KillAndReapAfterExitKillsGroup_W04(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := newTrace()
	sleepPid := 0
	var killErr error
	p.onOut = func(_ *traceProto, b []byte) { sleepPid = grandchildPid(t, b) }
	p.onExited = func(p *traceProto, _ *reactor.Failure) {
		h.r.CallLater(0, func() {
			killErr = p.Transport.KillAndReap()
			_ = h.r.Stop()
		})
	}
	h.run(procTimeout, func() {
		h.spawn(p, "sh", sh("sleep 100 & echo $!; exit 4"), SpawnOptions{InheritEnv: true, NewProcessGroup: true, ChildFDs: map[int]ChildFD{1: ChildFDRead, 2: ChildFDRead}})
	})
	if killErr != nil {
		t.Error(killErr)
	}
	want := []string{"connectionMade", "out:" + strconv.Itoa(sleepPid) + "\n", "exited:ProcessTerminated(exitCode=4, signal=0, status=1024)"}
	if diff := cmp.Diff(want, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if !settle(2*time.Second, func() bool { return !alive(sleepPid) }) {
		t.Errorf("sleep %d alive after KillAndReap", sleepPid)
	}
	if len(Processes(h.r)) != 0 || len(h.r.GetReaders()) != 0 {
		t.Errorf("left: %v %v", Processes(h.r), h.r.GetReaders())
	}
	h.noErrors()
}
