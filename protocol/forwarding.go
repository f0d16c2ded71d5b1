package protocol

import "github.com/braid-go/braid/reactor"

// ForwardingPortOwner is told what a [ForwardingPort] collected once its
// connection has ended: ConchTestForwardingProcess's
// forwardingPortDisconnected.
type ForwardingPortOwner interface {
	ForwardingPortDisconnected(buffer []byte)
}

// ForwardingPort ports Conch's ConchTestForwardingPort (C-06), the client
// end of the forwarding tests: once connected it sends Data, it collects
// every byte it receives, and when the connection ends — for whatever
// reason, which it ignores — it hands the collected bytes to Owner.
//
// Buffer is nil until ConnectionMade and then a non-nil slice, so an owner
// can tell "connected, got nothing" (empty) from "never connected" (nil).
type ForwardingPort struct {
	BaseProtocol
	// Owner is told the collected bytes when the connection ends.
	Owner ForwardingPortOwner
	// Data is written once connected.
	Data []byte
	// Buffer collects what is received: nil before ConnectionMade.
	Buffer []byte
}

// NewForwardingPort ports ConchTestForwardingPort(protocol, data).
func NewForwardingPort(owner ForwardingPortOwner, data []byte) *ForwardingPort {
	return &ForwardingPort{Owner: owner, Data: data}
}

// ConnectionMade empties the buffer and writes Data. (DataReceived copies
// what it gets, so a connection made for a [ForwardingPort] may set
// TCPConnOptions.ReuseReadBuffer, as ForwardingProcess does.)
func (p *ForwardingPort) ConnectionMade() {
	p.Buffer = []byte{}
	p.Transport.Write(p.Data)
}

// DataReceived appends data to the buffer.
func (p *ForwardingPort) DataReceived(data []byte) {
	p.Buffer = append(p.Buffer, data...)
}

// ConnectionLost ignores reason and hands the buffer to the owner.
func (p *ForwardingPort) ConnectionLost(reason *reactor.Failure) {
	if p.Owner != nil {
		p.Owner.ForwardingPortDisconnected(p.Buffer)
	}
}
