package protocol

import "net"

// BaseDatagramProtocol ports twisted.internet.protocol.DatagramProtocol as
// an embeddable base: Transport is set by MakeConnection and cleared by
// the last DoStop; StartProtocol runs when the first port connects and
// StopProtocol when the last one stops; the rest do nothing. Embed it by
// value and override what you need; like [BaseProtocol] it reaches your
// overrides once bound (see [Binder]), which ListenUDP does.
type BaseDatagramProtocol struct {
	// Transport is the port, set by MakeConnection.
	Transport UDPTransport
	// NumPorts counts the ports connected (Twisted's numPorts).
	NumPorts int
	outer    DatagramProtocol
}

var _ DatagramProtocol = (*BaseDatagramProtocol)(nil)

// Bind records the value embedding the base (see [Binder]).
func (b *BaseDatagramProtocol) Bind(outer any) {
	if p, ok := outer.(DatagramProtocol); ok {
		b.outer = p
	}
}

func (b *BaseDatagramProtocol) self(method string) DatagramProtocol {
	if b.outer == nil {
		unboundPanic("BaseDatagramProtocol", method)
	}
	return b.outer
}

// MakeConnection ports makeConnection: it records t and calls DoStart.
// A protocol already connected to a port panics, as Twisted asserts.
func (b *BaseDatagramProtocol) MakeConnection(t UDPTransport) {
	o := b.self("MakeConnection")
	if b.Transport != nil {
		panic("protocol: BaseDatagramProtocol.MakeConnection on a protocol that already has a transport")
	}
	b.Transport = t
	o.DoStart()
}

// DoStart ports doStart: StartProtocol for the first port.
func (b *BaseDatagramProtocol) DoStart() {
	o := b.self("DoStart")
	if b.NumPorts == 0 {
		o.StartProtocol()
	}
	b.NumPorts++
}

// DoStop ports doStop: it clears Transport, and StopProtocol runs when no
// port is left. A DoStop without a DoStart panics, as Twisted asserts.
func (b *BaseDatagramProtocol) DoStop() {
	o := b.self("DoStop")
	if b.NumPorts <= 0 {
		panic("protocol: BaseDatagramProtocol.DoStop without a matching DoStart")
	}
	b.NumPorts--
	b.Transport = nil
	if b.NumPorts == 0 {
		o.StopProtocol()
	}
}

// StartProtocol ports startProtocol: it does nothing.
func (b *BaseDatagramProtocol) StartProtocol() {}

// StopProtocol ports stopProtocol: it does nothing.
func (b *BaseDatagramProtocol) StopProtocol() {}

// DatagramReceived ports datagramReceived: it discards the datagram.
func (b *BaseDatagramProtocol) DatagramReceived(data []byte, addr net.Addr) {}
