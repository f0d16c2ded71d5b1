package endpoints

import (
	"net"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// wrappingFactory ports _WrappingFactory: the ClientFactory a client
// endpoint hands the reactor, turning the attempt's outcome into its
// Deferred's.
type wrappingFactory struct {
	wrapped   protocol.Factory
	d         *reactor.Deferred
	connector protocol.Connector
}

// connectWith makes the wrapping factory and its Deferred and starts the
// attempt with start. Cancelling the Deferred stops the attempt.
func connectWith(factory protocol.Factory, start func(protocol.ClientFactory) protocol.Connector) *reactor.Deferred {
	if factory == nil {
		panic("endpoints: Connect: nil factory")
	}
	protocol.Bind(factory)
	f := &wrappingFactory{wrapped: factory}
	f.d = reactor.NewDeferred(func(d *reactor.Deferred) {
		var dest net.Addr
		if f.connector != nil {
			dest = f.connector.GetDestination()
		}
		_ = d.Errback(&ConnectingCancelledError{Address: dest})
		if f.connector != nil {
			_ = f.connector.StopConnecting()
		}
	})
	d := f.d
	f.connector = start(f)
	return d
}

func (f *wrappingFactory) DoStart()                               { f.wrapped.DoStart() }
func (f *wrappingFactory) DoStop()                                { f.wrapped.DoStop() }
func (f *wrappingFactory) StartedConnecting(c protocol.Connector) { f.connector = c }

func (f *wrappingFactory) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	if !f.d.Called() {
		_ = f.d.Errback(reason)
	}
}

func (f *wrappingFactory) ClientConnectionLost(c protocol.Connector, reason *reactor.Failure) {}

// BuildProtocol ports _WrappingFactory.buildProtocol: a nil protocol or a
// panic fails the Deferred (with ErrNoProtocol or the panic).
func (f *wrappingFactory) BuildProtocol(addr net.Addr) (p protocol.Protocol) {
	defer func() {
		if v := recover(); v != nil {
			err, ok := v.(error)
			if !ok {
				err = &reactor.PanicError{Value: v}
			}
			f.fail(err)
			p = nil
		}
	}()
	inner := f.wrapped.BuildProtocol(addr)
	if inner == nil {
		f.fail(ErrNoProtocol)
		return nil
	}
	w := &wrappingProtocol{f: f, inner: inner}
	if _, ok := inner.(protocol.HalfCloseableProtocol); ok {
		return &halfCloseableWrapping{w}
	}
	return w
}

func (f *wrappingFactory) fail(err error) {
	if !f.d.Called() {
		_ = f.d.Errback(err)
	}
}

// wrappingProtocol ports _WrappingProtocol: it connects the protocol the
// user's factory built and then fires the Deferred with it. The
// transport's protocol is the wrapper; the user's sees the transport
// itself.
type wrappingProtocol struct {
	f     *wrappingFactory
	inner protocol.Protocol
}

func (w *wrappingProtocol) MakeConnection(t protocol.Transport) {
	defer func() {
		// A protocol that cannot start (WrapClientTLS on a transport
		// without TLS) fails the attempt and drops the connection.
		if v := recover(); v != nil {
			err, ok := v.(error)
			if !ok {
				err = &reactor.PanicError{Value: v}
			}
			w.f.fail(err)
			if tt, ok := t.(protocol.TCPTransport); ok {
				tt.AbortConnection()
			} else {
				t.LoseConnection()
			}
		}
	}()
	protocol.Bind(w.inner)
	w.inner.MakeConnection(t)
	if !w.f.d.Called() {
		_ = w.f.d.Callback(w.inner)
	}
}

func (w *wrappingProtocol) ConnectionMade()                        {}
func (w *wrappingProtocol) DataReceived(data []byte)               { w.inner.DataReceived(data) }
func (w *wrappingProtocol) ConnectionLost(reason *reactor.Failure) { w.inner.ConnectionLost(reason) }

// HandshakeCompleted passes IHandshakeListener's call on, when the wrapped
// protocol has it.
func (w *wrappingProtocol) HandshakeCompleted() {
	if hl, ok := w.inner.(protocol.HandshakeListener); ok {
		hl.HandshakeCompleted()
	}
}

// halfCloseableWrapping is the wrapper of a HalfCloseableProtocol, so the
// transport sees the half-close methods only when the wrapped protocol has
// them, as Twisted's wrapper provides the interface only then.
type halfCloseableWrapping struct{ *wrappingProtocol }

func (w *halfCloseableWrapping) ReadConnectionLost() {
	w.inner.(protocol.HalfCloseableProtocol).ReadConnectionLost()
}

func (w *halfCloseableWrapping) WriteConnectionLost() {
	w.inner.(protocol.HalfCloseableProtocol).WriteConnectionLost()
}
