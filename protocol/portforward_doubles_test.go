package protocol_test

import (
	"net"
	"testing"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// The half-closing proxy, driven on braidtest's doubles: each end
// unregisters itself as its peer's producer once, although both the
// read-half close and the full close stop the flow (StringTransport, as
// Twisted's, refuses an UnregisterProducer with nothing registered).
func TestProxy_HalfCloseUnregistersOnce(t *testing.T) {
	r := braidtest.NewMemoryReactor()
	pf := protocol.NewProxyFactory(r, "127.0.0.1", 9)
	pf.HalfClose = true
	clientAddr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	proxyAddr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	targetAddr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}

	accepted := braidtest.NewStringTransport(proxyAddr, clientAddr)
	server := pf.BuildProtocol(clientAddr)
	protocol.Bind(server)
	server.MakeConnection(accepted)
	if len(r.TCPClients) != 1 {
		t.Fatalf("the proxy made %d connects, want 1", len(r.TCPClients))
	}
	outgoing := braidtest.NewStringTransport(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40001}, targetAddr)
	client := r.TCPClients[0].MakeConnection(outgoing)
	if accepted.Producer != outgoing || outgoing.Producer != accepted {
		t.Fatalf("producers: accepted has %v, outgoing has %v; want each the other", accepted.Producer, outgoing.Producer)
	}

	server.(protocol.HalfCloseableProtocol).ReadConnectionLost()
	if outgoing.Producer != nil {
		t.Errorf("after the client's EOF the outgoing end still has producer %v", outgoing.Producer)
	}
	server.ConnectionLost(nil) // must not unregister a second time
	client.(protocol.HalfCloseableProtocol).ReadConnectionLost()
	client.ConnectionLost(nil)
	if !accepted.Disconnecting || !outgoing.Disconnecting {
		t.Errorf("disconnecting: accepted=%v outgoing=%v, want both", accepted.Disconnecting, outgoing.Disconnecting)
	}
}
