package endpoints_test

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/endpoints"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Parsing descriptions: what each one makes, and an error that names the
// Python exception Twisted would raise.
func ExampleServerFromString() {
	r := &braidtest.MemoryReactor{}
	for _, desc := range []string{"tcp:8080:interface=127.0.0.1", `tcp6:8080:interface=\:\:1`, "tcp:http"} {
		ep, err := endpoints.ServerFromString(r, desc)
		if err != nil {
			fmt.Println(err.(*endpoints.DescriptionError).Kind)
			continue
		}
		switch ep := ep.(type) {
		case *endpoints.TCP4ServerEndpoint:
			fmt.Printf("TCP4 port %d on %q\n", ep.Port, ep.Interface)
		case *endpoints.TCP6ServerEndpoint:
			fmt.Printf("TCP6 port %d on %q\n", ep.Port, ep.Interface)
		}
	}
	// Output:
	// TCP4 port 8080 on "127.0.0.1"
	// TCP6 port 8080 on "::1"
	// ValueError
}

// A server and a client made from description strings, on loopback; the
// client's Deferred fires with the protocol it connected.
func ExampleClientFromString() {
	r, _ := braid.New()
	server, err := endpoints.ServerFromString(r, "tcp:0:interface=127.0.0.1")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := &pinger{}
	p.done = func() {
		fmt.Printf("echoed: %q\n", p.got)
		_ = r.Stop()
	}
	r.CallWhenRunning(func() {
		server.Listen(protocol.FactoryFor(func() protocol.Protocol { return &echo{} })).AddCallback(func(v any) (any, error) {
			port := v.(protocol.ListeningPort).GetHost().(*net.TCPAddr).Port
			client, err := endpoints.ClientFromString(r, fmt.Sprintf("tcp:host=127.0.0.1:port=%d", port))
			if err != nil {
				return nil, err
			}
			return endpoints.ConnectProtocol(client, p).AddCallback(func(v any) (any, error) {
				fmt.Println("connected:", v == protocol.Protocol(p))
				return nil, nil
			}), nil
		}).AddErrback(func(f *reactor.Failure) (any, error) {
			fmt.Println(f)
			return nil, r.Stop()
		})
	})
	_ = r.Run()
	// Output:
	// connected: true
	// echoed: "ping"
}

// HostnameEndpoint tries a name's addresses in turn, AttemptDelay apart,
// until one connects; here on a MemoryReactorClock with a resolver that
// answers at once, the test playing the second attempt's success.
func ExampleHostnameEndpoint() {
	r := &braidtest.MemoryReactorClock{}
	ep := &endpoints.HostnameEndpoint{Reactor: r, Host: "example.test", Port: 80,
		Resolve: func(host string, done func([]netip.Addr, error)) {
			done([]netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil)
		}}
	d := ep.Connect(protocol.FactoryFor(func() protocol.Protocol { return &protocol.BaseProtocol{} }))
	fmt.Println("attempts:", len(r.TCPClients))
	r.Advance(endpoints.DefaultAttemptDelay)
	fmt.Println("attempts:", len(r.TCPClients), "to", r.TCPClients[1].Host)
	r.TCPClients[1].MakeConnection(braidtest.NewStringTransport(nil, nil))
	fmt.Println("connected:", d.Called(), "first attempt stopped:", r.TCPClients[0].Connector.StopConnectingCalls == 1)
	// Output:
	// attempts: 1
	// attempts: 2 to 127.0.0.1
	// connected: true first attempt stopped: true
}
