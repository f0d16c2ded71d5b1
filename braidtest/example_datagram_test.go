package braidtest_test

import (
	"fmt"
	"net"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// dnsStub answers every query with a fixed reply.
type dnsStub struct{ protocol.BaseDatagramProtocol }

func (d *dnsStub) DatagramReceived(query []byte, from net.Addr) {
	_ = d.Transport.WriteTo(append([]byte("answer to "), query...), from)
}

// A datagram protocol driven by hand on a FakeDatagramTransport: the test
// plays a datagram arriving and reads what was written back.
func ExampleFakeDatagramTransport() {
	p := &dnsStub{}
	protocol.Bind(p)
	tr := &braidtest.FakeDatagramTransport{}
	p.MakeConnection(tr)

	p.DatagramReceived([]byte("example.com"), &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 5353})
	for _, d := range tr.Written {
		fmt.Printf("%q to %v\n", d.Data, d.Addr)
	}
	// Output:
	// "answer to example.com" to 192.0.2.1:5353
}

// MemoryReactor records ListenUDP and connects the protocol to a
// FakeDatagramTransport; ListenUNIX and ConnectUNIX are recorded likewise.
func ExampleMemoryReactor_ListenUDP() {
	r := braidtest.NewMemoryReactor()
	_, _ = r.ListenUDP(53, &dnsStub{}, protocol.ListenUDPOptions{Interface: "127.0.0.1"})
	_, _ = r.ListenUNIX("/run/stub.sock", protocol.FactoryFor(nil), protocol.ListenUNIXOptions{})
	rec := r.UDPPorts[0]
	fmt.Println("udp:", rec.Port, rec.Opts.Interface, rec.Transport.GetHost())
	fmt.Println("unix:", r.UNIXServers[0].Address)
	// Output:
	// udp: 53 127.0.0.1 127.0.0.1:53
	// unix: /run/stub.sock
}

// MemoryReactor records ListenMulticast and connects the protocol to a
// FakeMulticastTransport, which keeps the groups joined and the settings.
func ExampleMemoryReactor_ListenMulticast() {
	r := braidtest.NewMemoryReactor()
	tr, _ := r.ListenMulticast(5353, &dnsStub{}, protocol.ListenMulticastOptions{ListenMultiple: true})
	tr.JoinGroup("224.0.0.251", "")
	_ = tr.SetTTL(255)
	rec := r.MulticastPorts[0]
	fmt.Println(rec.Port, rec.Opts.ListenMultiple, rec.Transport.Groups, rec.Transport.TTL)
	// Output:
	// 5353 true [{224.0.0.251 }] 255
}
