package process

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/protocol"
)

// The build tag braid_nopidfd forces the waitid watcher; without it the
// pidfd watcher is chosen exactly when the kernel has it. Every child
// Spawn starts gets the chosen kind.
func TestExitWatcher_KindFollowsTagAndKernel(t *testing.T) {
	t.Parallel()
	want := watchWaitid
	if !forceNoPidfd && pidfdWorks() {
		want = watchPidfd
	}
	if got := exitWatcherKind(); got != want {
		t.Fatalf("exitWatcherKind() = %q, want %q (braid_nopidfd %v)", got, want, forceNoPidfd)
	}
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var kind string
	p.onMade = func(p *traceProto) { kind = p.proc().exit.w.kind() }
	h.run(procTimeout, func() { h.spawn(p, "/bin/true", []string{"true"}, protocol.SpawnOptions{}) })
	if kind != want {
		t.Errorf("the child's watcher is %q, want %q", kind, want)
	}
	h.noErrors()
}

// watchKinds lists the watchers this kernel can run: waitid always,
// pidfd where the kernel has it (whatever the build tag says).
func watchKinds() []string {
	if pidfdWorks() {
		return []string{watchWaitid, watchPidfd}
	}
	return []string{watchWaitid}
}

// watched is a child forked for a watcher test, with its watcher.
type watched struct {
	t      *testing.T
	pid    int
	w      exitWatcher
	reaped bool
}

// startWatched forks argv (no descriptors) and watches it with a watcher
// of kind. A child the test leaves unreaped is killed and reaped at the
// end.
func startWatched(t *testing.T, kind string, argv ...string) *watched {
	t.Helper()
	path, err := exec.LookPath(argv[0])
	if err != nil {
		t.Fatal(err)
	}
	sys := &syscall.SysProcAttr{}
	pidfd := -1
	if kind == watchPidfd {
		sys.PidFD = &pidfd
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: os.Environ(), Sys: sys})
	if err != nil {
		t.Fatal(err)
	}
	c := &watched{t: t, pid: pid}
	if kind == watchPidfd {
		c.w = &pidfdWatcher{pidfd: pidfd}
	} else if c.w, err = newWaitidWatcher(pid); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !c.reaped {
			_ = c.w.signal(syscall.SIGKILL)
			awaitExit(c.w, 5*time.Second)
			_, _, _ = c.w.reap()
			c.w.close()
		}
	})
	return c
}

// reap waits for the exit and reaps, failing the test if it cannot.
func (c *watched) reap() syscall.WaitStatus {
	c.t.Helper()
	deadline := time.Now().Add(procTimeout)
	for {
		if !awaitExit(c.w, time.Until(deadline)) {
			c.t.Fatalf("pid %d: no exit seen in %v", c.pid, procTimeout)
		}
		st, ok, err := c.w.reap()
		if err != nil {
			c.t.Fatalf("pid %d: reap: %v", c.pid, err)
		}
		if ok {
			c.reaped = true
			c.w.close()
			return st
		}
	}
}

// gone reports whether pid has left the process table (not even a zombie).
func gone(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return os.IsNotExist(err)
}

// The watcher says "exited" without reaping: the child stays a zombie —
// so its pid is still ours and a signal cannot reach a stranger — until
// the owner reaps, and after that it is gone, not left a zombie.
func TestExitWatcher_ZombieUntilReapedThenGone(t *testing.T) {
	t.Parallel()
	for _, kind := range watchKinds() {
		t.Run(kind, func(t *testing.T) {
			c := startWatched(t, kind, "true")
			if !awaitExit(c.w, procTimeout) {
				t.Fatal("no exit seen")
			}
			if st, _, ok := procStat(c.pid); !ok || st != 'Z' {
				t.Errorf("after the exit was seen: state %q (present %v), want a zombie", st, ok)
			}
			if err := c.w.signal(0); err != nil {
				t.Errorf("signal 0 to the unreaped zombie: %v", err)
			}
			if st := c.reap(); !st.Exited() || st.ExitStatus() != 0 {
				t.Errorf("status %#x, want exit 0", st)
			}
			if !gone(c.pid) {
				t.Errorf("pid %d still in the process table after the reap", c.pid)
			}
		})
	}
}

// Signals sent before the reap reach the child: its status says so.
func TestExitWatcher_SignalBeforeReapDelivered(t *testing.T) {
	t.Parallel()
	for _, kind := range watchKinds() {
		t.Run(kind, func(t *testing.T) {
			c := startWatched(t, kind, "sleep", "100")
			if err := c.w.signal(syscall.SIGTERM); err != nil {
				t.Fatalf("signal: %v", err)
			}
			if st := c.reap(); !st.Signaled() || st.Signal() != syscall.SIGTERM {
				t.Errorf("status %#x, want killed by SIGTERM", st)
			}
		})
	}
}

// A child that has exited before its watcher exists (the waiter starts
// after the fork) is still seen and reaped.
func TestExitWatcher_ExitBeforeTheWaiterStarts(t *testing.T) {
	t.Parallel()
	path, err := exec.LookPath("false")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := syscall.ForkExec(path, []string{"false"}, &syscall.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if !settle(procTimeout, func() bool { st, _, ok := procStat(pid); return ok && st == 'Z' }) {
		t.Fatalf("pid %d did not become a zombie", pid)
	}
	w, err := newWaitidWatcher(pid)
	if err != nil {
		t.Fatal(err)
	}
	c := &watched{t: t, pid: pid, w: w}
	if st := c.reap(); !st.Exited() || st.ExitStatus() != 1 {
		t.Errorf("status %#x, want exit 1", st)
	}
}

// The orphanage reaps a child its reactor dropped, with either watcher:
// signals reach the child through it until the reap, ESRCH after, and no
// zombie is left.
func TestOrphanage_ReapsWithEitherWatcher(t *testing.T) {
	t.Parallel()
	for _, kind := range watchKinds() {
		t.Run(kind, func(t *testing.T) {
			c := startWatched(t, kind, "sleep", "100")
			c.reaped = true // the orphanage's now
			o := adopt(c.w)
			if err := o.signal(0); err != nil {
				t.Errorf("signal 0 to the running orphan: %v", err)
			}
			if err := o.signal(syscall.SIGTERM); err != nil {
				t.Fatalf("signal to the orphan: %v", err)
			}
			if !o.wait(procTimeout) {
				t.Fatalf("orphan %d not reaped", c.pid)
			}
			if !gone(c.pid) {
				t.Errorf("orphan %d left in the process table", c.pid)
			}
			if err := o.signal(syscall.SIGKILL); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("signal after the reap = %v, want ESRCH", err)
			}
		})
	}
}

// A child KillAndReap gave up on (SIGKILLed but not reaped within
// killReapTimeout, as a process stuck in the kernel may be) keeps its
// watcher with the reactor; if the reactor then shuts down, the orphanage
// must take it, so that it is reaped once it does die, not left a zombie.
func TestOrphanage_TakesAChildKillAndReapGaveUpOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := newTrace()
	var tr *Process
	p.onMade = func(tp *traceProto) {
		tr = tp.proc()
		tr.killed = true // what a KillAndReap that timed out leaves behind
		_ = h.r.Stop()
	}
	h.run(procTimeout, func() { h.spawn(p, "/bin/sleep", []string{"sleep", "100"}, protocol.SpawnOptions{}) })
	pid := tr.origPid
	if tr.orphan == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_, _ = syscall.Wait4(pid, nil, 0, nil)
		t.Fatal("the reactor closed the watcher of an unreaped child instead of handing it to the orphanage")
	}
	if err := tr.SignalProcess(syscall.SIGKILL); err != nil {
		t.Errorf("SIGKILL through the orphanage: %v", err)
	}
	if !tr.orphan.wait(procTimeout) {
		t.Fatalf("pid %d not reaped by the orphanage", pid)
	}
	if !gone(pid) {
		t.Errorf("pid %d left in the process table", pid)
	}
}

// PID reuse: once the child is reaped — by the reactor, or by the
// orphanage after a shutdown — its pid may go to a stranger at once.
// SignalProcess must then report ErrProcessExitedAlready and leave the
// stranger alone. The stranger is made to get exactly the old pid through
// /proc/sys/kernel/ns_last_pid, which needs root.
func TestProcess_SignalAfterReapSparesAStrangerWithThePid_W01(t *testing.T) {
	const lastPid = "/proc/sys/kernel/ns_last_pid"
	if f, err := os.OpenFile(lastPid, os.O_WRONLY, 0); err != nil {
		t.Skipf("cannot choose the next pid (%v): needs root", err)
	} else {
		f.Close()
	}
	for _, how := range []string{"reactor", "orphanage"} {
		t.Run(how, func(t *testing.T) {
			// Any thread or process started on the machine between the
			// reap and the stranger's fork can take the pid first; then a
			// fresh child, with a fresh pid, starts the scenario again.
			const scenarios = 10
			for range scenarios {
				h := newHarness(t)
				tr := reapedChild(t, h, how)
				stranger := startWithPid(t, lastPid, tr.origPid)
				if stranger == nil {
					continue
				}
				if err := tr.SignalProcess(syscall.SIGKILL); !errors.Is(err, protocol.ErrProcessExitedAlready) {
					t.Errorf("SignalProcess after the reap = %v, want ErrProcessExitedAlready", err)
				}
				if err := tr.sendSignal(syscall.SIGKILL); !errors.Is(err, syscall.ESRCH) {
					t.Errorf("sendSignal after the reap = %v, want ESRCH", err)
				}
				if err := tr.KillAndReap(); err != nil {
					t.Error(err)
				}
				if !alive(stranger.Process.Pid) {
					t.Errorf("the stranger with pid %d was signalled", tr.origPid)
				}
				h.noErrors()
				return
			}
			t.Fatalf("in %d tries, something else always took the reaped child's pid first", scenarios)
		})
	}
}

// reapedChild spawns a short child and returns it once it has been
// reaped: by the reactor, or by the orphanage after the reactor stopped.
func reapedChild(t *testing.T, h *procHarness, how string) *Process {
	t.Helper()
	p := newTrace()
	var tr *Process
	if how == "reactor" {
		h.stopOnEnd(p)
		h.run(procTimeout, func() { tr = h.spawn(p, "/bin/true", []string{"true"}, protocol.SpawnOptions{}) })
		return tr
	}
	p.onMade = func(*traceProto) { _ = h.r.Stop() }
	h.run(procTimeout, func() { tr = h.spawn(p, "/bin/sleep", []string{"sleep", "0.2"}, protocol.SpawnOptions{}) })
	if tr.orphan == nil || !tr.orphan.wait(procTimeout) {
		t.Fatal("the orphanage did not reap the child")
	}
	return tr
}

// startWithPid starts `sleep 100` as pid, retrying while other forks on
// the machine race it for the pid. It returns nil once the pid is held by
// someone else (a process, or a thread: threads draw from the same
// numbers), since no retry can get it then. The stranger is killed and
// reaped at the end of the test.
func startWithPid(t *testing.T, lastPid string, pid int) *exec.Cmd {
	t.Helper()
	for range 50 {
		if !gone(pid) {
			return nil
		}
		if err := os.WriteFile(lastPid, []byte(strconv.Itoa(pid-1)), 0); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("/bin/sleep", "100")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		if cmd.Process.Pid == pid {
			return cmd
		}
	}
	return nil
}
