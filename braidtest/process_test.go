package braidtest_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// spawn spawns p on r and returns the fake transport.
func spawn(t *testing.T, r *braidtest.MemoryReactorClock, p protocol.ProcessProtocol, opts protocol.SpawnOptions) *braidtest.FakeProcessTransport {
	t.Helper()
	tr, err := r.SpawnProcess(p, "/usr/bin/worker", []string{"worker", "-v"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tr.(*braidtest.FakeProcessTransport)
}

// SpawnProcess records the call and connects the protocol before
// returning, with OnSpawn's settings in place (P-04).
func TestMemoryReactor_SpawnProcess(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	r.OnSpawn = func(t *braidtest.FakeProcessTransport) {
		if t.Pid() == 2 {
			t.SetPid(4242)
		}
	}
	env := []string{"KEY=value"}
	var ps [3]*traceProcess
	for i := range ps {
		ps[i] = &traceProcess{}
		spawn(t, r, ps[i], protocol.SpawnOptions{Env: env, Dir: "/mnt/lala"})
	}
	env[0] = "KEY=changed"
	got := []string{ps[0].lines[0], ps[1].lines[0], ps[2].lines[0]}
	if diff := cmp.Diff([]string{"ConnectionMade pid=1", "ConnectionMade pid=4242", "ConnectionMade pid=3"}, got); diff != "" {
		t.Errorf("ConnectionMade (-want +got):\n%s", diff)
	}
	rec := r.Processes[1]
	if rec.Protocol != ps[1] || rec.Executable != "/usr/bin/worker" || rec.Transport.Pid() != 4242 {
		t.Errorf("record: %+v", rec)
	}
	if diff := cmp.Diff(protocol.SpawnOptions{Env: []string{"KEY=value"}, Dir: "/mnt/lala"}, rec.Opts); diff != "" {
		t.Errorf("recorded options (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"worker", "-v"}, rec.Args); diff != "" {
		t.Errorf("recorded args (-want +got):\n%s", diff)
	}
}

// The test plays the child: output, then the end, in the real transport's
// order (P-08, P-10, P-12).
func TestFakeProcessTransport_ChildLifecycle(t *testing.T) {
	cases := []struct {
		name string
		end  func(tr *braidtest.FakeProcessTransport)
		why  string
	}{
		{"Exit0", func(tr *braidtest.FakeProcessTransport) { tr.Exit(0) }, "done(pid=1)"},
		{"Exit3", func(tr *braidtest.FakeProcessTransport) { tr.Exit(3) }, "terminated(code=3 signal=0 status=768 pid=1)"},
		{"KilledBySIGKILL", func(tr *braidtest.FakeProcessTransport) { tr.KilledBy(syscall.SIGKILL) }, "terminated(code=-1 signal=9 status=9 pid=1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := braidtest.NewMemoryReactorClock()
			p := &traceProcess{}
			tr := spawn(t, r, p, protocol.SpawnOptions{})
			tr.Deliver(1, []byte("out"))
			tr.Deliver(2, []byte("err"))
			tr.Hangup(2)
			c.end(tr)
			want := []string{
				"ConnectionMade pid=1",
				`ChildDataReceived 1 "out"`,
				`ChildDataReceived 2 "err"`,
				"ChildConnectionLost 2 pid=1",
				"ChildConnectionLost 0 pid=1",
				"ChildConnectionLost 1 pid=1",
				"ProcessExited " + c.why + " pid=0",
				"ProcessEnded " + c.why,
			}
			if diff := cmp.Diff(want, p.lines); diff != "" {
				t.Errorf("trace (-want +got):\n%s", diff)
			}
			if tr.Pid() != 0 || !tr.Ended() {
				t.Errorf("after the end: Pid = %d, Ended = %v", tr.Pid(), tr.Ended())
			}
		})
	}
}

// Once the child has exited, every signal fails with
// ErrProcessExitedAlready (P-14); before, each is listed in order.
func TestFakeProcessTransport_SignalAfterExit(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	tr := spawn(t, r, &traceProcess{}, protocol.SpawnOptions{NewProcessGroup: true})
	for _, sig := range []syscall.Signal{syscall.SIGTERM, 0, syscall.SIGKILL} {
		if err := tr.SignalProcess(sig); err != nil {
			t.Fatalf("SignalProcess(%v) = %v", sig, err)
		}
	}
	if err := tr.SignalProcessGroup(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	tr.Exit(0)
	for _, sig := range []syscall.Signal{0, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGHUP} {
		if err := tr.SignalProcess(sig); !errors.Is(err, protocol.ErrProcessExitedAlready) {
			t.Errorf("SignalProcess(%v) after exit = %v", sig, err)
		}
		if err := tr.SignalProcessGroup(sig); !errors.Is(err, protocol.ErrProcessExitedAlready) {
			t.Errorf("SignalProcessGroup(%v) after exit = %v", sig, err)
		}
	}
	if diff := cmp.Diff([]syscall.Signal{syscall.SIGTERM, 0, syscall.SIGKILL}, tr.Signals); diff != "" {
		t.Errorf("Signals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]syscall.Signal{syscall.SIGHUP}, tr.GroupSignals); diff != "" {
		t.Errorf("GroupSignals (-want +got):\n%s", diff)
	}
}

// Between the last pipe and ProcessExited the child is a zombie: it still
// has its pid and accepts signals (P-15).
func TestFakeProcessTransport_SignalWhilePipesClose(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	var errs []error
	p := &lostHook{}
	tr := spawn(t, r, p, protocol.SpawnOptions{})
	p.onLost = func() { errs = append(errs, tr.SignalProcess(syscall.SIGTERM)) }
	tr.Exit(0)
	if len(errs) != 3 || errs[0] != nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("signals from ChildConnectionLost: %v", errs)
	}
}

type lostHook struct {
	protocol.BaseProcessProtocol
	onLost func()
}

func (p *lostHook) ChildConnectionLost(int) { p.onLost() }

func TestFakeProcessTransport_GroupNeedsNewProcessGroup(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	tr := spawn(t, r, &traceProcess{}, protocol.SpawnOptions{})
	if err := tr.SignalProcessGroup(syscall.SIGTERM); !errors.Is(err, protocol.ErrNoProcessGroup) {
		t.Fatalf("SignalProcessGroup = %v, want ErrNoProcessGroup", err)
	}
}

var errUnexpectedSignal = errors.New("unexpected signal")

// OnSignal makes the child answer signals: here as Twisted's procmon
// DummyProcess does — TERM ends it a second later with status 0, KILL at
// once with status 1.
func TestFakeProcessTransport_OnSignal(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	r.OnSpawn = func(tr *braidtest.FakeProcessTransport) {
		tr.OnSignal = func(sig syscall.Signal) error {
			delay, code := time.Second, 0
			switch sig {
			case syscall.SIGTERM:
			case syscall.SIGKILL:
				delay, code = 0, 1
			default:
				return errUnexpectedSignal
			}
			r.CallLater(delay, func() {
				if !tr.Ended() {
					tr.Exit(code)
				}
			})
			return nil
		}
	}
	term, kill := &traceProcess{}, &traceProcess{}
	tt, tk := spawn(t, r, term, protocol.SpawnOptions{}), spawn(t, r, kill, protocol.SpawnOptions{})
	if err := tt.SignalProcess(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := tk.SignalProcess(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := tk.SignalProcess(syscall.SIGHUP); !errors.Is(err, errUnexpectedSignal) {
		t.Fatalf("SIGHUP: %v, want OnSignal's error", err)
	}
	r.Advance(0)
	if tt.Ended() || !tk.Ended() {
		t.Fatalf("after Advance(0): TERMed ended=%v, KILLed ended=%v", tt.Ended(), tk.Ended())
	}
	r.Advance(time.Second)
	if !tt.Ended() {
		t.Fatal("the TERMed child has not ended a second later")
	}
	last := func(p *traceProcess) string { return p.lines[len(p.lines)-1] }
	if diff := cmp.Diff([]string{"ProcessEnded done(pid=1)", "ProcessEnded terminated(code=1 signal=0 status=256 pid=2)"},
		[]string{last(term), last(kill)}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Writes are recorded per child fd; closing is reported at once, in the
// real transport's order for LoseConnection (P-16..P-18).
func TestFakeProcessTransport_WritesAndCloses(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	p := &traceProcess{}
	opts := protocol.SpawnOptions{ChildFDs: map[int]protocol.ChildFD{
		0: protocol.ChildFDWrite, 1: protocol.ChildFDRead, 2: protocol.ChildFDRead,
		3: protocol.ChildFDWrite, 4: 7, // fd 4 inherits the parent's fd 7: no pipe
	}}
	tr := spawn(t, r, p, opts)
	tr.Write([]byte("in"))
	tr.WriteSequence([][]byte{[]byte("put"), nil})
	if err := tr.WriteToChild(3, []byte("three")); err != nil {
		t.Fatal(err)
	}
	for _, fd := range []int{1, 4, 9} {
		if err := tr.WriteToChild(fd, []byte("x")); !errors.Is(err, protocol.ErrUnknownChildFD) {
			t.Errorf("WriteToChild(%d) = %v, want ErrUnknownChildFD", fd, err)
		}
	}
	tr.LoseConnection()
	tr.CloseStdin() // already closed: ignored
	tr.Write([]byte("dropped"))
	if err := tr.WriteToChild(3, []byte("!")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int][]byte{0: []byte("input"), 3: []byte("three!")}, tr.Written); diff != "" {
		t.Errorf("Written (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 2, 1}, tr.ClosedFDs); diff != "" {
		t.Errorf("ClosedFDs (-want +got):\n%s", diff)
	}
	tr.Exit(0)
	want := []string{
		"ConnectionMade pid=1",
		"ChildConnectionLost 0 pid=1",
		"ChildConnectionLost 2 pid=1",
		"ChildConnectionLost 1 pid=1",
		"ChildConnectionLost 3 pid=1",
		"ProcessExited done(pid=1) pid=0",
		"ProcessEnded done(pid=1)",
	}
	if diff := cmp.Diff(want, p.lines); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if tr.LoseConnectionCalls != 1 {
		t.Errorf("LoseConnectionCalls = %d", tr.LoseConnectionCalls)
	}
}

// The transport is a Consumer for stdin: a close waits for the producer to
// be unregistered, and the end of the child stops it.
func TestFakeProcessTransport_StdinProducer(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	p := &traceProcess{}
	tr := spawn(t, r, p, protocol.SpawnOptions{})
	prod := &stopRecorder{}
	if err := tr.RegisterProducer(prod, true); err != nil {
		t.Fatal(err)
	}
	if err := tr.RegisterProducer(prod, true); !errors.Is(err, protocol.ErrProducerRegistered) {
		t.Errorf("second RegisterProducer = %v", err)
	}
	tr.CloseStdin()
	if len(p.lines) != 1 {
		t.Fatalf("stdin reported closed while a producer is registered: %q", p.lines)
	}
	tr.UnregisterProducer()
	if diff := cmp.Diff([]string{"ConnectionMade pid=1", "ChildConnectionLost 0 pid=1"}, p.lines); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if err := tr.RegisterProducer(prod, false); !errors.Is(err, protocol.ErrUnknownChildFD) {
		t.Errorf("RegisterProducer without stdin = %v", err)
	}

	tr2 := spawn(t, r, &traceProcess{}, protocol.SpawnOptions{})
	if err := tr2.RegisterProducer(braidtest.NewNonStreamingProducer(tr2), true); !errors.Is(err, protocol.ErrNotPushProducer) {
		t.Errorf("RegisterProducer(pull, true) = %v", err)
	}
	if err := tr2.RegisterProducer(prod, true); err != nil {
		t.Fatal(err)
	}
	tr2.KilledBy(syscall.SIGTERM)
	if prod.stopped != 1 || tr2.Producer != nil {
		t.Errorf("after the end: StopProducing calls %d, Producer %v", prod.stopped, tr2.Producer)
	}
	tr2.PauseProducing()
	if tr2.ProducerState != braidtest.Paused {
		t.Errorf("ProducerState = %v", tr2.ProducerState)
	}
}

type stopRecorder struct{ stopped int }

func (s *stopRecorder) PauseProducing()  {}
func (s *stopRecorder) ResumeProducing() {}
func (s *stopRecorder) StopProducing()   { s.stopped++ }

// The test's mistakes panic, naming them.
func TestFakeProcessTransport_Misuse(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	tr := spawn(t, r, &traceProcess{}, protocol.SpawnOptions{})
	cases := []struct {
		name string
		f    func()
	}{
		{"DeliverOnStdin", func() { tr.Deliver(0, nil) }},
		{"DeliverOnNoPipe", func() { tr.Deliver(5, nil) }},
		{"HangupOfNoPipe", func() { tr.Hangup(5) }},
		{"ExitTwice", func() { tr.Exit(0); tr.KilledBy(syscall.SIGKILL) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if v := panicValue(c.f); v == nil {
				t.Fatal("no panic")
			}
		})
	}
}

// A protocol driven by hand, without a reactor.
func TestFakeProcessTransport_ByHand(t *testing.T) {
	p := &traceProcess{}
	tr := braidtest.NewFakeProcessTransport(p, protocol.SpawnOptions{ChildFDs: map[int]protocol.ChildFD{1: protocol.ChildFDRead}})
	protocol.Bind(p)
	p.MakeConnection(tr)
	tr.Deliver(1, []byte("x"))
	tr.Exit(0)
	want := []string{"ConnectionMade pid=1", `ChildDataReceived 1 "x"`, "ChildConnectionLost 1 pid=1", "ProcessExited done(pid=1) pid=0", "ProcessEnded done(pid=1)"}
	if diff := cmp.Diff(want, p.lines); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
