package protocol

import (
	"net"

	"github.com/braid-go/braid/reactor"
)

// Factory ports IProtocolFactory: it builds one protocol per connection.
//
// BuildProtocol gets the peer's address (the client's, on a listening port;
// the server's, for a client connection) and returns a new protocol, or nil
// to refuse the connection: a listening port then closes the accepted socket
// at once, so the client sees a successful connect followed by
// ConnectionDone (T-02).
//
// DoStart and DoStop are called by each port and connector that starts and
// stops using the factory; [BaseFactory] counts them (T-03).
type Factory interface {
	BuildProtocol(addr net.Addr) Protocol
	DoStart()
	DoStop()
}

// BaseFactory ports twisted.internet.protocol.Factory. Set Protocol (or use
// [FactoryFor]) and BuildProtocol makes one protocol per connection, setting
// its Factory field. Embed it to override StartFactory and StopFactory (or
// BuildProtocol); ports and connectors [Bind] the factory before they use
// it, so the base reaches the overrides. Like [BaseProtocol], an embedded
// base never bound panics when it would have to call an override.
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
	outer    Factory
}

// factoryHooks are the optional methods DoStart and DoStop call.
type factoryHooks interface {
	StartFactory()
	StopFactory()
}

// Bind records the value embedding the base (see [Binder]). A value that
// is not a Factory is ignored.
func (f *BaseFactory) Bind(outer any) {
	if o, ok := outer.(Factory); ok {
		f.outer = o
	}
}

func (f *BaseFactory) bound(method string) Factory {
	if f.outer == nil {
		unboundPanic("BaseFactory", method)
	}
	return f.outer
}

// FactoryFor ports Factory.forProtocol: a factory whose BuildProtocol calls
// newProto. It is bound already.
func FactoryFor(newProto func() Protocol) *BaseFactory {
	f := &BaseFactory{Protocol: newProto}
	f.outer = f
	return f
}

// BuildProtocol ports buildProtocol: it calls Protocol and sets the new
// protocol's Factory field (when it embeds [BaseProtocol]) to the factory.
func (f *BaseFactory) BuildProtocol(addr net.Addr) Protocol {
	outer := f.bound("BuildProtocol")
	if f.Protocol == nil {
		return nil
	}
	p := f.Protocol()
	if b, ok := p.(interface{ setFactory(Factory) }); ok {
		b.setFactory(outer)
	}
	return p
}

func (b *BaseProtocol) setFactory(f Factory) { b.Factory = f }

// DoStart ports doStart: StartFactory runs on the first call (T-03).
func (f *BaseFactory) DoStart() {
	outer := f.bound("DoStart")
	if f.NumPorts == 0 {
		if h, ok := outer.(factoryHooks); ok {
			h.StartFactory()
		}
	}
	f.NumPorts++
}

// DoStop ports doStop: StopFactory runs when the count returns to 0. Extra
// calls do nothing.
func (f *BaseFactory) DoStop() {
	outer := f.bound("DoStop")
	if f.NumPorts == 0 {
		return
	}
	f.NumPorts--
	if f.NumPorts == 0 {
		if h, ok := outer.(factoryHooks); ok {
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
//     stopped); reason wraps a *ConnectionRefusedError, *TimeoutError, and so
//     on. c.Connect may try again.
//   - ClientConnectionLost: an established connection ended.
type ClientFactory interface {
	Factory
	StartedConnecting(c Connector)
	ClientConnectionFailed(c Connector, reason *reactor.Failure)
	ClientConnectionLost(c Connector, reason *reactor.Failure)
}

// BaseClientFactory ports [ClientFactory] as an embeddable base: a [BaseFactory]
// whose three client callbacks do nothing.
type BaseClientFactory struct {
	BaseFactory
}

// ClientFactoryFor is [FactoryFor] for clients. It is bound already.
func ClientFactoryFor(newProto func() Protocol) *BaseClientFactory {
	f := &BaseClientFactory{BaseFactory{Protocol: newProto}}
	f.outer = f
	return f
}

// StartedConnecting ports startedConnecting: it does nothing.
func (f *BaseClientFactory) StartedConnecting(c Connector) {}

// ClientConnectionFailed ports clientConnectionFailed: it does nothing.
func (f *BaseClientFactory) ClientConnectionFailed(c Connector, reason *reactor.Failure) {}

// ClientConnectionLost ports clientConnectionLost: it does nothing.
func (f *BaseClientFactory) ClientConnectionLost(c Connector, reason *reactor.Failure) {}
