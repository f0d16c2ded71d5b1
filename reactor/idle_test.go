//go:build linux

package reactor

import (
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU time (user + system) this process has used.
// getrusage(RUSAGE_SELF) cannot fail with a valid pointer.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPUTime returns the CPU time the calling OS thread has used; the
// caller locks its goroutine to the thread so that two readings compare.
func threadCPUTime() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// settle collects what earlier tests left, so that the collector does not
// run during a CPU measurement.
func settle() {
	runtime.GC()
	runtime.GC()
}

// A running reactor whose only timer is an hour away sleeps in epoll: over
// a second of idling the whole process uses almost no CPU.
func TestReactor_IdleBurnsNoCPU(t *testing.T) {
	settle()
	r, _ := newReactor(t)
	far := r.CallLater(time.Hour, func() { t.Error("the hour-away call ran") })
	var used, wall time.Duration
	go func() {
		time.Sleep(100 * time.Millisecond) // let start-up settle
		c0, w0 := cpuTime(), time.Now()
		time.Sleep(time.Second)
		used, wall = cpuTime()-c0, time.Since(w0)
		r.CallFromThread(func() { _ = far.Cancel(); _ = r.Stop() })
	}()
	run(t, r, 10*time.Second)
	t.Logf("idle reactor: %v CPU over %v", used, wall.Round(time.Millisecond))
	if used > 50*time.Millisecond {
		t.Errorf("idle reactor used %v CPU in %v; it should sleep in epoll_wait", used, wall)
	}
}

// Sub-millisecond timers: a chain of 200 µs CallLaters fires each one at or
// after its due time, never early, and the loop sleeps between them instead
// of spinning. The lateness figures are logged, not asserted (the machine is
// shared); the CPU check compares the reactor thread's CPU time with wall
// time, which neither other processes' load nor the collector's background
// work for earlier tests can inflate.
func TestReactor_SubMillisecondTimersNoBusySpin(t *testing.T) {
	settle()
	runtime.LockOSThread() // the reactor runs on this goroutine: measure its thread
	defer runtime.UnlockOSThread()
	r, _ := newReactor(t)
	const n, step = 300, 200 * time.Microsecond
	var late []time.Duration
	var due time.Time
	var c0 time.Duration
	var w0 time.Time
	var next func()
	next = func() {
		now := time.Now()
		if !due.IsZero() {
			late = append(late, now.Sub(due))
		}
		if len(late) == n {
			_ = r.Stop()
			return
		}
		due = time.Now().Add(step)
		r.CallLater(step, next)
	}
	r.CallWhenRunning(func() {
		c0, w0 = threadCPUTime(), time.Now()
		next()
	})
	run(t, r, 30*time.Second)
	used, wall := threadCPUTime()-c0, time.Since(w0)

	sorted := slices.Clone(late)
	slices.Sort(sorted)
	pct := func(p int) time.Duration { return sorted[(len(sorted)-1)*p/100] }
	t.Logf("%d timers of %v: lateness min %v, median %v, p90 %v, p99 %v, max %v; CPU %v over %v wall (%.0f%%); epoll_pwait2: %v",
		n, step, sorted[0], pct(50), pct(90), pct(99), sorted[len(sorted)-1], used, wall.Round(time.Millisecond),
		100*float64(used)/float64(wall), r.poller.tightTimers())
	if sorted[0] < 0 {
		t.Errorf("a timer fired %v early", -sorted[0])
	}
	if pct(50) > 20*time.Millisecond {
		t.Errorf("median lateness %v: the poll timeout is far too coarse", pct(50))
	}
	// A busy-spinning loop would use about as much CPU as wall time.
	if used > wall*6/10 {
		t.Errorf("CPU %v over %v wall: the loop spins while waiting for sub-millisecond timers", used, wall)
	}
}

// While a 'before startup' trigger's Deferred is pending the reactor is not
// yet running; it still sleeps until a timer or I/O is due (Twisted spins
// with a zero poll timeout here).
func TestReactor_StartupWaitDoesNotSpin_R11(t *testing.T) {
	settle()
	r, _ := newReactor(t)
	_, _ = r.AddSystemEventTrigger(Before, "startup", func() *Deferred {
		return DeferLater(r, 300*time.Millisecond, nil)
	})
	var c0 time.Duration
	var w0 time.Time
	_, _ = r.AddSystemEventTrigger(Before, "startup", func() *Deferred {
		c0, w0 = cpuTime(), time.Now()
		return nil
	})
	var used, wall time.Duration
	r.CallWhenRunning(func() {
		used, wall = cpuTime()-c0, time.Since(w0)
		_ = r.Stop()
	})
	run(t, r, 10*time.Second)
	t.Logf("startup wait: %v CPU over %v", used, wall.Round(time.Millisecond))
	if wall < 250*time.Millisecond {
		t.Errorf("running after %v, before the 300ms 'before startup' Deferred", wall)
	}
	if used > wall/3 {
		t.Errorf("%v CPU over a %v startup wait: the loop spins", used, wall)
	}
}
