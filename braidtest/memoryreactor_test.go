package braidtest_test

import (
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// addTriggers adds a tracing trigger to each phase of event.
func addTriggers(t *testing.T, r *braidtest.MemoryReactor, tr *tracer, event string) {
	t.Helper()
	for _, ph := range []reactor.Phase{reactor.Before, reactor.During, reactor.After} {
		if _, err := r.AddSystemEventTrigger(ph, event, func() *reactor.Deferred {
			tr.add("%s %s running=%v", ph, event, r.Running())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// Run fires startup, runs the CallWhenRunning functions as 'after startup'
// triggers, then stops, firing shutdown.
func TestMemoryReactor_RunFiresStartupThenStops(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	var tr tracer
	addTriggers(t, r, &tr, "startup")
	r.CallWhenRunning(func() { tr.add("when running, running=%v", r.Running()) })
	addTriggers(t, r, &tr, "shutdown")
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"before startup running=false",
		"during startup running=true",
		"after startup running=true",
		"when running, running=true",
		"before shutdown running=true",
		"during shutdown running=false",
		"after shutdown running=false",
	}
	if diff := cmp.Diff(want, tr.lines); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if !r.HasRun || !r.HasStopped || r.HasCrashed || r.Running() {
		t.Errorf("HasRun=%v HasStopped=%v HasCrashed=%v Running=%v", r.HasRun, r.HasStopped, r.HasCrashed, r.Running())
	}
	if err := r.Run(); !errors.Is(err, reactor.ErrReactorNotRestartable) {
		t.Errorf("second Run = %v, want ErrReactorNotRestartable", err)
	}
}

// The code under test may stop the reactor itself; shutdown fires once.
func TestMemoryReactor_StopFromHook(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	var tr tracer
	addTriggers(t, r, &tr, "shutdown")
	r.CallWhenRunning(func() {
		tr.add("Stop: %v", r.Stop())
		tr.add("Stop again: %v", r.Stop())
		tr.add("Run inside Run: %v", r.Run())
	})
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"before shutdown running=true",
		"during shutdown running=false",
		"after shutdown running=false",
		"Stop: <nil>",
		"Stop again: " + reactor.ErrReactorNotRunning.Error(),
		"Run inside Run: " + reactor.ErrReactorNotRestartable.Error(),
	}
	if diff := cmp.Diff(want, tr.lines); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// Stop of a reactor that is not running fails as the real one does, but
// still records that the code asked.
func TestMemoryReactor_StopWhenNotRunning(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	if err := r.Stop(); !errors.Is(err, reactor.ErrReactorNotRunning) {
		t.Fatalf("Stop = %v, want ErrReactorNotRunning", err)
	}
	if !r.HasStopped {
		t.Fatal("HasStopped not set")
	}
}

// Crash leaves without shutdown, and the reactor may run again.
func TestMemoryReactor_Crash(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	var tr tracer
	addTriggers(t, r, &tr, "shutdown")
	crash := true
	r.AddSystemEventTrigger(reactor.During, "startup", func() *reactor.Deferred {
		if crash {
			crash = false
			r.Crash()
		}
		return nil
	})
	if err := r.Run(); err != nil || len(tr.lines) != 0 || !r.HasCrashed || r.Running() {
		t.Fatalf("Run = %v; shutdown trace %q; HasCrashed=%v Running=%v", err, tr.lines, r.HasCrashed, r.Running())
	}
	if err := r.Run(); err != nil || len(tr.lines) != 3 {
		t.Fatalf("Run after Crash = %v; shutdown trace %q", err, tr.lines)
	}
}

// 'during' waits for the Deferreds 'before' triggers return.
func TestMemoryReactor_BeforeTriggerDeferredDelaysDuring(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	var tr tracer
	wait := reactor.NewDeferred(nil)
	r.AddSystemEventTrigger(reactor.Before, "custom", func() *reactor.Deferred { return wait })
	addTriggers(t, r, &tr, "custom")
	r.FireSystemEvent("custom")
	if diff := cmp.Diff([]string{"before custom running=false"}, tr.lines); diff != "" {
		t.Fatalf("before the Deferred fired (-want +got):\n%s", diff)
	}
	_ = wait.Callback(nil)
	want := []string{"before custom running=false", "during custom running=false", "after custom running=false"}
	if diff := cmp.Diff(want, tr.lines); diff != "" {
		t.Fatalf("after it fired (-want +got):\n%s", diff)
	}
	r.FireSystemEvent("custom") // triggers run once
	if len(tr.lines) != 3 {
		t.Fatalf("a second firing ran triggers again: %q", tr.lines)
	}
}

func TestMemoryReactor_TriggerErrors(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	if _, err := r.AddSystemEventTrigger("sometime", "startup", nil); !errors.Is(err, reactor.ErrUnknownPhase) {
		t.Errorf("unknown phase: %v", err)
	}
	ran := false
	id, _ := r.AddSystemEventTrigger(reactor.During, "x", func() *reactor.Deferred { ran = true; return nil })
	if err := r.RemoveSystemEventTrigger(id); err != nil {
		t.Errorf("RemoveSystemEventTrigger = %v", err)
	}
	if err := r.RemoveSystemEventTrigger(id); !errors.Is(err, reactor.ErrUnknownTrigger) {
		t.Errorf("second remove = %v, want ErrUnknownTrigger", err)
	}
	r.AddSystemEventTrigger(reactor.During, "x", func() *reactor.Deferred { panic("boom") })
	r.FireSystemEvent("x")
	if ran || len(r.LoggedErrors) != 1 || r.LoggedErrors[0].Why != "system event trigger for x" {
		t.Errorf("ran removed trigger = %v; logged %v", ran, r.LoggedErrors)
	}
}

// CallFromThread is safe from any goroutine and queues; Iterate runs the
// queue in order, logging panics.
func TestMemoryReactor_CallFromThread(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	var got []int
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { r.CallFromThread(func() { got = append(got, i) }) })
	}
	wg.Wait()
	if len(got) != 0 {
		t.Fatal("thread calls ran before Iterate")
	}
	r.CallFromThread(func() { panic("boom") })
	r.CallFromThread(nil)
	r.Iterate(0)
	if len(got) != 8 || len(r.LoggedErrors) != 1 || r.LoggedErrors[0].Why != "thread call" {
		t.Fatalf("ran %v; logged %v", got, r.LoggedErrors)
	}
}

func TestMemoryReactor_RemoveAll(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	a, b := &fakeDescriptor{fd: 1}, &fakeDescriptor{fd: 2}
	_ = r.AddReader(a)
	_ = r.AddWriter(a)
	_ = r.AddWriter(b)
	got := r.RemoveAll()
	if len(got) != 2 || got[0] != reactor.Selectable(a) || got[1] != reactor.Selectable(b) {
		t.Fatalf("RemoveAll = %v, want [a b]", got)
	}
	if len(r.GetReaders())+len(r.GetWriters()) != 0 {
		t.Fatal("descriptors left after RemoveAll")
	}
}

// ListenTCP records the call, starts the factory as the real reactor does,
// and its port stops the factory once.
func TestMemoryReactor_ListenTCP(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	f := newRecordingFactory()
	opts := protocol.ListenTCPOptions{Interface: "::1", Backlog: 5}
	lp, err := r.ListenTCP(0, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []braidtest.TCPServer{{Port: 0, Factory: f, Opts: opts, ListeningPort: lp.(*braidtest.FakePort)}}
	if diff := cmp.Diff(want, r.TCPServers, cmp.Comparer(func(a, b protocol.Factory) bool { return a == b })); diff != "" {
		t.Errorf("TCPServers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&net.TCPAddr{IP: net.ParseIP("::1")}, lp.GetHost()); diff != "" {
		t.Errorf("GetHost (-want +got):\n%s", diff)
	}
	d := lp.StopListening()
	if d == nil || !d.Called() || lp.StopListening() != nil {
		t.Errorf("StopListening: first %v, second not nil", d)
	}
	if diff := cmp.Diff([]string{"StartFactory", "StopFactory"}, f.lines); diff != "" {
		t.Errorf("factory calls (-want +got):\n%s", diff)
	}
	if n := lp.(*braidtest.FakePort).StopListeningCalls; n != 2 {
		t.Errorf("StopListeningCalls = %d, want 2", n)
	}
}

// ConnectTCP records the call and starts connecting, and the connector
// only counts what it is asked.
func TestMemoryReactor_ConnectTCP(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	f := newRecordingFactory()
	opts := protocol.ConnectTCPOptions{NoTimeout: true}
	c := r.ConnectTCP("example.org", 22, f, opts).(*braidtest.FakeConnector)
	want := []braidtest.TCPClient{{Host: "example.org", Port: 22, Factory: f, Opts: opts, Connector: c}}
	if diff := cmp.Diff(want, r.TCPClients, cmp.Comparer(func(a, b protocol.ClientFactory) bool { return a == b })); diff != "" {
		t.Errorf("TCPClients (-want +got):\n%s", diff)
	}
	_ = c.StopConnecting()
	c.Disconnect()
	c.Disconnect()
	_ = c.Connect()
	if c.StopConnectingCalls != 1 || c.DisconnectCalls != 2 || c.ConnectCalls != 1 {
		t.Errorf("counts: stop %d, disconnect %d, connect %d", c.StopConnectingCalls, c.DisconnectCalls, c.ConnectCalls)
	}
	if diff := cmp.Diff([]string{"StartFactory", "StartedConnecting"}, f.lines); diff != "" {
		t.Errorf("factory calls (-want +got):\n%s", diff)
	}
}

func TestRaisingMemoryReactor(t *testing.T) {
	listenErr := &protocol.CannotListenError{Port: 80, Err: errors.New("no")}
	connectErr := &protocol.ConnectionRefusedError{Msg: "nobody"}
	r := &braidtest.RaisingMemoryReactor{ListenErr: listenErr, ConnectErr: connectErr}

	f := newRecordingFactory()
	if lp, err := r.ListenTCP(80, f, protocol.ListenTCPOptions{}); lp != nil || err != listenErr {
		t.Errorf("ListenTCP = %v, %v; want nil, the error set", lp, err)
	}
	r.ConnectTCP("127.0.0.1", 80, f, protocol.ConnectTCPOptions{})
	want := []string{"StartFactory", "StartedConnecting", "ClientConnectionFailed: " + connectErr.Error(), "StopFactory"}
	if diff := cmp.Diff(want, f.lines); diff != "" {
		t.Errorf("factory calls (-want +got):\n%s", diff)
	}

	p := &traceProcess{}
	if tr, err := r.SpawnProcess(p, "/bin/true", []string{"true"}, protocol.SpawnOptions{}); tr != nil || !errors.Is(err, braidtest.ErrRefused) {
		t.Errorf("SpawnProcess = %v, %v; want nil, ErrRefused", tr, err)
	}
	if len(p.lines) != 0 {
		t.Errorf("the protocol of a refused spawn was called: %q", p.lines)
	}
}

// The records play accepted and made connections.
func TestMemoryReactor_PlayConnections(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	_, _ = r.ListenTCP(80, braidtest.NewAccumulatingFactory(), protocol.ListenTCPOptions{})
	_, _ = r.ListenTCP(81, protocol.FactoryFor(nil), protocol.ListenTCPOptions{}) // refuses every connection
	r.ConnectTCP("192.0.2.1", 80, braidtest.NewAccumulatingFactory(), protocol.ConnectTCPOptions{})

	server := r.TCPServers[0].MakeConnection(&braidtest.StringTransport{})
	client := r.TCPClients[0].MakeConnection(&braidtest.StringTransport{})
	for _, p := range []protocol.Protocol{server, client} {
		ap, ok := p.(*braidtest.AccumulatingProtocol)
		if !ok || ap.Made != 1 || ap.Transport == nil || ap.Factory == nil {
			t.Fatalf("played connection: %#v", p)
		}
	}
	if p := r.TCPServers[1].MakeConnection(&braidtest.StringTransport{}); p != nil {
		t.Fatalf("a refusing factory gave %v", p)
	}
}
