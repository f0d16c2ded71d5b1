package procmon_test

// Readiness, beyond Twisted, on the fake doubles: the clock moves only
// when the test advances it, and each connect attempt waits for the test
// to refuse or accept it.

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/procmon"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

func withPort(port int, deadline time.Duration) procmon.ProcessOptions {
	return procmon.ProcessOptions{Ready: procmon.Readiness{Port: port, Deadline: deadline}}
}

// lastClient returns the latest connect attempt, checking how many there
// have been.
func (f *fixture) lastClient(t *testing.T, attempts int) braidtest.TCPClient {
	t.Helper()
	if n := len(f.r.TCPClients); n != attempts {
		t.Fatalf("%d connect attempts, want %d", n, attempts)
	}
	return f.r.TCPClients[attempts-1]
}

// Without a check, a process is ready once spawned: Ready waits for the
// first run, and fires with its protocol.
func TestReady_WithoutCheckFiresOnceSpawned(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	d := f.pm.Ready("foo")
	trial.AssertNoResult(t, d)
	f.pm.StartService()
	if got := trial.SuccessResultOf(t, d); got != f.pm.Protocol("foo") {
		t.Errorf("Ready fired with %v, want the running protocol", got)
	}
	if got := trial.SuccessResultOf(t, f.pm.Ready("foo")); got != f.pm.Protocol("foo") {
		t.Errorf("Ready on a ready process fired with %v", got)
	}
}

// While a restart is pending, Ready waits for the next run.
func TestReady_WaitsForTheNextRun(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	first := f.pm.Protocol("foo")
	first.ProcessEnded(processDone()) // a quick death: restart in 2 s
	d := f.pm.Ready("foo")
	f.r.Advance(time.Second)
	trial.AssertNoResult(t, d)
	f.r.Advance(time.Second)
	if got := trial.SuccessResultOf(t, d); got == first || got != f.pm.Protocol("foo") {
		t.Errorf("Ready fired with %v, want the new run %v", got, f.pm.Protocol("foo"))
	}
}

// The probe connects at the spawn, retries refused connects after a pause
// that grows with the time waited (1/200 of it, from 1 ms to 100 ms), and
// the process is ready once a connect succeeds; the probe closes its
// connection.
func TestReady_ProbeRetriesRefusedConnectsWithBackoff(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "db", []string{"db"}, withPort(5432, 0))
	d := f.pm.Ready("db")
	f.pm.StartService()
	c := f.lastClient(t, 1)
	if c.Host != "127.0.0.1" || c.Port != 5432 {
		t.Errorf("probed %s:%d, want 127.0.0.1:5432", c.Host, c.Port)
	}
	refuse(c)
	f.r.Advance(0) // ClientCreator reports on the next step
	f.lastClient(t, 1)
	f.r.Advance(time.Millisecond) // the first pause: 1 ms
	refuse(f.lastClient(t, 2))

	f.r.Advance(10*time.Second - time.Millisecond) // 10 s waited: a 50 ms pause
	f.lastClient(t, 2)
	f.r.Advance(50*time.Millisecond - time.Microsecond)
	f.lastClient(t, 2)
	f.r.Advance(time.Microsecond)
	refuse(f.lastClient(t, 3))

	f.r.Advance(time.Minute) // a minute waited: the 100 ms cap
	f.r.Advance(100 * time.Millisecond)
	c = f.lastClient(t, 4)
	trial.AssertNoResult(t, d)
	tr := accept(c)
	if !tr.Disconnecting {
		t.Error("the probe did not close its connection")
	}
	f.r.Advance(0)
	if got := trial.SuccessResultOf(t, d); got != f.pm.Protocol("db") {
		t.Errorf("Ready fired with %v", got)
	}
	f.r.Advance(time.Hour)
	f.lastClient(t, 4) // no attempt after success
}

// A run that ends before its port accepts fails Ready with its exit
// reason, and the probe stops; the next run is probed afresh.
func TestReady_FailsWhenTheRunEndsFirst(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "db", []string{"db"}, withPort(5432, 0))
	f.pm.StartService()
	d := f.pm.Ready("db")
	refuse(f.lastClient(t, 1))
	f.r.Advance(0)
	reason := reactor.NewFailure(&protocol.ProcessTerminated{ExitCode: 3, Status: 3 << 8})
	f.pm.Protocol("db").ProcessEnded(reason)
	fail := trial.FailureResultOf(t, d, trial.OfType[*procmon.NotReadyError]())
	nre, _ := errors.AsType[*procmon.NotReadyError](fail)
	if pt, ok := errors.AsType[*protocol.ProcessTerminated](fail); !ok || pt.ExitCode != 3 {
		t.Errorf("failure %v, want the exit reason", fail)
	}
	if nre.Name != "db" || nre.Port != 5432 || nre.Host != "127.0.0.1" || nre.Attempts != 1 {
		t.Errorf("NotReadyError %+v", nre)
	}
	f.r.Advance(time.Millisecond)
	f.lastClient(t, 1) // the retry was cancelled
	f.r.Advance(f.pm.MinRestartDelay)
	f.lastClient(t, 2) // the new run's first attempt
}

// When the deadline passes, Ready fails and the process is stopped as by
// StopProcess; once it has ended it is restarted and probed again.
func TestReady_DeadlineFailsAndStopsTheProcess(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "db", []string{"db"}, withPort(5432, 5*time.Second))
	f.pm.StartService()
	d := f.pm.Ready("db")
	proc := f.transport(t, "db")
	f.r.Advance(5*time.Second - time.Millisecond)
	trial.AssertNoResult(t, d) // the first attempt is still in flight
	f.r.Advance(time.Millisecond)
	fail := trial.FailureResultOf(t, d, procmon.ErrReadyDeadline)
	if n := f.lastClient(t, 1).Connector.DisconnectCalls; n != 1 {
		t.Errorf("the attempt in flight was disconnected %d times, want once (abandoned)", n)
	}
	if nre, _ := errors.AsType[*procmon.NotReadyError](fail); nre.Deadline != 5*time.Second {
		t.Errorf("NotReadyError %+v, want the 5s deadline", nre)
	}
	if len(proc.Signals) != 1 || proc.Signals[0] != syscall.SIGTERM {
		t.Errorf("signals %v, want SIGTERM", proc.Signals)
	}
	if dc := f.pm.MurderCall("db"); dc == nil || !dc.Active() {
		t.Error("no SIGKILL pending")
	}
	// While the stopped run lasts, Ready fails at once.
	trial.FailureResultOf(t, f.pm.Ready("db"), procmon.ErrReadyDeadline)
	f.r.Advance(proc.terminationDelay) // it ends, quickly: restart in 2 s
	next := f.pm.Ready("db")
	f.r.Advance(f.pm.MinRestartDelay)
	accept(f.lastClient(t, 2))
	f.r.Advance(0)
	trial.SuccessResultOf(t, next)
}

// A connect failure other than a refusal ends the check: Ready fails with
// it and no attempt follows; the process runs on.
func TestReady_OtherConnectFailureEndsTheCheck(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "db", []string{"db"}, procmon.ProcessOptions{Ready: procmon.Readiness{Host: "192.0.2.1", Port: 5432}})
	f.pm.StartService()
	d := f.pm.Ready("db")
	c := f.lastClient(t, 1)
	if c.Host != "192.0.2.1" {
		t.Errorf("probed %s, want the Host given", c.Host)
	}
	c.Factory.ClientConnectionFailed(c.Connector, reactor.NewFailure(&protocol.ConnectError{OSError: syscall.EHOSTUNREACH}))
	f.r.Advance(0)
	trial.FailureResultOf(t, d, syscall.EHOSTUNREACH)
	trial.FailureResultOf(t, f.pm.Ready("db"), syscall.EHOSTUNREACH)
	f.r.Advance(time.Hour)
	f.lastClient(t, 1)
	if f.pm.Protocol("db") == nil {
		t.Error("the process was stopped")
	}
}

// RemoveProcess fails the waiters; StopService fails those of processes
// that are not running; an unknown name fails at once.
func TestReady_FailsWhenRemovedStoppedOrUnknown(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "a", []string{"a"}, procmon.ProcessOptions{})
	mustAdd(t, f.pm, "b", []string{"b"}, withPort(80, 0))
	removed, stopped := f.pm.Ready("a"), f.pm.Ready("b")
	if err := f.pm.RemoveProcess("a"); err != nil {
		t.Fatal(err)
	}
	trial.FailureResultOf(t, removed, procmon.ErrProcessRemoved)
	f.pm.StopService()
	fail := trial.FailureResultOf(t, stopped, procmon.ErrServiceStopped)
	if nre, _ := errors.AsType[*procmon.NotReadyError](fail); nre.Port != 80 {
		t.Errorf("NotReadyError %+v, want port 80", nre)
	}
	trial.FailureResultOf(t, f.pm.Ready("nobody"), procmon.ErrUnknownProcess)
}

// Cancelling one Ready Deferred ends its wait alone.
func TestReady_CancelEndsOneWait(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	cancelled, kept := f.pm.Ready("foo"), f.pm.Ready("foo")
	cancelled.Cancel()
	trial.FailureResultOf(t, cancelled, reactor.ErrCancelled)
	f.pm.StartService()
	trial.SuccessResultOf(t, kept)
}

// A spawn failure is logged, fails Ready with the spawn error, and is
// retried as a quick death.
func TestReady_SpawnFailure(t *testing.T) {
	r := newDummyProcessReactor()
	r.spawnError = syscall.ENOENT
	pm := procmon.New(r)
	mustAdd(t, pm, "ghost", []string{"/nonexistent"}, procmon.ProcessOptions{})
	d := pm.Ready("ghost")
	pm.StartService()
	fail := trial.FailureResultOf(t, d, syscall.ENOENT)
	if _, ok := errors.AsType[*protocol.SpawnError](fail); !ok {
		t.Errorf("failure %v, want the *protocol.SpawnError", fail)
	}
	if len(r.LoggedErrors) != 1 || !errors.Is(r.LoggedErrors[0].Failure, syscall.ENOENT) {
		t.Errorf("logged %v, want the spawn error", r.LoggedErrors)
	}
	if pm.Protocol("ghost") != nil {
		t.Error("a protocol is kept for a run that never started")
	}
	if got := pm.Delay("ghost"); got != 2*procmon.DefaultMinRestartDelay {
		t.Errorf("delay %v, want doubled", got)
	}
	r.spawnError = nil
	r.Advance(procmon.DefaultMinRestartDelay)
	if pm.Protocol("ghost") == nil {
		t.Error("not restarted")
	}
}
