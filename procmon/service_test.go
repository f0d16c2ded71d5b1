package procmon_test

// The monitor's life cycle beyond the ported tests, on the fake doubles.

import (
	"errors"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/procmon"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/trial"
)

// New sets Twisted's defaults.
func TestNew_TwistedDefaults(t *testing.T) {
	pm := procmon.New(newDummyProcessReactor())
	if pm.Threshold != time.Second || pm.KillTime != 5*time.Second ||
		pm.MinRestartDelay != time.Second || pm.MaxRestartDelay != time.Hour {
		t.Errorf("defaults %v %v %v %v", pm.Threshold, pm.KillTime, pm.MinRestartDelay, pm.MaxRestartDelay)
	}
	if pm.Running() {
		t.Error("running before StartService")
	}
}

// An empty argv is refused, and so is a readiness port on a reactor that
// cannot connect.
func TestAddProcess_Refusals(t *testing.T) {
	f := setUp(t)
	if err := f.pm.AddProcess("foo", nil, procmon.ProcessOptions{}); !errors.Is(err, procmon.ErrNoArgs) {
		t.Errorf("empty argv: %v, want ErrNoArgs", err)
	}
	noTCP := struct {
		procmon.Reactor // hides ConnectTCP
	}{newDummyProcessReactor()}
	pm := procmon.New(noTCP)
	if err := pm.AddProcess("db", []string{"db"}, withPort(5432, 0)); !errors.Is(err, procmon.ErrNoTCP) {
		t.Errorf("port check without TCP: %v, want ErrNoTCP", err)
	}
	if err := pm.AddProcess("db", []string{"db"}, procmon.ProcessOptions{}); err != nil {
		t.Errorf("no check without TCP: %v", err)
	}
}

// The options reach SpawnProcess: argv[0] as the executable, the whole
// argv, and braid's additions; and AddProcess copies what it is given.
func TestAddProcess_OptionsReachSpawn(t *testing.T) {
	f := setUp(t)
	args := []string{"/usr/sbin/sshd", "-D"}
	cred := &protocol.Credential{Uid: 7, Gid: 8}
	mustAdd(t, f.pm, "sshd", args, procmon.ProcessOptions{
		Env: []string{"A=1"}, InheritEnv: true, Dir: "/srv", Credential: cred,
		SignalGroup: true, KillOnShutdown: true,
	})
	args[1] = "changed"
	f.pm.StartService()
	p := f.r.Processes[0]
	o := p.Opts
	if p.Executable != "/usr/sbin/sshd" || !slices.Equal(p.Args, []string{"/usr/sbin/sshd", "-D"}) {
		t.Errorf("spawned %q %q", p.Executable, p.Args)
	}
	if !slices.Equal(o.Env, []string{"A=1"}) || !o.InheritEnv || o.Dir != "/srv" || o.Credential.Uid != 7 ||
		o.Credential.Gid != 8 || !o.SignalGroup || !o.KillOnShutdown {
		t.Errorf("spawn options %+v", o)
	}
}

// StartService starts the processes in the order they were added.
func TestStartService_InOrderAdded(t *testing.T) {
	f := setUp(t)
	for _, name := range []string{"c", "a", "b"} {
		mustAdd(t, f.pm, name, []string{name}, procmon.ProcessOptions{})
	}
	f.pm.StartService()
	var got []string
	for _, p := range f.r.Processes {
		got = append(got, p.Executable)
	}
	if !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Errorf("started %v", got)
	}
}

// A second StopProcess sends SIGTERM again but keeps the SIGKILL already
// scheduled, so nothing is left pending after the end.
func TestStopProcess_TwiceKeepsTheFirstKill(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	proc := f.transport(t, "foo")
	proc.terminationDelay = time.Hour
	_ = f.pm.StopProcess("foo")
	murder := f.pm.MurderCall("foo")
	f.r.Advance(time.Second)
	_ = f.pm.StopProcess("foo")
	if f.pm.MurderCall("foo") != murder {
		t.Error("a second SIGKILL was scheduled")
	}
	f.r.Advance(f.pm.KillTime - time.Second)
	if !slices.Equal(proc.Signals, []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGKILL}) {
		t.Errorf("signals %v", proc.Signals)
	}
	f.pm.StopService()
	for _, dc := range f.r.GetDelayedCalls() {
		if dc.GetTime() < 3600 {
			t.Errorf("left pending: %v", dc)
		}
	}
}

// A signal error other than "exited already" is returned, and no SIGKILL
// is scheduled; StopService logs it and stops the others.
func TestStopProcess_SignalError(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	mustAdd(t, f.pm, "bar", []string{"bar"}, procmon.ProcessOptions{})
	f.pm.StartService()
	f.transport(t, "foo").signalErr = syscall.EPERM
	if err := f.pm.StopProcess("foo"); !errors.Is(err, syscall.EPERM) {
		t.Errorf("StopProcess: %v, want EPERM", err)
	}
	if f.pm.MurderCall("foo") != nil {
		t.Error("SIGKILL scheduled after a failed SIGTERM")
	}
	f.pm.StopService()
	if len(f.r.LoggedErrors) != 1 || !errors.Is(f.r.LoggedErrors[0].Failure, syscall.EPERM) {
		t.Errorf("logged %v, want the EPERM", f.r.LoggedErrors)
	}
	f.r.LoggedErrors = nil
	if f.pm.MurderCall("bar") == nil {
		t.Error("bar was not stopped")
	}
}

// RemoveProcess cancels a pending restart (Twisted's would fail).
func TestRemoveProcess_CancelsPendingRestart(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	f.pm.Protocol("foo").ProcessEnded(processDone())
	restart := f.pm.RestartCall("foo")
	if err := f.pm.RemoveProcess("foo"); err != nil {
		t.Fatal(err)
	}
	if restart.Active() {
		t.Error("the restart is still pending")
	}
}

// StopService's Deferred fires once every run has ended, at once when none
// runs.
func TestStopService_DeferredFiresWhenAllEnded(t *testing.T) {
	f := setUp(t)
	trial.SuccessResultOf(t, f.pm.StopService())
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	d := f.pm.StopService()
	f.r.Advance(f.transport(t, "foo").terminationDelay - time.Millisecond)
	trial.AssertNoResult(t, d)
	f.r.Advance(time.Millisecond)
	trial.SuccessResultOf(t, d)
}
