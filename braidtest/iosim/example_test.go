package iosim_test

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Greeter is a tiny line server: it greets, and says goodbye and closes
// when told QUIT.
type Greeter struct{ protocol.BaseProtocol }

func (g *Greeter) ConnectionMade() { g.Transport.Write([]byte("220 ready\r\n")) }

func (g *Greeter) DataReceived(data []byte) {
	if bytes.Equal(data, []byte("QUIT\r\n")) {
		g.Transport.Write([]byte("221 bye\r\n"))
		g.Transport.LoseConnection()
	}
}

// Quitter is its client: it quits as soon as it is greeted, and keeps what
// it hears.
type Quitter struct {
	protocol.BaseProtocol
	Heard  []string
	Reason error
}

func (q *Quitter) DataReceived(data []byte) {
	q.Heard = append(q.Heard, string(data))
	if bytes.HasPrefix(data, []byte("220 ")) {
		q.Transport.Write([]byte("QUIT\r\n"))
	}
}

func (q *Quitter) ConnectionLost(reason *reactor.Failure) { q.Reason = reason }

// A server and a client connected in memory: ConnectedServerAndClient
// builds both from their factories, connects them and flushes the
// conversation they start on their own, here all of it.
func ExampleConnectedServerAndClient() {
	servers := protocol.FactoryFor(func() protocol.Protocol { return &Greeter{} })
	clients := protocol.FactoryFor(func() protocol.Protocol { return &Quitter{} })
	client, _, _ := iosim.ConnectedServerAndClient(servers, clients, iosim.Options{})
	q := client.(*Quitter)
	fmt.Printf("%q\n", q.Heard)
	fmt.Println(q.Reason)
	// Output:
	// ["220 ready\r\n" "221 bye\r\n"]
	// connection was closed cleanly
}

// Stepping through a connection: with NoGreet nothing moves until the test
// pumps, each Pump moves what was written before it once, and Debug shows
// what moved.
func ExampleIOPump() {
	q := &Quitter{}
	_, _, pump := iosim.ConnectedServerAndClient(
		protocol.FactoryFor(func() protocol.Protocol { return &Greeter{} }),
		protocol.FactoryFor(func() protocol.Protocol { return q }),
		iosim.Options{NoGreet: true, Debug: os.Stdout})
	fmt.Println("heard before pumping:", len(q.Heard))
	fmt.Println("moved:", pump.Pump())
	fmt.Println("moved:", pump.Pump())
	fmt.Println("the rest moved:", pump.Flush())
	fmt.Println("moved:", pump.Pump())
	// Output:
	// heard before pumping: 0
	// -- pump --
	// S->C "220 ready\r\n"
	// moved: true
	// -- pump --
	// C->S "QUIT\r\n"
	// moved: true
	// -- pump --
	// S->C "221 bye\r\n"
	// -- pump --
	// C lost: connection was closed cleanly
	// -- pump --
	// S lost: connection was closed cleanly
	// -- pump --
	// the rest moved: true
	// -- pump --
	// moved: false
}

// Delayed is a server that answers a moment after it is asked, through its
// clock.
type Delayed struct {
	protocol.BaseProtocol
	Clock reactor.Time
}

func (d *Delayed) DataReceived(data []byte) {
	d.Clock.CallLater(0, func() { d.Transport.Write([]byte("later")) })
}

// With a Clock, each pump first runs the calls due now, so a protocol that
// answers through CallLater(0) is answered within one Flush; time itself
// moves only when the test advances the clock.
func ExampleIOPump_clock() {
	clock := reactor.NewClock()
	q := &Quitter{}
	_, _, pump := iosim.ConnectedServerAndClient(
		protocol.FactoryFor(func() protocol.Protocol { return &Delayed{Clock: clock} }),
		protocol.FactoryFor(func() protocol.Protocol { return q }),
		iosim.Options{Clock: clock})
	q.Transport.Write([]byte("now?"))
	pump.Flush()
	fmt.Println(q.Heard, clock.Seconds())
	clock.Advance(time.Second)
	fmt.Println(clock.Seconds())
	// Output:
	// [later] 0
	// 1
}

// A ConnectionCompleter decides the outcome of the connects a fake reactor
// recorded: the first succeeds through an in-memory connection, the second
// is refused.
func ExampleConnectionCompleter() {
	r := &recordingReactor{}
	_, _ = r.ListenTCP(25, protocol.FactoryFor(func() protocol.Protocol { return &Greeter{} }), protocol.ListenTCPOptions{})
	q := &Quitter{}
	r.ConnectTCP("192.0.2.25", 25, protocol.ClientFactoryFor(func() protocol.Protocol { return q }), protocol.ConnectTCPOptions{})
	refused := &clientFactory{log: &events{}}
	r.ConnectTCP("192.0.2.25", 25, refused, protocol.ConnectTCPOptions{})

	cc := iosim.NewConnectionCompleter(r)
	cc.SucceedOnce(iosim.Options{})
	cc.FailOnce(nil)
	fmt.Printf("%q\n", q.Heard)
	fmt.Println((*refused.log)[0])
	// Output:
	// ["220 ready\r\n" "221 bye\r\n"]
	// failed to connect to 192.0.2.25:25: connection was refused by other side: 111: connection refused
}
