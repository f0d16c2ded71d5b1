//go:build unix

package process

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/protocol"
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
		if err := signalNamed(p.Transport, "KILL"); err != nil {
			t.Error(err)
		}
	}
	var shPid int
	h.run(procTimeout, func() {
		tr := h.spawn(p, "sh", sh("sleep 100 & echo $!; wait"), protocol.SpawnOptions{InheritEnv: true, SignalGroup: true})
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
		if err := signalNamed(p.Transport, "KILL"); err != nil {
			t.Error(err)
		}
		// The real transport is a protocol.GroupSignaler.
		if gs, ok := p.Transport.(protocol.GroupSignaler); !ok {
			t.Errorf("transport %T is not a protocol.GroupSignaler", p.Transport)
		} else if err := gs.SignalProcessGroup(mustParseSignal(t, "KILL")); !errors.Is(err, protocol.ErrNoProcessGroup) {
			t.Errorf("SignalProcessGroup without a group = %v", err)
		}
	}
	p.onExited = func(*traceProto, *reactor.Failure) {
		aliveAtExit = alive(sleepPid)
		_ = syscall.Kill(sleepPid, syscall.SIGKILL) // the test's cleanup: a pid we saw alive
	}
	// No stdin pipe: when the background job drops its stdin is a race.
	opts := protocol.SpawnOptions{InheritEnv: true, ChildFDs: map[int]protocol.ChildFD{1: protocol.ChildFDRead, 2: protocol.ChildFDRead}}
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
// child running, unreported, until KillAndReap on the value Spawn returned.
// Live finds children through the reactor's descriptors, and shutdown
// dropped them all (the pidfd too): the child is not Live after it.
func TestProcess_ShutdownLeavesChildRunning_R17(t *testing.T) {
	before := openFDs(t)
	h := newHarness(t)
	p := newTrace()
	p.onMade = func(*traceProto) { h.r.CallLater(100*time.Millisecond, func() { _ = h.r.Stop() }) }
	var tr *Process
	t.Cleanup(func() {
		if tr != nil {
			_ = tr.KillAndReap() // a no-op once the test has done it
		}
	})
	h.run(procTimeout, func() { tr = h.spawn(p, "sleep", []string{"sleep", "100"}, inheritPath) })
	if diff := cmp.Diff([]string{"connectionMade", "lost:0", "lost:1", "lost:2"}, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	pid := tr.Pid()
	if pid == 0 || !alive(pid) {
		t.Fatalf("child pid %d not alive after shutdown", pid)
	}
	if rs, ws := h.r.GetReaders(), h.r.GetWriters(); len(rs) != 0 || len(ws) != 0 {
		t.Errorf("descriptors left after shutdown: readers %v, writers %v", rs, ws)
	}
	if l := Live(h.r); len(l) != 0 {
		t.Errorf("Live after shutdown = %v, want none: the reactor holds none of the child's descriptors", l)
	}
	if err := tr.KillAndReap(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) || tr.Pid() != 0 || len(Live(h.r)) != 0 {
		t.Errorf("after KillAndReap: alive %v, Pid %d, Live %v", alive(pid), tr.Pid(), Live(h.r))
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

// docs/DESIGN.md §8 (children at shutdown): KillOnShutdown kills the group and
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
	var tr *Process
	var shPid int
	h.run(procTimeout, func() {
		tr = h.spawn(p, "sh", sh("sleep 100 & echo $!; wait"), protocol.SpawnOptions{InheritEnv: true, NewProcessGroup: true, KillOnShutdown: true})
		shPid = tr.Pid()
	})
	if diff := cmp.Diff([]string{"connectionMade", "out:" + strconv.Itoa(sleepPid) + "\n"}, p.trace()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if len(Live(h.r)) != 0 || tr.Pid() != 0 || tr.Status() != 9 {
		t.Errorf("after shutdown: Live %v, Pid %d, Status %d", Live(h.r), tr.Pid(), tr.Status())
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
			killErr = p.proc().KillAndReap()
			_ = h.r.Stop()
		})
	}
	h.run(procTimeout, func() {
		h.spawn(p, "sh", sh("sleep 100 & echo $!; exit 4"), protocol.SpawnOptions{InheritEnv: true, NewProcessGroup: true, ChildFDs: map[int]protocol.ChildFD{1: protocol.ChildFDRead, 2: protocol.ChildFDRead}})
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
	if len(Live(h.r)) != 0 || len(h.r.GetReaders()) != 0 {
		t.Errorf("left: %v %v", Live(h.r), h.r.GetReaders())
	}
	h.noErrors()
}

// R-17, W-04: a child the reactor's shutdown left running is still reaped
// when it exits — never left a zombie — without any SIGCHLD handler, and
// signals still reach it until then (and report it gone after).
func TestProcess_ShutdownNeverLeavesAZombie_R17_W04(t *testing.T) {
	before := openFDs(t)
	h := newHarness(t)
	p := newTrace()
	p.onMade = func(*traceProto) { _ = h.r.Stop() }
	var tr *Process
	// The child lives past the shutdown, then exits on its own signal.
	h.run(procTimeout, func() {
		tr = h.spawn(p, "/bin/sh", []string{"sh", "-c", "trap 'exit 3' USR1; while :; do sleep 0.01; done"}, inheritPath)
	})
	pid := tr.Pid()
	if !alive(pid) {
		t.Fatalf("child %d not alive after shutdown", pid)
	}
	if err := tr.SignalProcess(syscall.SIGUSR1); err != nil {
		t.Fatalf("SignalProcess after shutdown: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			break // exited and reaped: not even a zombie is left
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d still present 30 s after it was told to exit (zombies: %v)", pid, zombieChildren(t))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := tr.SignalProcess(syscall.SIGTERM); !errors.Is(err, protocol.ErrProcessExitedAlready) {
		t.Errorf("SignalProcess after the reap = %v, want ErrProcessExitedAlready", err)
	}
	for deadline := time.Now().Add(10 * time.Second); openFDs(t) != before && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds %d -> %d: the orphan's pidfd was not closed", before, after)
	}
	if diff := cmp.Diff([]string{"connectionMade", "lost:0", "lost:1", "lost:2"}, p.trace()); diff != "" {
		t.Errorf("callbacks after shutdown (-want +got):\n%s", diff)
	}
	h.noErrors()
}

// W-03: the group outlives its leader. After the leader was reaped, a
// member it left behind (here holding stdout open, so ProcessEnded waits
// on it) is still reached by SignalProcessGroup; once no member is left,
// SignalProcessGroup reports ErrProcessExitedAlready.
func TestProcess_GroupSignalReachesSurvivorsAfterTheLeaderIsReaped_W03(t *testing.T) {
	h := newHarness(t)
	p := newTrace()
	var afterExit error
	p.onExited = func(p *traceProto, _ *reactor.Failure) {
		afterExit = p.Transport.(protocol.GroupSignaler).SignalProcessGroup(syscall.SIGKILL)
	}
	h.stopOnEnd(p) // after the hook above
	opts := protocol.SpawnOptions{NewProcessGroup: true}
	var tr *Process
	h.run(procTimeout, func() {
		tr = h.spawn(p, "/bin/sh", []string{"sh", "-c", "sleep 60 & exit 0"}, opts)
	})
	if afterExit != nil {
		t.Errorf("SignalProcessGroup after the leader's reap = %v, want the survivor reached", afterExit)
	}
	// The killed survivor is reaped by init, not by us: wait for that.
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if err = tr.SignalProcessGroup(0); errors.Is(err, protocol.ErrProcessExitedAlready) {
			break
		}
	}
	if !errors.Is(err, protocol.ErrProcessExitedAlready) {
		t.Errorf("SignalProcessGroup with nobody left = %v, want ErrProcessExitedAlready", err)
	}
	if z := zombieChildren(t); len(z) != 0 {
		t.Errorf("zombies %v", z)
	}
	h.noErrors()
}
