package braidtest

import (
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// AccumulatingProtocol ports twisted.internet.testing.AccumulatingProtocol:
// a protocol that keeps everything it receives and counts its connection
// events, and fires Deferreds when it connects (through its factory) and
// disconnects. It is built on protocol.BaseProtocol, whose Transport,
// Connected and Factory fields it has.
//
// Made and Closed count calls where Twisted keeps the flag 1, so Made == 1
// reads as Twisted's made == 1 and also catches a second call.
type AccumulatingProtocol struct {
	protocol.BaseProtocol

	// Data is every byte DataReceived was given, in order.
	Data []byte
	// Made counts ConnectionMade calls (Twisted's made).
	Made int
	// Closed counts ConnectionLost calls (Twisted's closed), and
	// ClosedReason is the reason the last one was given.
	Closed       int
	ClosedReason *reactor.Failure
	// ClosedDeferred, when set, is fired with nil by the next
	// ConnectionLost, which then clears it (Twisted's closedDeferred).
	ClosedDeferred *reactor.Deferred
}

var (
	_ protocol.Protocol  = (*AccumulatingProtocol)(nil)
	_ DisconnectReporter = (*AccumulatingProtocol)(nil)
)

// connectionMadeWaiter is a factory that wants to hear of its protocols'
// first ConnectionMade: AccumulatingFactory, or any factory with the method.
type connectionMadeWaiter interface {
	TakeProtocolConnectionMade() *reactor.Deferred
}

// ConnectionMade counts the call and, when the protocol's Factory has a
// TakeProtocolConnectionMade method (AccumulatingFactory has) that returns
// a Deferred, fires that Deferred with the protocol. Twisted reads and
// clears the factory's protocolConnectionMade attribute instead.
func (p *AccumulatingProtocol) ConnectionMade() {
	p.Made++
	if f, ok := p.Factory.(connectionMadeWaiter); ok {
		if d := f.TakeProtocolConnectionMade(); d != nil {
			_ = d.Callback(p)
		}
	}
}

// DataReceived appends data to Data.
func (p *AccumulatingProtocol) DataReceived(data []byte) { p.Data = append(p.Data, data...) }

// ConnectionLost counts the call, records reason in ClosedReason and fires
// ClosedDeferred, if set, with nil.
func (p *AccumulatingProtocol) ConnectionLost(reason *reactor.Failure) {
	p.Closed++
	p.ClosedReason = reason
	if d := p.ClosedDeferred; d != nil {
		p.ClosedDeferred = nil
		_ = d.Callback(nil)
	}
}

// Disconnected reports whether ConnectionLost has been called, for
// WaitUntilAllDisconnected.
func (p *AccumulatingProtocol) Disconnected() bool { return p.Closed > 0 }

// AccumulatingFactory is the factory half of Twisted's
// AccumulatingProtocol pair: a client and server factory building
// AccumulatingProtocols, whose ProtocolConnectionMade Deferred the first of
// them to connect fires with itself. Twisted's tests write such a factory
// each time (with a protocolConnectionMade attribute); braidtest offers one.
type AccumulatingFactory struct {
	protocol.BaseClientFactory
	// ProtocolConnectionMade, when set, is fired with the first protocol
	// whose ConnectionMade runs, and cleared.
	ProtocolConnectionMade *reactor.Deferred
}

var _ protocol.ClientFactory = (*AccumulatingFactory)(nil)

// NewAccumulatingFactory returns an AccumulatingFactory, bound, whose
// BuildProtocol makes an *AccumulatingProtocol (with Factory set).
func NewAccumulatingFactory() *AccumulatingFactory {
	f := &AccumulatingFactory{}
	f.Protocol = func() protocol.Protocol { return &AccumulatingProtocol{} }
	protocol.Bind(f)
	return f
}

// TakeProtocolConnectionMade returns ProtocolConnectionMade and clears it.
// AccumulatingProtocol.ConnectionMade calls it.
func (f *AccumulatingFactory) TakeProtocolConnectionMade() *reactor.Deferred {
	d := f.ProtocolConnectionMade
	f.ProtocolConnectionMade = nil
	return d
}
