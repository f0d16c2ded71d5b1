package braidtest

import (
	"bytes"
	"net"

	"github.com/braid-go/braid/internal/sockaddr"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Datagram is one write recorded by a FakeDatagramTransport. Addr is the
// address given to WriteTo, or nil for a Write (Twisted's noAddr).
type Datagram struct {
	Data []byte
	Addr net.Addr
}

// FakeDatagramTransport ports twisted.internet.testing.FakeDatagramTransport:
// a protocol.UDPTransport that records what is written to it and sends
// nothing. Beyond Twisted's, which records writes only, it is a whole
// port: it records Connect and SetBroadcastAllowed, and StopListening stops
// Protocol. It checks nothing: every write is recorded, whether or not the
// port is connected, and nothing fails. To play a datagram arriving, call
// the protocol's DatagramReceived.
//
// The zero value is ready to use; MemoryReactor.ListenUDP hands one to the
// protocol.
type FakeDatagramTransport struct {
	// Written is every datagram written, in order (Twisted's written).
	Written []Datagram
	// Addr is what GetHost returns.
	Addr net.Addr
	// Protocol, when set, gets DoStop from the first StopListening.
	Protocol protocol.DatagramProtocol
	// Peer is the address Connect was last called with, or nil.
	Peer *net.UDPAddr
	// BroadcastAllowed is set by SetBroadcastAllowed.
	BroadcastAllowed bool
	// StopListeningCalls counts StopListening calls.
	StopListeningCalls int
}

var _ protocol.UDPTransport = (*FakeDatagramTransport)(nil)

// WriteTo ports write(datagram, addr): it records a copy of data with
// addr.
func (t *FakeDatagramTransport) WriteTo(data []byte, addr net.Addr) error {
	t.Written = append(t.Written, Datagram{Data: append([]byte(nil), data...), Addr: addr})
	return nil
}

// Write ports write(datagram) on a connected port: it records a copy of
// data with a nil Addr.
func (t *FakeDatagramTransport) Write(data []byte) error { return t.WriteTo(data, nil) }

// WriteSequence records the slices joined, with addr.
func (t *FakeDatagramTransport) WriteSequence(data [][]byte, addr net.Addr) error {
	return t.WriteTo(bytes.Join(data, nil), addr)
}

// Connect records host and port in Peer (a host that is no IP literal
// gives a nil IP).
func (t *FakeDatagramTransport) Connect(host string, port int) error {
	t.Peer = &net.UDPAddr{Port: port}
	if a, ok := sockaddr.Literal(host); ok {
		t.Peer.IP, t.Peer.Zone = a.AsSlice(), a.Zone()
	}
	return nil
}

// GetHost ports getHost: Addr.
func (t *FakeDatagramTransport) GetHost() net.Addr { return t.Addr }

// StopListening counts the call. The first one calls Protocol's DoStop
// and returns a Deferred already fired with nil, where the real port does
// both on a later pass; later ones return nil.
func (t *FakeDatagramTransport) StopListening() *reactor.Deferred {
	var stop func()
	if t.Protocol != nil {
		stop = t.Protocol.DoStop
	}
	return stopOnce(&t.StopListeningCalls, stop)
}

// SetBroadcastAllowed records enabled in BroadcastAllowed.
func (t *FakeDatagramTransport) SetBroadcastAllowed(enabled bool) error {
	t.BroadcastAllowed = enabled
	return nil
}

// GetBroadcastAllowed returns BroadcastAllowed.
func (t *FakeDatagramTransport) GetBroadcastAllowed() (bool, error) { return t.BroadcastAllowed, nil }
