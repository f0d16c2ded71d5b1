package protocol

import (
	"errors"
	"fmt"
	"net"

	"github.com/braid-go/braid/reactor"
)

// ClientCreator ports twisted.internet.protocol.ClientCreator: connect one
// protocol without writing a factory, and get it back through a Deferred.
type ClientCreator struct {
	r        ClientCreatorReactor
	newProto func() Protocol
}

// ClientCreatorReactor is what a [ClientCreator] needs of its reactor: TCP,
// and time, to hand results on in a later pass (T-08).
type ClientCreatorReactor interface {
	reactor.Time
	ReactorTCP
}

// NewClientCreator ports ClientCreator(reactor, protocolClass): newProto
// makes the protocol for each ConnectTCP. r is the reactor (or a fake of
// one) to connect with.
//
// A nil r or newProto is a programming error: NewClientCreator panics
// naming it.
func NewClientCreator(r ClientCreatorReactor, newProto func() Protocol) *ClientCreator {
	switch {
	case r == nil:
		panic("protocol: NewClientCreator: nil reactor")
	case newProto == nil:
		panic("protocol: NewClientCreator: nil newProto")
	}
	return &ClientCreator{r: r, newProto: newProto}
}

// ConnectTCP ports ClientCreator.connectTCP (T-07..T-10). It calls newProto
// at once — before any connect result, even for an attempt that will be
// refused (T-07) — and returns a Deferred. On success the protocol's
// ConnectionMade runs first, and the Deferred fires with the protocol on a
// later pass, through CallLater(0) (T-08); the protocol's Factory field stays
// nil. On failure it errbacks, also through CallLater(0), with a Failure
// wrapping a *ConnectionRefusedError (errors.Is(err, syscall.ECONNREFUSED)
// holds too), a *TimeoutError after the timeout, or another *ConnectError
// (T-09). opts are as for [ReactorTCP.ConnectTCP].
//
// Cancelling the Deferred abandons the attempt (or drops a connection made
// but not yet delivered) and errbacks with [reactor.ErrCancelled].
func (cc *ClientCreator) ConnectTCP(host string, port int, opts ConnectTCPOptions) *reactor.Deferred {
	return cc.connect(func(f ClientFactory) Connector { return cc.r.ConnectTCP(host, port, f, opts) })
}

// ConnectUNIX ports ClientCreator.connectUNIX: as ConnectTCP, through the
// reactor's [ReactorUNIX.ConnectUNIX]. A reactor that has no ConnectUNIX
// gives a Deferred that has failed with an error wrapping
// errors.ErrUnsupported (newProto is not called).
func (cc *ClientCreator) ConnectUNIX(address string, opts ConnectUNIXOptions) *reactor.Deferred {
	ru, ok := cc.r.(ReactorUNIX)
	if !ok {
		return reactor.Fail(fmt.Errorf("ClientCreator.ConnectUNIX: reactor %T has no ConnectUNIX: %w", cc.r, errors.ErrUnsupported))
	}
	return cc.connect(func(f ClientFactory) Connector { return ru.ConnectUNIX(address, f, opts) })
}

func (cc *ClientCreator) connect(start func(ClientFactory) Connector) *reactor.Deferred {
	var connector Connector
	f := &instanceFactory{r: cc.r}
	f.outer = f
	d := reactor.NewDeferred(func(*reactor.Deferred) {
		connector.Disconnect()
		if f.pending != nil {
			_ = f.pending.Cancel()
			f.pending = nil
		}
	})
	f.deferred = d
	f.instance = cc.newProto()
	connector = start(f)
	return d
}

// instanceFactory ports _InstanceFactory: it hands out the one protocol made
// in advance and fires the Deferred on the next pass.
type instanceFactory struct {
	BaseClientFactory
	r        reactor.Time
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

func (f *instanceFactory) ClientConnectionFailed(c Connector, reason *reactor.Failure) {
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
