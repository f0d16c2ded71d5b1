package braidtest_test

import (
	"fmt"
	"syscall"
	"time"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// echo is a protocol under test: it writes back what it receives and
// hangs up on "bye".
type echo struct{ protocol.BaseProtocol }

func (e *echo) DataReceived(data []byte) {
	e.Transport.Write(data)
	if string(data) == "bye" {
		e.Transport.LoseConnection()
	}
}

// A protocol is connected to a StringTransport by hand, fed bytes, and its
// replies read back.
func ExampleStringTransport() {
	p := &echo{}
	tr := &braidtest.StringTransport{}
	protocol.Bind(p) // what a real transport does before MakeConnection
	p.MakeConnection(tr)

	p.DataReceived([]byte("hello"))
	fmt.Printf("%q disconnecting=%v\n", tr.Value(), tr.Disconnecting)
	tr.Clear()
	p.DataReceived([]byte("bye"))
	fmt.Printf("%q disconnecting=%v\n", tr.Value(), tr.Disconnecting)
	// Output:
	// "hello" disconnecting=false
	// "bye" disconnecting=true
}

// dialWithRetry is code under test, written against the interfaces: it
// connects to host:port and, each time the attempt fails, tries again a
// second later.
func dialWithRetry(r protocol.ClientCreatorReactor, host string, port int) {
	f := &retryingFactory{r: r}
	f.Protocol = func() protocol.Protocol { return &braidtest.AccumulatingProtocol{} }
	r.ConnectTCP(host, port, f, protocol.ConnectTCPOptions{})
}

type retryingFactory struct {
	protocol.BaseClientFactory
	r reactor.Time
}

func (f *retryingFactory) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	f.r.CallLater(time.Second, func() { _ = c.Connect() })
}

// MemoryReactorClock records the connection attempt; the test plays its
// failure and moves the clock to see the retry.
func ExampleMemoryReactorClock() {
	r := braidtest.NewMemoryReactorClock()
	dialWithRetry(r, "192.0.2.1", 8080)

	c := r.TCPClients[0]
	fmt.Println("connecting to", c.Connector.GetDestination())
	c.Factory.ClientConnectionFailed(c.Connector, reactor.NewFailure(&protocol.ConnectionRefusedError{}))
	r.Advance(999 * time.Millisecond)
	fmt.Println("retries after 0.999 s:", c.Connector.ConnectCalls)
	r.Advance(time.Millisecond)
	fmt.Println("retries after 1 s:", c.Connector.ConnectCalls)

	p := c.MakeConnection(&braidtest.StringTransport{}).(*braidtest.AccumulatingProtocol)
	fmt.Println("connected:", p.Made == 1)
	// Output:
	// connecting to 192.0.2.1:8080
	// retries after 0.999 s: 0
	// retries after 1 s: 1
	// connected: true
}

// collector is a process protocol under test.
type collector struct {
	protocol.BaseProcessProtocol
	out []byte
}

func (c *collector) ConnectionMade()         { c.Transport.Write([]byte("2+2\n")) }
func (c *collector) OutReceived(data []byte) { c.out = append(c.out, data...) }
func (c *collector) ProcessEnded(reason *reactor.Failure) {
	fmt.Printf("ended: %v; output %q\n", reason, c.out)
}

// The test plays the child through its FakeProcessTransport: it reads what
// the protocol wrote, delivers output, and ends the child.
func ExampleFakeProcessTransport() {
	r := braidtest.NewMemoryReactorClock()
	r.OnSpawn = func(t *braidtest.FakeProcessTransport) { t.SetPid(4242) }
	transport, _ := r.SpawnProcess(&collector{}, "/usr/bin/bc", []string{"bc"}, protocol.SpawnOptions{})
	child := transport.(*braidtest.FakeProcessTransport)

	fmt.Printf("pid %d read %q\n", child.Pid(), child.Written[0])
	child.Deliver(1, []byte("4\n"))
	_ = child.SignalProcess(syscall.SIGTERM)
	child.KilledBy(syscall.SIGTERM)
	fmt.Println("signals:", child.Signals, "pid now:", child.Pid())
	// Output:
	// pid 4242 read "2+2\n"
	// ended: a process has ended with a probable error condition: process ended by signal 15; output "4\n"
	// signals: [terminated] pid now: 0
}
