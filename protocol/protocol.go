package protocol

import (
	"errors"
	"net"

	"github.com/braid-go/braid/reactor"
)

// Protocol ports twisted.internet.interfaces.IProtocol: the callbacks a
// stream transport (a TCP connection) makes into the code that speaks over
// it. All of them run on the reactor goroutine (T-01):
//
//   - MakeConnection is called once, when the transport is connected; it
//     records the transport and calls ConnectionMade.
//   - DataReceived gets the bytes as they arrive, in chunks of arbitrary
//     size (reads of up to 64 KiB; writes from the peer may be split or
//     coalesced). The slice is the receiver's to keep.
//   - ConnectionLost is called exactly once, when the connection has ended:
//     reason wraps [reactor.ErrConnectionDone] for an orderly close and
//     [reactor.ErrConnectionLost] (or ErrConnectionAborted) otherwise (T-06).
//
// Embed [BaseProtocol] to get do-nothing defaults and override what you need.
type Protocol interface {
	MakeConnection(t Transport)
	ConnectionMade()
	DataReceived(data []byte)
	ConnectionLost(reason *reactor.Failure)
}

// HalfCloseableProtocol ports IHalfCloseableProtocol. A protocol that
// implements it is told when one direction of its TCP connection ends while
// the other stays open:
//
//   - ReadConnectionLost: the peer shut down its writing side (we read EOF).
//     The connection stays open for writing; call LoseConnection when done.
//     A protocol without this method gets ConnectionLost(ConnectionDone)
//     instead, as in Twisted.
//   - WriteConnectionLost: LoseWriteConnection has flushed the buffer and
//     shut down our writing side.
type HalfCloseableProtocol interface {
	ReadConnectionLost()
	WriteConnectionLost()
}

// Transport ports ITransport: what a protocol uses to talk back. Write and
// WriteSequence never block and never fail: bytes are copied and queued, and
// a broken connection is reported later through ConnectionLost.
// LoseConnection closes once everything queued has been sent. GetHost and
// GetPeer return the local and remote addresses (*net.TCPAddr for TCP).
type Transport interface {
	Write(data []byte)
	WriteSequence(data [][]byte)
	LoseConnection()
	GetHost() net.Addr
	GetPeer() net.Addr
}

// Producer ports IProducer plus the ResumeProducing that both of Twisted's
// producer kinds have: something that writes into a Consumer. A pull
// (non-streaming) producer writes only when ResumeProducing is called.
// StopProducing means the consumer is gone: stop for good.
type Producer interface {
	ResumeProducing()
	StopProducing()
}

// PushProducer ports IPushProducer: a streaming producer that writes on its
// own until PauseProducing, and again after ResumeProducing. A TCP
// connection is one (pausing it stops reading from its socket).
type PushProducer interface {
	Producer
	PauseProducing()
}

// Consumer ports IConsumer: a sink a Producer can be registered with, so
// that the consumer can slow the producer down (flow control).
type Consumer interface {
	Write(data []byte)
	// RegisterProducer attaches p. With streaming true, p must be a
	// PushProducer: it is paused while the consumer's buffer is over its
	// high-water mark and resumed once the buffer has drained. With
	// streaming false, p is a pull producer: ResumeProducing is called each
	// time the buffer has drained. It returns ErrProducerRegistered if
	// another producer is registered.
	RegisterProducer(p Producer, streaming bool) error
	UnregisterProducer()
}

// ErrProducerRegistered is returned by RegisterProducer when a producer is
// already registered (Twisted raises RuntimeError).
var ErrProducerRegistered = errors.New("a producer is already registered; unregister it first")

// ErrNotPushProducer is returned by RegisterProducer(p, true) when p has no
// PauseProducing method.
var ErrNotPushProducer = errors.New("a streaming producer must implement PushProducer")

// Binder is implemented by embeddable bases whose default methods call
// methods of the value that embeds them — Twisted's self, which Go's
// embedding does not give: inside BaseProtocol.MakeConnection the receiver
// is the base, not your type, so without help the base could not reach
// your ConnectionMade. Bind(outer) tells the base the value it is embedded
// in. Every braid transport and test double calls [Bind] on a protocol or
// factory before using it; call it yourself when you drive one by hand.
//
// A base of your own built on [BaseProtocol] (a line receiver, say) needs no
// Bind of its own: BaseProtocol's is promoted to your type, and
// [BaseProtocol.Outer] gives your base the value to dispatch to.
type Binder interface {
	Bind(outer any)
}

// Bind tells every base embedded in p (through p's promoted [Binder]) that p
// is the value embedding it. It does nothing for a p that is no Binder.
// Transports call it before MakeConnection and factories' DoStart; call it
// before driving a protocol by hand:
//
//	p := &myProtocol{}
//	protocol.Bind(p)
//	p.MakeConnection(fakeTransport)
func Bind(p any) {
	if b, ok := p.(Binder); ok {
		b.Bind(p)
	}
}

// unboundPanic names the mistake of driving an embedding type whose base
// was never bound: the call would silently skip its overrides.
func unboundPanic(base, method string) {
	panic("protocol: " + base + "." + method + " called on a base that was never bound to the type embedding it; " +
		"call protocol.Bind(p) before driving p by hand (transports and test doubles do it for you)")
}

// BaseProtocol ports twisted.internet.protocol.Protocol as an embeddable
// base. Embed it (by value) in your protocol type and override the methods
// you need; the rest do nothing.
//
// Like Twisted's attributes, Transport is set by MakeConnection, Connected
// becomes true there, and Factory is set by the factory that built the
// protocol (BaseFactory.BuildProtocol does; [ClientCreator] leaves it nil,
// T-08).
//
// MakeConnection calls the ConnectionMade of the type embedding the base,
// which it knows once bound (see [Binder]): transports bind before they
// connect. MakeConnection on a base never bound panics, naming the fix,
// rather than skip your ConnectionMade.
type BaseProtocol struct {
	// Transport is the connection, set by MakeConnection.
	Transport Transport
	// Connected becomes true in MakeConnection (Twisted's connected).
	Connected bool
	// Factory is the factory that built the protocol, or nil.
	Factory Factory
	outer   Protocol
}

// Bind records the value embedding the base (see [Binder]). A value that
// is not a Protocol is ignored.
func (b *BaseProtocol) Bind(outer any) {
	if p, ok := outer.(Protocol); ok {
		b.outer = p
	}
}

// Outer returns the value the base is bound to — the protocol embedding it —
// or nil before Bind. A base built on [BaseProtocol] calls its embedding
// type's methods through it, with a type assertion for the optional ones.
func (b *BaseProtocol) Outer() Protocol { return b.outer }

// MakeConnection ports makeConnection (T-01): it sets Connected and
// Transport, then calls ConnectionMade on the protocol embedding the base.
func (b *BaseProtocol) MakeConnection(t Transport) {
	if b.outer == nil {
		unboundPanic("BaseProtocol", "MakeConnection")
	}
	b.Connected = true
	b.Transport = t
	b.outer.ConnectionMade()
}

// ConnectionMade ports connectionMade: it does nothing.
func (b *BaseProtocol) ConnectionMade() {}

// DataReceived ports dataReceived: it discards the data.
func (b *BaseProtocol) DataReceived(data []byte) {}

// ConnectionLost ports connectionLost: it does nothing.
func (b *BaseProtocol) ConnectionLost(reason *reactor.Failure) {}
