package braidtest_test

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// startServer is code under test: it listens with the reactor it is given.
func startServer(r protocol.ReactorTCP, port int) error {
	_, err := r.ListenTCP(port, braidtest.NewAccumulatingFactory(), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	return err
}

// MemoryReactor records the ListenTCP call; the test then plays a client
// connecting through the record.
func ExampleMemoryReactor() {
	r := braidtest.NewMemoryReactor()
	if err := startServer(r, 8080); err != nil {
		fmt.Println(err)
		return
	}
	s := r.TCPServers[0]
	fmt.Println("listening on", s.ListeningPort.GetHost())

	tr := &braidtest.StringTransport{}
	p := s.MakeConnection(tr).(*braidtest.AccumulatingProtocol)
	p.DataReceived([]byte("hi"))
	fmt.Printf("connected: %v, received %q\n", p.Made == 1, p.Data)
	// Output:
	// listening on 127.0.0.1:8080
	// connected: true, received "hi"
}

// RaisingMemoryReactor makes every listen fail, so the test can see how the
// code under test reports it.
func ExampleRaisingMemoryReactor() {
	r := &braidtest.RaisingMemoryReactor{ListenErr: errors.New("address already in use")}
	fmt.Println("startServer:", startServer(r, 8080))
	// Output:
	// startServer: address already in use
}

// StringTransportWithDisconnection tells the protocol its connection is
// lost when the protocol hangs up.
func ExampleStringTransportWithDisconnection() {
	p := &braidtest.AccumulatingProtocol{}
	tr := &braidtest.StringTransportWithDisconnection{Protocol: p}
	protocol.Bind(p)
	p.MakeConnection(tr)
	tr.LoseConnection()
	fmt.Println("closed:", p.Closed, "reason is ConnectionDone:", errors.Is(p.ClosedReason, reactor.ErrConnectionDone))
	// Output:
	// closed: 1 reason is ConnectionDone: true
}

// WaitUntilAllDisconnected fires once every protocol has lost its
// connection; on a MemoryReactorClock it looks as the clock advances.
func ExampleWaitUntilAllDisconnected() {
	r := braidtest.NewMemoryReactorClock()
	a, b := &braidtest.AccumulatingProtocol{}, &braidtest.AccumulatingProtocol{}
	for _, p := range []*braidtest.AccumulatingProtocol{a, b} {
		protocol.Bind(p)
		p.MakeConnection(&braidtest.StringTransportWithDisconnection{Protocol: p})
	}
	d := braidtest.WaitUntilAllDisconnected(r, []protocol.Protocol{a, b})
	a.Transport.LoseConnection()
	r.Advance(10 * time.Millisecond)
	fmt.Println("after one hangs up:", d.Called())
	b.Transport.LoseConnection()
	r.Advance(10 * time.Millisecond)
	fmt.Println("after both:", d.Called())
	// Output:
	// after one hangs up: false
	// after both: true
}

// EventLoggingObserver keeps the errors a reactor logs, for the test to
// check.
func ExampleEventLoggingObserver() {
	obs := braidtest.NewEventLoggingObserver()
	r, err := reactor.New(obs.Option())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	r.LogError(reactor.NewFailure(&net.OpError{Op: "read", Err: errors.New("reset")}), "reading from a client")
	for _, e := range obs.Events() {
		fmt.Printf("%s: %v\n", e.Why, e.Failure)
	}
	// Output:
	// reading from a client: read: reset
}

// A LineSendingProtocol that speaks first, and what it heard back.
func ExampleNewLineSendingProtocol() {
	p := braidtest.NewLineSendingProtocol([][]byte{[]byte("HELO example.org"), []byte("QUIT")}, true)
	tr := &braidtest.StringTransportWithDisconnection{Protocol: p}
	protocol.Bind(p)
	p.MakeConnection(tr)
	p.DataReceived([]byte("250 hello\r\n221 bye\r\n"))
	tr.LoseConnection()
	fmt.Printf("sent %q\n", tr.Value())
	fmt.Printf("heard %q, lost %v\n", p.Response, p.LostConn)
	// Output:
	// sent "HELO example.org\r\nQUIT\r\n"
	// heard ["250 hello" "221 bye"], lost true
}
