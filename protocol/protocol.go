package protocol

import (
	"errors"
	"fmt"
	"net"
	"time"

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
//     reason wraps reactor.ErrConnectionDone for an orderly close and
//     reactor.ErrConnectionLost (or ErrConnectionAborted) otherwise (T-06).
//
// Embed BaseProtocol to get do-nothing defaults and override what you need.
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

// BaseProtocol ports twisted.internet.protocol.Protocol as an embeddable
// base. Embed it (by value) in your protocol type and override the methods
// you need; the rest do nothing.
//
// Like Twisted's attributes, Transport is set by MakeConnection, Connected
// becomes true there, and Factory is set by the factory that built the
// protocol (BaseFactory.BuildProtocol and the TCP port do this; ClientCreator
// leaves it nil, T-08).
//
// The transport binds the base to the value embedding it before it calls
// MakeConnection, so the base's MakeConnection reaches your ConnectionMade.
// If you drive a protocol by hand (a test with a fake transport), call the
// package function MakeConnection rather than the method.
type BaseProtocol struct {
	// Transport is the connection, set by MakeConnection.
	Transport Transport
	// Connected becomes true in MakeConnection (Twisted's connected).
	Connected bool
	// Factory is the factory that built the protocol, or nil.
	Factory Factory
	self    Protocol
}

// protocolBinder is promoted from BaseProtocol into every type embedding it.
type protocolBinder interface {
	bindProtocol(p Protocol)
	setFactory(f Factory)
}

func (b *BaseProtocol) bindProtocol(p Protocol) { b.self = p }
func (b *BaseProtocol) setFactory(f Factory)    { b.Factory = f }

// MakeConnection ports makeConnection (T-01): it sets Connected and
// Transport, then calls ConnectionMade on the protocol embedding the base.
func (b *BaseProtocol) MakeConnection(t Transport) {
	b.Connected = true
	b.Transport = t
	if b.self != nil {
		b.self.ConnectionMade()
		return
	}
	b.ConnectionMade()
}

// ConnectionMade ports connectionMade: it does nothing.
func (b *BaseProtocol) ConnectionMade() {}

// DataReceived ports dataReceived: it discards the data.
func (b *BaseProtocol) DataReceived(data []byte) {}

// ConnectionLost ports connectionLost: it does nothing.
func (b *BaseProtocol) ConnectionLost(reason *reactor.Failure) {}

// MakeConnection connects p to t as a transport does: it binds an embedded
// BaseProtocol to p (so its default MakeConnection reaches p's
// ConnectionMade) and calls p.MakeConnection(t). Use it to drive a protocol
// with a hand-made Transport in tests.
func MakeConnection(p Protocol, t Transport) {
	bindProtocol(p)
	p.MakeConnection(t)
}

func bindProtocol(p Protocol) {
	if b, ok := p.(protocolBinder); ok {
		b.bindProtocol(p)
	}
}

// Factory ports IProtocolFactory: it builds one protocol per connection.
//
// BuildProtocol gets the peer's address (the client's, on a listening port;
// the server's, for a client connection) and returns a new protocol, or nil
// to refuse the connection: a listening port then closes the accepted socket
// at once, so the client sees a successful connect followed by
// ConnectionDone (T-02).
//
// DoStart and DoStop are called by each port and connector that starts and
// stops using the factory; BaseFactory counts them (T-03).
type Factory interface {
	BuildProtocol(addr net.Addr) Protocol
	DoStart()
	DoStop()
}

// BaseFactory ports twisted.internet.protocol.Factory. Set Protocol (or use
// FactoryFor) and BuildProtocol makes one protocol per connection, setting
// its Factory field. Embed it to override StartFactory and StopFactory (or
// BuildProtocol); the ports and connectors bind the base to the embedding
// value, so the overrides are reached.
//
// NumPorts counts the ports and connectors using the factory: StartFactory
// runs when it goes from 0 to 1, StopFactory when it returns to 0 (T-03).
type BaseFactory struct {
	// Protocol builds a protocol; nil makes BuildProtocol return nil, so
	// every connection is refused (Twisted fails an assertion instead).
	Protocol func() Protocol
	// NumPorts is Twisted's numPorts: how many ports and connectors use the
	// factory now.
	NumPorts int
	self     Factory
}

type factoryBinder interface{ bindFactory(f Factory) }

type factoryHooks interface {
	StartFactory()
	StopFactory()
}

func (f *BaseFactory) bindFactory(outer Factory) { f.self = outer }

func bindFactory(f Factory) {
	if b, ok := f.(factoryBinder); ok {
		b.bindFactory(f)
	}
}

func (f *BaseFactory) outer() Factory {
	if f.self != nil {
		return f.self
	}
	return f
}

// FactoryFor ports Factory.forProtocol: a factory whose BuildProtocol calls
// newProto.
func FactoryFor(newProto func() Protocol) *BaseFactory {
	return &BaseFactory{Protocol: newProto}
}

// BuildProtocol ports buildProtocol: it calls Protocol and sets the new
// protocol's Factory field (when it embeds BaseProtocol) to the factory.
func (f *BaseFactory) BuildProtocol(addr net.Addr) Protocol {
	if f.Protocol == nil {
		return nil
	}
	p := f.Protocol()
	if p != nil {
		setProtocolFactory(p, f.outer())
	}
	return p
}

func setProtocolFactory(p Protocol, f Factory) {
	if b, ok := p.(protocolBinder); ok {
		b.setFactory(f)
	}
}

// DoStart ports doStart: StartFactory runs on the first call (T-03).
func (f *BaseFactory) DoStart() {
	if f.NumPorts == 0 {
		if h, ok := f.outer().(factoryHooks); ok {
			h.StartFactory()
		}
	}
	f.NumPorts++
}

// DoStop ports doStop: StopFactory runs when the count returns to 0. Extra
// calls do nothing.
func (f *BaseFactory) DoStop() {
	if f.NumPorts == 0 {
		return
	}
	f.NumPorts--
	if f.NumPorts == 0 {
		if h, ok := f.outer().(factoryHooks); ok {
			h.StopFactory()
		}
	}
}

// StartFactory ports startFactory: it does nothing; override it to set up
// what the factory's protocols share.
func (f *BaseFactory) StartFactory() {}

// StopFactory ports stopFactory: it does nothing; override it to release
// what StartFactory set up.
func (f *BaseFactory) StopFactory() {}

// ClientFactory ports twisted.internet.protocol.ClientFactory: a Factory for
// outgoing connections that also hears how the attempt went.
//
//   - StartedConnecting: ConnectTCP has started the attempt (c.StopConnecting
//     may abort it).
//   - ClientConnectionFailed: the attempt failed (refused, timed out,
//     stopped); reason wraps a *reactor.ConnectionRefusedError,
//     *reactor.TimeoutError, and so on. c.Connect may try again.
//   - ClientConnectionLost: an established connection ended.
type ClientFactory interface {
	Factory
	StartedConnecting(c *Connector)
	ClientConnectionFailed(c *Connector, reason *reactor.Failure)
	ClientConnectionLost(c *Connector, reason *reactor.Failure)
}

// BaseClientFactory ports ClientFactory as an embeddable base: a BaseFactory
// whose three client callbacks do nothing.
type BaseClientFactory struct {
	BaseFactory
}

// ClientFactoryFor is FactoryFor for clients.
func ClientFactoryFor(newProto func() Protocol) *BaseClientFactory {
	return &BaseClientFactory{BaseFactory{Protocol: newProto}}
}

// StartedConnecting ports startedConnecting: it does nothing.
func (f *BaseClientFactory) StartedConnecting(c *Connector) {}

// ClientConnectionFailed ports clientConnectionFailed: it does nothing.
func (f *BaseClientFactory) ClientConnectionFailed(c *Connector, reason *reactor.Failure) {}

// ClientConnectionLost ports clientConnectionLost: it does nothing.
func (f *BaseClientFactory) ClientConnectionLost(c *Connector, reason *reactor.Failure) {}

// ClientCreator ports twisted.internet.protocol.ClientCreator: connect one
// protocol without writing a factory, and get it back through a Deferred.
type ClientCreator struct {
	r        *reactor.Reactor
	newProto func() Protocol
}

// NewClientCreator ports ClientCreator(reactor, protocolClass): newProto
// makes the protocol for each ConnectTCP.
func NewClientCreator(r *reactor.Reactor, newProto func() Protocol) *ClientCreator {
	return &ClientCreator{r: r, newProto: newProto}
}

// ConnectTCP ports ClientCreator.connectTCP (T-07..T-10). It calls newProto
// at once — before any connect result, even for an attempt that will be
// refused (T-07) — and returns a Deferred. On success the protocol's
// ConnectionMade runs first, and the Deferred fires with the protocol on a
// later pass, through CallLater(0) (T-08); the protocol's Factory field stays
// nil. On failure it errbacks, also through CallLater(0), with a Failure
// wrapping *reactor.ConnectionRefusedError (errors.Is(err,
// syscall.ECONNREFUSED) holds too), *reactor.TimeoutError after timeout, or
// another *reactor.ConnectError (T-09). timeout is as for the package's
// ConnectTCP (0: 30 s; negative: none).
//
// Cancelling the Deferred abandons the attempt (or drops a connection made
// but not yet delivered) and errbacks with reactor.ErrCancelledError.
func (cc *ClientCreator) ConnectTCP(host string, port int, timeout time.Duration) *reactor.Deferred {
	var connector *Connector
	f := &instanceFactory{r: cc.r}
	d := reactor.NewDeferred(func(*reactor.Deferred) {
		connector.Disconnect()
		if f.pending != nil {
			_ = f.pending.Cancel()
			f.pending = nil
		}
	})
	f.deferred = d
	f.instance = cc.newProto()
	connector = ConnectTCP(cc.r, host, port, f, timeout)
	return d
}

// instanceFactory ports _InstanceFactory: it hands out the one protocol made
// in advance and fires the Deferred on the next pass.
type instanceFactory struct {
	BaseClientFactory
	r        *reactor.Reactor
	instance Protocol
	deferred *reactor.Deferred
	pending  *reactor.DelayedCall
}

func (f *instanceFactory) BuildProtocol(addr net.Addr) Protocol {
	d, p := f.deferred, f.instance
	f.deferred = nil
	if d != nil {
		f.pending = f.r.CallLater(0, func() {
			f.pending = nil
			_ = d.Callback(p)
		})
	}
	return p
}

func (f *instanceFactory) ClientConnectionFailed(c *Connector, reason *reactor.Failure) {
	d := f.deferred
	f.deferred = nil
	if d != nil {
		f.pending = f.r.CallLater(0, func() {
			f.pending = nil
			_ = d.Errback(reason)
		})
	}
}

// String says what the factory is for, in reports.
func (f *instanceFactory) String() string {
	return fmt.Sprintf("ClientCreator factory for %T", f.instance)
}
