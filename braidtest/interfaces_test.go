package braidtest_test

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Every interface each double satisfies, checked by the compiler: the Go
// counterpart of test_interfaces, test_memoryReactorProvides and
// test_raisingReactorProvides (zope.interface's verifyObject).
var (
	_ protocol.TCPTransport  = (*braidtest.StringTransport)(nil)
	_ protocol.Transport     = (*braidtest.StringTransport)(nil)
	_ protocol.Consumer      = (*braidtest.StringTransport)(nil)
	_ protocol.PushProducer  = (*braidtest.StringTransport)(nil)
	_ protocol.TCPTransport  = (*braidtest.StringTransportWithDisconnection)(nil)
	_ protocol.Protocol      = (*braidtest.AccumulatingProtocol)(nil)
	_ protocol.Binder        = (*braidtest.AccumulatingProtocol)(nil)
	_ protocol.ClientFactory = (*braidtest.AccumulatingFactory)(nil)
	_ protocol.Producer      = (*braidtest.NonStreamingProducer)(nil)

	_ reactor.Core            = (*braidtest.MemoryReactor)(nil)
	_ reactor.FDSet           = (*braidtest.MemoryReactor)(nil)
	_ reactor.FromThreads     = (*braidtest.MemoryReactor)(nil)
	_ reactor.ErrorLogger     = (*braidtest.MemoryReactor)(nil)
	_ protocol.ReactorTCP     = (*braidtest.MemoryReactor)(nil)
	_ protocol.ReactorProcess = (*braidtest.MemoryReactor)(nil)
	_ protocol.ReactorUNIX    = (*braidtest.MemoryReactor)(nil)
	_ protocol.ReactorUDP     = (*braidtest.MemoryReactor)(nil)

	_ reactor.Core                  = (*braidtest.MemoryReactorClock)(nil)
	_ reactor.Time                  = (*braidtest.MemoryReactorClock)(nil)
	_ reactor.FDSet                 = (*braidtest.MemoryReactorClock)(nil)
	_ reactor.FromThreads           = (*braidtest.MemoryReactorClock)(nil)
	_ reactor.ErrorLogger           = (*braidtest.MemoryReactorClock)(nil)
	_ protocol.ReactorTCP           = (*braidtest.MemoryReactorClock)(nil)
	_ protocol.ReactorProcess       = (*braidtest.MemoryReactorClock)(nil)
	_ protocol.ClientCreatorReactor = (*braidtest.MemoryReactorClock)(nil)
	_ protocol.ReactorUNIX          = (*braidtest.MemoryReactorClock)(nil)
	_ protocol.ReactorUDP           = (*braidtest.MemoryReactorClock)(nil)

	_ protocol.ReactorTCP     = (*braidtest.RaisingMemoryReactor)(nil)
	_ protocol.ReactorProcess = (*braidtest.RaisingMemoryReactor)(nil)
	_ protocol.ReactorUNIX    = (*braidtest.RaisingMemoryReactor)(nil)
	_ protocol.ReactorUDP     = (*braidtest.RaisingMemoryReactor)(nil)

	_ protocol.ListeningPort = (*braidtest.FakePort)(nil)
	_ protocol.Connector     = (*braidtest.FakeConnector)(nil)

	_ protocol.UDPTransport = (*braidtest.FakeDatagramTransport)(nil)

	_ protocol.ProcessTransport = (*braidtest.FakeProcessTransport)(nil)
	_ protocol.GroupSignaler    = (*braidtest.FakeProcessTransport)(nil)
	_ protocol.Consumer         = (*braidtest.FakeProcessTransport)(nil)

	_ braidtest.DisconnectReporter = (*braidtest.AccumulatingProtocol)(nil)
	_ func(reactor.ErrorEvent)     = (*braidtest.EventLoggingObserver)(nil).Observe
)

// serviceReactor is what startSupervisor needs: time, TCP and processes.
// The real reactor and MemoryReactorClock both are one.
type serviceReactor interface {
	reactor.Time
	protocol.ReactorTCP
	protocol.ReactorProcess
}

var (
	_ serviceReactor = (*braid.Reactor)(nil)
	_ serviceReactor = (*braidtest.MemoryReactorClock)(nil)
)

// supervisor is code written against the interfaces alone: it serves on a
// port and spawns a worker; when the worker prints "ready" it connects to
// the worker's port, and a worker silent for 5 s gets SIGTERM.
type supervisor struct {
	r          serviceReactor
	workerPort int
	port       protocol.ListeningPort
	worker     protocol.ProcessTransport
	timeout    *reactor.DelayedCall
	client     protocol.Connector
}

type workerProtocol struct {
	protocol.BaseProcessProtocol
	s *supervisor
}

func (w *workerProtocol) OutReceived(data []byte) {
	if string(data) == "ready\n" {
		w.s.ready()
	}
}

func startSupervisor(r serviceReactor, port int) (*supervisor, error) {
	s := &supervisor{r: r, workerPort: port + 1}
	newProto := func() protocol.Protocol { return &braidtest.AccumulatingProtocol{} }
	lp, err := r.ListenTCP(port, protocol.FactoryFor(newProto), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		return nil, err
	}
	s.port = lp
	args := []string{"worker", "--port", strconv.Itoa(s.workerPort)}
	tr, err := r.SpawnProcess(&workerProtocol{s: s}, "/usr/bin/worker", args, protocol.SpawnOptions{})
	if err != nil {
		lp.StopListening()
		return nil, err
	}
	s.worker = tr
	s.timeout = r.CallLater(5*time.Second, func() { _ = tr.SignalProcess(syscall.SIGTERM) })
	return s, nil
}

func (s *supervisor) ready() {
	_ = s.timeout.Cancel()
	s.client = s.r.ConnectTCP("127.0.0.1", s.workerPort, protocol.ClientFactoryFor(nil), protocol.ConnectTCPOptions{})
}

// The same code runs on MemoryReactorClock, which records what it did.
func TestMemoryReactorClock_RunsCodeWrittenForTheInterfaces(t *testing.T) {
	type outcome struct {
		Listened  []int
		Spawned   [][]string
		Connected []string
		Signals   []syscall.Signal
	}
	cases := []struct {
		name   string
		worker func(r *braidtest.MemoryReactorClock, w *braidtest.FakeProcessTransport)
		want   outcome
	}{
		{
			"ReadyInTime",
			func(r *braidtest.MemoryReactorClock, w *braidtest.FakeProcessTransport) {
				r.Advance(time.Second)
				w.Deliver(1, []byte("ready\n"))
			},
			outcome{[]int{8080}, [][]string{{"worker", "--port", "8081"}}, []string{"127.0.0.1:8081"}, nil},
		},
		{
			"Silent",
			func(*braidtest.MemoryReactorClock, *braidtest.FakeProcessTransport) {},
			outcome{[]int{8080}, [][]string{{"worker", "--port", "8081"}}, nil, []syscall.Signal{syscall.SIGTERM}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := braidtest.NewMemoryReactorClock()
			if _, err := startSupervisor(r, 8080); err != nil {
				t.Fatal(err)
			}
			w := r.Processes[0].Transport
			c.worker(r, w)
			r.Advance(10 * time.Second)
			var got outcome
			for _, s := range r.TCPServers {
				got.Listened = append(got.Listened, s.Port)
			}
			for _, p := range r.Processes {
				got.Spawned = append(got.Spawned, p.Args)
			}
			for _, cl := range r.TCPClients {
				got.Connected = append(got.Connected, net.JoinHostPort(cl.Host, strconv.Itoa(cl.Port)))
			}
			got.Signals = w.Signals
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// protocol.ClientCreator runs on MemoryReactorClock: the test plays the
// connection, and the Deferred fires on the next pass (T-08).
func TestMemoryReactorClock_ClientCreator(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	cc := protocol.NewClientCreator(r, func() protocol.Protocol { return &braidtest.AccumulatingProtocol{} })
	d := cc.ConnectTCP("192.0.2.1", 25, protocol.ConnectTCPOptions{})
	p := r.TCPClients[0].MakeConnection(&braidtest.StringTransport{})
	if d.Called() {
		t.Fatal("fired in the same pass")
	}
	r.Iterate(0)
	if d.Result() != any(p) || p.(*braidtest.AccumulatingProtocol).Made != 1 {
		t.Fatalf("result %v, want the connected protocol", d.Result())
	}
}

// Iterate runs the thread calls, then the timed calls due, without moving
// time.
func TestMemoryReactorClock_Iterate(t *testing.T) {
	r := &braidtest.MemoryReactorClock{}
	var tr tracer
	r.CallLater(0, func() { tr.add("due now") })
	r.CallLater(time.Second, func() { tr.add("due later") })
	r.CallFromThread(func() { tr.add("thread call") })
	r.Iterate(time.Hour)
	if diff := cmp.Diff([]string{"thread call", "due now"}, tr.lines); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if r.Seconds() != 0 {
		t.Errorf("Seconds = %v, want 0", r.Seconds())
	}
}
