//go:build unix

package reactor

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// R-11 (E-01): Run fires startup: 'before' triggers, the 'during' phase (the
// reactor's own, which sets Running, then the user's), 'after' triggers,
// then the first timed calls. CallWhenRunning before Run is an 'after'
// trigger; while running it calls at once.
func TestReactor_StartupOrder_E01_R11(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	trig := func(p Phase, name string) {
		t.Helper()
		if _, err := r.AddSystemEventTrigger(p, "startup", func() *Deferred {
			ev.add(name + running(r))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	trig(Before, "before-startup 1")
	trig(After, "after-startup")
	trig(During, "during-startup")
	trig(Before, "before-startup 2")
	r.CallWhenRunning(func() {
		ev.add("callWhenRunning" + running(r))
		r.CallWhenRunning(ev.adder("callWhenRunning while running, at once"))
		ev.add("callWhenRunning returned")
	})
	r.CallLater(0, func() { ev.add("first timed call"); _ = r.Stop() })
	run(t, r, 5*time.Second)
	want := events{"before-startup 1 (not running)", "before-startup 2 (not running)", "during-startup (running)",
		"after-startup (running)", "callWhenRunning (running)", "callWhenRunning while running, at once",
		"callWhenRunning returned", "first timed call"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func running(r *Reactor) string {
	if r.Running() {
		return " (running)"
	}
	return " (not running)"
}

// a bad phase is an error value; triggers can be removed; a panic in a
// trigger is logged and the others run; any event name can be fired.
func TestReactor_SystemEventTriggers_R12(t *testing.T) {
	r, log := newReactor(t)
	if _, err := r.AddSystemEventTrigger("sometime", "startup", nil); !errors.Is(err, ErrUnknownPhase) {
		t.Errorf("unknown phase: err = %v, want ErrUnknownPhase", err)
	}
	var ev events
	add := func(p Phase, name string, f func() *Deferred) TriggerID {
		t.Helper()
		id, err := r.AddSystemEventTrigger(p, "custom", f)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	add(Before, "b1", func() *Deferred { ev.add("b1"); return nil })
	removed := add(Before, "b2", func() *Deferred { ev.add("b2 (removed)"); return nil })
	add(During, "d1", func() *Deferred { ev.add("d1"); panic("trigger panicked") })
	add(During, "d2", func() *Deferred { ev.add("d2"); return nil })
	add(After, "a1", func() *Deferred { ev.add("a1"); return nil })
	add(After, "nil func", nil)
	if err := r.RemoveSystemEventTrigger(removed); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if err := r.RemoveSystemEventTrigger(removed); !errors.Is(err, ErrUnknownTrigger) {
		t.Errorf("second remove: err = %v, want ErrUnknownTrigger", err)
	}
	if err := r.RemoveSystemEventTrigger(0); !errors.Is(err, ErrUnknownTrigger) {
		t.Errorf("zero TriggerID: err = %v, want ErrUnknownTrigger", err)
	}
	r.FireSystemEvent("custom")
	r.FireSystemEvent("never registered") // nothing to do, no panic
	if diff := cmp.Diff(events{"b1", "d1", "d2", "a1"}, ev); diff != "" {
		t.Errorf("triggers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"system event trigger for custom"}, log.whys()); diff != "" {
		t.Errorf("logged (-want +got):\n%s", diff)
	}
	// Triggers are consumed when they run.
	ev = nil
	r.FireSystemEvent("custom")
	if len(ev) != 0 {
		t.Errorf("second firing ran %v", ev)
	}
}

// removing a 'before' trigger that already ran while the event waits
// on 'before' Deferreds is a no-op, as in Twisted.
func TestReactor_RemoveFinishedBeforeTriggerWhileFiring_R12(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	wait := NewDeferred(nil)
	id, _ := r.AddSystemEventTrigger(Before, "custom", func() *Deferred { ev.add("before"); return wait })
	_, _ = r.AddSystemEventTrigger(During, "custom", func() *Deferred { ev.add("during"); return nil })
	r.FireSystemEvent("custom")
	if err := r.RemoveSystemEventTrigger(id); err != nil {
		t.Errorf("removing a finished before trigger: %v", err)
	}
	ev.add("before's Deferred fires")
	_ = wait.Callback(nil)
	if diff := cmp.Diff(events{"before", "before's Deferred fires", "during"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// R-12 (E-03): a 'before shutdown' trigger returning a Deferred delays the
// 'during' phase; timed calls keep running meanwhile.
func TestReactor_BeforeShutdownDeferredDelaysShutdown_E03_R12(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	_, _ = r.AddSystemEventTrigger(Before, "shutdown", func() *Deferred {
		ev.add("before shutdown")
		return DeferLater(r, 200*time.Millisecond, func() (any, error) { ev.add("before's Deferred fires"); return nil, nil })
	})
	_, _ = r.AddSystemEventTrigger(During, "shutdown", func() *Deferred { ev.add("during shutdown" + running(r)); return nil })
	_, _ = r.AddSystemEventTrigger(After, "shutdown", func() *Deferred { ev.add("after shutdown"); return nil })
	var stoppedAt time.Time
	r.CallLater(100*time.Millisecond, func() {
		ev.add("stop")
		stoppedAt = time.Now()
		if err := r.Stop(); err != nil {
			t.Error(err)
		}
		r.CallLater(50*time.Millisecond, ev.adder("timed call during the wait"+running(r)))
	})
	run(t, r, 10*time.Second)
	want := events{"stop", "before shutdown", "timed call during the wait (running)", "before's Deferred fires",
		"during shutdown (not running)", "after shutdown"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if waited := time.Since(stoppedAt); waited < 200*time.Millisecond {
		t.Errorf("Run returned %v after Stop, before the 200ms 'before' Deferred", waited)
	}
}

// Stop's errors; the shutdown event fires at the end of the current
// pass, so a call due in the same pass still runs first; the reactor's own
// 'during' triggers (crash, then disconnectAll giving every descriptor
// ConnectionLost) run before the user's.
func TestReactor_StopAndDisconnectAll_E03_R13(t *testing.T) {
	r, _ := newReactor(t)
	if err := r.Stop(); !errors.Is(err, ErrReactorNotRunning) {
		t.Errorf("Stop before Run: err = %v, want ErrReactorNotRunning", err)
	}
	var ev events
	rfd, wfd := pipe(t)
	reader := &desc{name: "pipe reader", fd: rfd, ev: &ev}
	writer := &desc{name: "pipe writer", fd: wfd, ev: &ev}
	if err := r.AddReader(reader); err != nil {
		t.Fatal(err)
	}
	_, _ = r.AddSystemEventTrigger(Before, "shutdown", func() *Deferred { ev.add("before shutdown"); return nil })
	_, _ = r.AddSystemEventTrigger(During, "shutdown", func() *Deferred {
		ev.add("user during shutdown" + running(r))
		if n := len(r.GetReaders()) + len(r.GetWriters()); n != 0 {
			t.Errorf("%d descriptors still registered in the user's during trigger", n)
		}
		return nil
	})
	var stopErrs []error
	r.CallLater(time.Millisecond, func() {
		// Always writable: added only now, it is never polled before shutdown.
		if err := r.AddWriter(writer); err != nil {
			t.Error(err)
		}
		ev.add("stop")
		stopErrs = append(stopErrs, r.Stop(), r.Stop())
	})
	r.CallLater(time.Millisecond, ev.adder("same-pass call"))
	run(t, r, 5*time.Second)
	want := events{"stop", "same-pass call", "before shutdown", "pipe reader lost: lost", "pipe writer lost: lost",
		"user during shutdown (not running)"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if len(stopErrs) != 2 || stopErrs[0] != nil || !errors.Is(stopErrs[1], ErrReactorNotRunning) {
		t.Errorf("Stop, Stop = %v, want nil then ErrReactorNotRunning", stopErrs)
	}
	if err := r.Stop(); !errors.Is(err, ErrReactorNotRunning) {
		t.Errorf("Stop after Run returned: err = %v, want ErrReactorNotRunning", err)
	}
}

// R-14 (E-04): Run inside Run and Run after Stop are refused.
func TestReactor_RunTwice_E04_R14(t *testing.T) {
	r, _ := newReactor(t)
	var inner error
	r.CallWhenRunning(func() { inner = r.Run(); _ = r.Stop() })
	run(t, r, 5*time.Second)
	if !errors.Is(inner, ErrReactorAlreadyRunning) {
		t.Errorf("Run inside Run: err = %v, want ErrReactorAlreadyRunning", inner)
	}
	if err := r.Run(); !errors.Is(err, ErrReactorNotRestartable) {
		t.Errorf("Run after Stop: err = %v, want ErrReactorNotRestartable", err)
	}
	if r.Running() {
		t.Error("Running after Run returned")
	}
}

// R-15 (E-04): Crash leaves the loop at the end of the pass (a call due in the
// same pass still runs), fires no shutdown triggers and leaves the reactor
// runnable: Run again fires startup again.
func TestReactor_CrashThenRunAgain_E04_R15(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	_, _ = r.AddSystemEventTrigger(Before, "shutdown", func() *Deferred { ev.add("shutdown trigger"); return nil })
	r.CallLater(0, func() { ev.add("crash"); r.Crash() })
	r.CallLater(0, ev.adder("same-pass call after crash"))
	r.CallLater(time.Hour, ev.adder("never"))
	run(t, r, 5*time.Second)
	ev.add("Run returned" + running(r))
	r.CallWhenRunning(func() { ev.add("second run" + running(r)); _ = r.Stop() })
	run(t, r, 5*time.Second)
	want := events{"crash", "same-pass call after crash", "Run returned (not running)", "second run (running)", "shutdown trigger"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// R-16 (E-04): Iterate runs due calls and polls once while the reactor is
// not running; the poll returns as soon as I/O is ready.
func TestReactor_IterateWhileNotRunning_E04_R16(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	r.CallLater(0, ev.adder("timer"+running(r)))
	r.Iterate(0)
	if diff := cmp.Diff(events{"timer (not running)"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	rfd, wfd := pipe(t)
	rd := &desc{name: "reader", fd: rfd, ev: &ev}
	if err := r.AddReader(rd); err != nil {
		t.Fatal(err)
	}
	ev = nil
	go func() { time.Sleep(10 * time.Millisecond); _, _ = unix.Write(wfd, []byte("x")) }()
	start := time.Now()
	r.Iterate(5 * time.Second)
	if waited := time.Since(start); waited > 4*time.Second {
		t.Errorf("Iterate did not return on I/O (took %v)", waited)
	}
	if diff := cmp.Diff(events{"reader read"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r.RemoveReader(rd)
}

// R-17 (E-03): shutdown closes a child's pipes (ConnectionLost) but does not
// kill the child.
func TestReactor_ShutdownLeavesChildRunning_E03_R17(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("sleep not found: %v", err)
	}
	r, _ := newReactor(t)
	rfd, wfd := pipe(t)
	cmd := exec.Command(sleep, "30")
	out := os.NewFile(uintptr(wfd), "child stdout")
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	closeFD(wfd) // the child holds its own copy
	var ev events
	if err := r.AddReader(&desc{name: "child stdout", fd: rfd, ev: &ev}); err != nil {
		t.Fatal(err)
	}
	r.CallLater(10*time.Millisecond, func() { _ = r.Stop() })
	run(t, r, 5*time.Second)
	if diff := cmp.Diff(events{"child stdout lost: lost"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := syscall.Kill(cmd.Process.Pid, 0); err != nil {
		t.Errorf("child pid %d gone after shutdown: %v", cmd.Process.Pid, err)
	}
}

// WithSignalHandlers: SIGTERM stops the reactor through the shutdown event.
func TestReactor_SignalHandlersStopOnSIGTERM(t *testing.T) {
	log := &errorLog{}
	r, err := New(WithSignalHandlers(), WithErrorObserver(log.observe))
	if err != nil {
		t.Fatal(err)
	}
	var ev events
	_, _ = r.AddSystemEventTrigger(During, "shutdown", func() *Deferred { ev.add("shutdown"); return nil })
	r.CallWhenRunning(func() {
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Error(err)
		}
	})
	run(t, r, 5*time.Second)
	if diff := cmp.Diff(events{"shutdown"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// After Run returns (which releases the epoll set and eventfd), a late
// Iterate or AddReader gets a fresh poller instead of a closed descriptor;
// a thread call queued meanwhile runs at that Iterate.
func TestReactor_UsableAfterRunReleasedPoller(t *testing.T) {
	r, log := newReactor(t)
	r.CallWhenRunning(func() { _ = r.Stop() })
	run(t, r, 5*time.Second)
	var ev events
	r.CallFromThread(ev.adder("queued after Run returned"))
	r.CallLater(0, ev.adder("late timer"))
	rfd, wfd := pipe(t)
	if err := r.AddReader(&desc{name: "late reader", fd: rfd, ev: &ev}); err != nil {
		t.Fatalf("AddReader after Run: %v", err)
	}
	writeFD(t, wfd, "x")
	r.Iterate(0)
	want := events{"queued after Run returned", "late timer", "late reader read"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(log.evs) != 0 {
		t.Errorf("logged %v", log.whys())
	}
	r.RemoveAll()
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}

// LogError hands errors to the observer WithErrorObserver set (a nil
// Failure is ignored); without one, they go to log/slog.
func TestReactor_ErrorObserver(t *testing.T) {
	var mine []string
	r, err := New(WithErrorObserver(func(e ErrorEvent) { mine = append(mine, e.Why+": "+e.Failure.ErrorMessage()) }))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.LogError(NewFailure(errors.New("to mine")), "test")
	r.LogError(nil, "nil failure is ignored")
	if diff := cmp.Diff([]string{"test: to mine"}, mine); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	r, err = New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.LogError(NewFailure(errors.New("to slog")), "default observer")
	if out := buf.String(); !strings.Contains(out, "default observer") || !strings.Contains(out, "to slog") {
		t.Errorf("slog got %q", out)
	}
}
