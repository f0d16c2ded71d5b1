package procmon_test

// The tests of Twisted 22.4's twisted/runner/test/test_procmon.py, ported
// with fake doubles (doubles_test.go): time moves only when the test
// advances the clock. Each is named after the original. Of its 34 tests
// these 5 are not ported, their meaning having no Go counterpart:
//
//   - test_getStateIncludesProcesses, test_getStateExcludesReactor and
//     DeprecationTests.test_getstate: what pickling a ProcessMonitor keeps;
//     Go has no pickling, and the monitor is not meant to be serialised.
//   - DeprecationTests.test_toTuple and test_processes: the deprecation
//     warnings of the processes attribute and its tuples; Go has no
//     run-time deprecation warnings, and Processes returns values, not
//     tuples.

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/procmon"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// logEvent is one line LogLine received.
type logEvent struct{ name, stream, line string }

// fixture is the setUp of ProcmonTests: a monitor on a fake reactor,
// with a restart delay of 2 s to 10 s and a 10 s threshold; it records
// the lines logged, and fails the test on an error logged to the reactor.
type fixture struct {
	r      *dummyProcessReactor
	pm     *procmon.ProcessMonitor
	events []logEvent
}

func setUp(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{r: newDummyProcessReactor()}
	f.pm = procmon.New(f.r)
	f.pm.MinRestartDelay = 2 * time.Second
	f.pm.MaxRestartDelay = 10 * time.Second
	f.pm.Threshold = 10 * time.Second
	f.pm.LogLine = func(name, stream, line string) {
		f.events = append(f.events, logEvent{name, stream, line})
	}
	t.Cleanup(func() {
		for _, e := range f.r.LoggedErrors {
			t.Errorf("error logged (%s): %v", e.Why, e.Failure)
		}
	})
	return f
}

func (f *fixture) transport(t *testing.T, name string) *dummyProcess {
	t.Helper()
	p := f.pm.Protocol(name)
	if p == nil {
		t.Fatalf("%s is not running", name)
	}
	return f.r.dummy(t, p.Transport)
}

func mustAdd(t *testing.T, pm *procmon.ProcessMonitor, name string, args []string, opts procmon.ProcessOptions) {
	t.Helper()
	if err := pm.AddProcess(name, args, opts); err != nil {
		t.Fatal(err)
	}
}

func uidGID(uid, gid uint32) procmon.ProcessOptions {
	return procmon.ProcessOptions{Credential: &protocol.Credential{Uid: uid, Gid: gid}}
}

func processDone() *reactor.Failure { return reactor.NewFailure(&protocol.ProcessDone{}) }

// The string form names the process, its user and group, and its argv.
func TestProcmon_ReprLooksGood(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"arg1", "arg2"}, uidGID(1, 2))
	s := f.pm.String()
	for _, want := range []string{"foo", "1", "2"} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %q", s, want)
		}
	}
}

// Options that mean "as the parent" do not show in the string form.
func TestProcmon_SimpleReprLooksGood(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"arg1", "arg2"}, procmon.ProcessOptions{})
	if s := f.pm.String(); strings.ContainsAny(s, "()") {
		t.Errorf("%s shows a user or group", s)
	}
}

// AddProcess starts the process only once the service has started.
func TestProcmon_AddProcess(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"arg1", "arg2"}, uidGID(1, 2))
	if got := f.pm.Protocols(); len(got) != 0 {
		t.Errorf("protocols before StartService: %v", got)
	}
	got := f.pm.Processes()
	if c := got["foo"].Options.Credential; len(got) != 1 || !slices.Equal(got["foo"].Args, []string{"arg1", "arg2"}) ||
		c == nil || c.Uid != 1 || c.Gid != 2 {
		t.Errorf("processes: %+v", got)
	}
	f.pm.StartService()
	f.r.Advance(0)
	if names := slices.Collect(maps.Keys(f.pm.Protocols())); !slices.Equal(names, []string{"foo"}) {
		t.Errorf("protocols after StartService: %v, want foo", names)
	}
}

// A second process of the same name is refused.
func TestProcmon_AddProcessDuplicateKeyError(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"arg1", "arg2"}, uidGID(1, 2))
	if err := f.pm.AddProcess("foo", []string{"arg1", "arg2"}, uidGID(1, 2)); !errors.Is(err, procmon.ErrDuplicateProcess) {
		t.Errorf("second AddProcess: %v, want ErrDuplicateProcess", err)
	}
}

// The environment reaches SpawnProcess.
func TestProcmon_AddProcessEnv(t *testing.T) {
	f := setUp(t)
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{Env: []string{"KEY=value"}, Credential: &protocol.Credential{Uid: 1, Gid: 2}})
	f.r.Advance(0)
	if got := f.r.Processes[0].Opts.Env; !slices.Equal(got, []string{"KEY=value"}) {
		t.Errorf("spawned with env %q", got)
	}
}

// The working directory reaches SpawnProcess.
func TestProcmon_AddProcessCwd(t *testing.T) {
	f := setUp(t)
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{Dir: "/mnt/lala"})
	f.r.Advance(0)
	if got := f.r.Processes[0].Opts.Dir; got != "/mnt/lala" {
		t.Errorf("spawned in %q", got)
	}
}

// RemoveProcess forgets the process.
func TestProcmon_RemoveProcess(t *testing.T) {
	f := setUp(t)
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	if n := len(f.pm.Processes()); n != 1 {
		t.Fatalf("%d processes after AddProcess", n)
	}
	if err := f.pm.RemoveProcess("foo"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.pm.Processes()); n != 0 {
		t.Errorf("%d processes after RemoveProcess", n)
	}
}

// RemoveProcess of an unknown name is an error.
func TestProcmon_RemoveProcessUnknownKeyError(t *testing.T) {
	f := setUp(t)
	f.pm.StartService()
	if err := f.pm.RemoveProcess("foo"); !errors.Is(err, procmon.ErrUnknownProcess) {
		t.Errorf("RemoveProcess: %v, want ErrUnknownProcess", err)
	}
}

// A started process has a LoggingProtocol and a start time.
func TestProcmon_StartProcess(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	if err := f.pm.StartProcess("foo"); err != nil {
		t.Fatal(err)
	}
	if p := f.pm.Protocol("foo"); p == nil || p.Name != "foo" {
		t.Errorf("protocol %v, want foo's LoggingProtocol", p)
	}
	if _, ok := f.pm.TimeStarted("foo"); !ok {
		t.Error("no start time recorded")
	}
}

// Starting a running process does nothing, and is no error.
func TestProcmon_StartProcessAlreadyStarted(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	if err := f.pm.StartProcess("foo"); err != nil {
		t.Fatal(err)
	}
	if err := f.pm.StartProcess("foo"); err != nil {
		t.Errorf("second StartProcess: %v", err)
	}
	if n := len(f.r.Processes); n != 1 {
		t.Errorf("%d spawns, want 1", n)
	}
}

// StartProcess of an unknown name is an error.
func TestProcmon_StartProcessUnknownKeyError(t *testing.T) {
	f := setUp(t)
	if err := f.pm.StartProcess("foo"); !errors.Is(err, procmon.ErrUnknownProcess) {
		t.Errorf("StartProcess: %v, want ErrUnknownProcess", err)
	}
}

// StopProcess sends SIGTERM; a process that ran past the threshold and
// ends is restarted at once.
func TestProcmon_StopProcessNaturalTermination(t *testing.T) {
	f := setUp(t)
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	const timeToDie = time.Second
	f.transport(t, "foo").terminationDelay = timeToDie
	f.r.Advance(f.pm.Threshold) // a long run
	if err := f.pm.StopProcess("foo"); err != nil {
		t.Fatal(err)
	}
	if sigs := f.r.Processes[0].Transport.Signals; !slices.Equal(sigs, []syscall.Signal{syscall.SIGTERM}) {
		t.Errorf("signals sent: %v, want SIGTERM", sigs)
	}
	f.r.Advance(timeToDie)
	if started, _ := f.pm.TimeStarted("foo"); started != f.r.Seconds() {
		t.Errorf("restarted at %v, want at once, at %v", started, f.r.Seconds())
	}
}

// A process still running KillTime after SIGTERM gets SIGKILL, and is
// restarted once it has ended.
func TestProcmon_StopProcessForcedKill(t *testing.T) {
	f := setUp(t)
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.r.Advance(f.pm.Threshold)
	proc := f.transport(t, "foo")
	proc.terminationDelay = f.pm.KillTime + time.Second // outlives KillTime
	if err := f.pm.StopProcess("foo"); err != nil {
		t.Fatal(err)
	}
	f.r.Advance(f.pm.KillTime - time.Second)
	if started, _ := f.pm.TimeStarted("foo"); started != 0 {
		t.Errorf("restarted at %v before the kill", started)
	}
	f.r.Advance(time.Second)
	if started, _ := f.pm.TimeStarted("foo"); started != f.r.Seconds() {
		t.Errorf("restarted at %v, want at once after the kill, at %v", started, f.r.Seconds())
	}
	if !slices.Equal(proc.Signals, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
		t.Errorf("signals sent: %v, want SIGTERM then SIGKILL", proc.Signals)
	}
}

// StopProcess of an unknown name is an error.
func TestProcmon_StopProcessUnknownKeyError(t *testing.T) {
	f := setUp(t)
	if err := f.pm.StopProcess("foo"); !errors.Is(err, procmon.ErrUnknownProcess) {
		t.Errorf("StopProcess: %v, want ErrUnknownProcess", err)
	}
}

// Stopping a process that is not running does nothing, and is no error.
func TestProcmon_StopProcessAlreadyStopped(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	if err := f.pm.StopProcess("foo"); err != nil {
		t.Errorf("StopProcess: %v", err)
	}
}

// startedLongAgo adds foo, starts the service and lets the threshold pass:
// the preamble of the output tests.
func (f *fixture) startedLongAgo(t *testing.T) *procmon.LoggingProtocol {
	t.Helper()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	f.r.Advance(0)
	p := f.pm.Protocol("foo")
	if p == nil {
		t.Fatal("foo is not running")
	}
	f.r.Advance(f.pm.Threshold)
	return p
}

func (f *fixture) wantEvents(t *testing.T, want ...logEvent) {
	t.Helper()
	if !slices.Equal(f.events, want) {
		t.Errorf("lines logged: %q, want %q", f.events, want)
	}
}

// A complete line on stdout is logged with the process's name.
func TestProcmon_OutputReceivedCompleteLine(t *testing.T) {
	f := setUp(t)
	f.startedLongAgo(t).OutReceived([]byte("hello world!\n"))
	f.wantEvents(t, logEvent{"foo", "stdout", "hello world!"})
}

// A complete line on stderr is logged with the process's name.
func TestProcmon_OuputReceivedCompleteErrLine(t *testing.T) {
	f := setUp(t)
	f.startedLongAgo(t).ErrReceived([]byte("hello world!\n"))
	f.wantEvents(t, logEvent{"foo", "stderr", "hello world!"})
}

// A line that is not UTF-8 is logged quoted (Twisted: its repr).
func TestProcmon_OutputReceivedCompleteLineInvalidUTF8(t *testing.T) {
	f := setUp(t)
	f.startedLongAgo(t).OutReceived([]byte("\xffhello world!\n"))
	f.wantEvents(t, logEvent{"foo", "stdout", strconv.Quote("\xffhello world!")})
}

// A partial line is logged only when the process ends.
func TestProcmon_OutputReceivedPartialLine(t *testing.T) {
	f := setUp(t)
	p := f.startedLongAgo(t)
	p.OutReceived([]byte("hello world!"))
	f.wantEvents(t)
	p.ProcessEnded(processDone())
	f.wantEvents(t, logEvent{"foo", "stdout", "hello world!"})
}

// A process that dies after the threshold is restarted at once.
func TestProcmon_ConnectionLostLongLivedProcess(t *testing.T) {
	f := setUp(t)
	f.startedLongAgo(t).ProcessEnded(processDone())
	if f.pm.Protocol("foo") != nil {
		t.Error("the protocol of the ended run is kept")
	}
	f.r.Advance(0)
	if f.pm.Protocol("foo") == nil {
		t.Error("not restarted at once")
	}
}

// When the process ends by itself, the pending SIGKILL is cancelled and
// forgotten.
func TestProcmon_ConnectionLostMurderCancel(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	f.r.Advance(time.Second)
	if err := f.pm.StopProcess("foo"); err != nil {
		t.Fatal(err)
	}
	murder := f.pm.MurderCall("foo")
	if murder == nil || !murder.Active() {
		t.Fatalf("no SIGKILL pending after StopProcess: %v", murder)
	}
	f.r.Advance(f.transport(t, "foo").terminationDelay)
	if murder.Active() {
		t.Error("the SIGKILL is still pending")
	}
	if f.pm.MurderCall("foo") != nil {
		t.Error("the SIGKILL is still recorded")
	}
}

// An ended process's protocol is forgotten.
func TestProcmon_ConnectionLostProtocolDeletion(t *testing.T) {
	f := setUp(t)
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	proc := f.transport(t, "foo")
	if err := proc.SignalProcess(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	f.r.Advance(proc.terminationDelay)
	if p := f.pm.Protocol("foo"); p != nil {
		t.Errorf("the killed run's protocol is kept: %v", p)
	}
}

// The delay stays between MinRestartDelay and MaxRestartDelay.
func TestProcmon_ConnectionLostMinMaxRestartDelay(t *testing.T) {
	f := setUp(t)
	f.pm.MinRestartDelay = 2 * time.Second
	f.pm.MaxRestartDelay = 3 * time.Second
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	if got := f.pm.Delay("foo"); got != f.pm.MinRestartDelay {
		t.Errorf("first delay %v, want MinRestartDelay %v", got, f.pm.MinRestartDelay)
	}
	f.r.Advance(f.pm.Threshold - time.Second)
	f.pm.Protocol("foo").ProcessEnded(processDone())
	if got := f.pm.Delay("foo"); got != f.pm.MaxRestartDelay {
		t.Errorf("delay after a quick death %v, want MaxRestartDelay %v", got, f.pm.MaxRestartDelay)
	}
}

// Each quick death doubles the delay.
func TestProcmon_ConnectionLostBackoffDelayDoubles(t *testing.T) {
	f := setUp(t)
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.r.Advance(f.pm.Threshold - time.Second)
	if got := f.pm.Delay("foo"); got != f.pm.MinRestartDelay {
		t.Errorf("first delay %v, want %v", got, f.pm.MinRestartDelay)
	}
	f.pm.Protocol("foo").ProcessEnded(processDone())
	if got := f.pm.Delay("foo"); got != 2*f.pm.MinRestartDelay {
		t.Errorf("delay after a quick death %v, want %v", got, 2*f.pm.MinRestartDelay)
	}
}

// StartService starts every process.
func TestProcmon_StartService(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	f.r.Advance(0)
	if f.pm.Protocol("foo") == nil {
		t.Error("foo was not started")
	}
}

// StopService stops every process, and none is restarted.
func TestProcmon_StopService(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	mustAdd(t, f.pm, "bar", []string{"bar"}, procmon.ProcessOptions{})
	f.pm.StartService()
	f.r.Advance(f.pm.Threshold)
	if f.pm.Protocol("foo") == nil || f.pm.Protocol("bar") == nil {
		t.Fatalf("not both running: %v", f.pm.Protocols())
	}
	f.r.Advance(time.Second)
	stopped := f.pm.StopService()
	f.r.Advance(f.pm.KillTime + time.Second)
	if got := f.pm.Protocols(); len(got) != 0 {
		t.Errorf("running after StopService: %v", got)
	}
	if !stopped.Called() {
		t.Error("StopService's Deferred has not fired") // beyond Twisted
	}
}

// RestartAll with one process: it is stopped, and not yet restarted.
func TestProcmon_RestartAllRestartsOneProcess(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	f.r.Advance(time.Second)
	f.pm.RestartAll()
	f.r.Advance(time.Second) // time to die, not to restart
	if n := len(f.r.Processes); n != 1 {
		t.Fatalf("%d spawns, want 1", n)
	}
	if pid := f.r.Processes[0].Transport.Pid(); pid != 0 {
		t.Errorf("process still running, pid %d", pid)
	}
}

// StopService cancels a pending restart.
func TestProcmon_StopServiceCancelRestarts(t *testing.T) {
	f := setUp(t)
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.pm.StartService()
	f.r.Advance(f.pm.Threshold)
	if f.pm.Protocol("foo") == nil {
		t.Fatal("foo is not running")
	}
	f.r.Advance(time.Second)
	f.pm.Protocol("foo").ProcessEnded(processDone())
	if dc := f.pm.RestartCall("foo"); dc == nil || !dc.Active() {
		t.Fatalf("no restart pending: %v", dc)
	}
	f.pm.StopService()
	if f.pm.RestartCall("foo").Active() {
		t.Error("the restart is still pending")
	}
}

// StopService cancels every pending restart.
func TestProcmon_StopServiceCleanupScheduledRestarts(t *testing.T) {
	f := setUp(t)
	f.pm.Threshold = 5 * time.Second
	f.pm.MinRestartDelay = 5 * time.Second
	f.pm.StartService()
	mustAdd(t, f.pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	f.r.Advance(time.Second)
	if err := f.pm.StopProcess("foo"); err != nil {
		t.Fatal(err)
	}
	f.r.Advance(time.Second) // it ends; a restart is due 5 s later
	f.pm.StopService()
	f.r.Advance(6 * time.Second)
	if got := f.pm.Protocols(); len(got) != 0 {
		t.Errorf("restarted after StopService: %v", got)
	}
}
