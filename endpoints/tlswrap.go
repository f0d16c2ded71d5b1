package endpoints

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// WrapClientTLS ports wrapClientTLS: an endpoint that connects through
// inner and then speaks TLS with config on the connection, whose transport
// must be a protocol.TLSTransport (every braid TCP connection is). As in
// Twisted the Deferred fires with the protocol once the connection is made,
// before the handshake; a failed handshake reaches the protocol's
// ConnectionLost. Set config.ServerName to the name the certificate must
// carry (the "tls:" description sets it to its host).
func WrapClientTLS(config *tls.Config, inner ClientEndpoint) ClientEndpoint {
	return &tlsClientEndpoint{config: config, inner: inner}
}

type tlsClientEndpoint struct {
	config *tls.Config
	inner  ClientEndpoint
}

func (e *tlsClientEndpoint) Connect(factory protocol.Factory) *reactor.Deferred {
	if factory == nil {
		panic("endpoints: Connect: nil factory")
	}
	if err := protocol.CheckTLSConfig(e.config, false); err != nil {
		return reactor.Fail(err)
	}
	protocol.Bind(factory)
	tf := &tlsStartingFactory{wrapped: factory, config: e.config}
	return e.inner.Connect(tf).AddCallback(func(p any) (any, error) {
		return p.(*tlsStarter).inner, nil
	})
}

// tlsStartingFactory builds tlsStarters around the user's protocols: Twisted's
// TLSMemoryBIOFactory in wrapClientTLS.
type tlsStartingFactory struct {
	wrapped protocol.Factory
	config  *tls.Config
}

func (f *tlsStartingFactory) DoStart() { f.wrapped.DoStart() }
func (f *tlsStartingFactory) DoStop()  { f.wrapped.DoStop() }

func (f *tlsStartingFactory) BuildProtocol(addr net.Addr) protocol.Protocol {
	p := f.wrapped.BuildProtocol(addr)
	if p == nil {
		return nil
	}
	return &tlsStarter{config: f.config, inner: p}
}

// tlsStarter starts TLS on its transport before connecting the user's
// protocol, and passes everything on.
type tlsStarter struct {
	config *tls.Config
	inner  protocol.Protocol
}

func (s *tlsStarter) MakeConnection(t protocol.Transport) {
	tt, ok := t.(protocol.TLSTransport)
	var err error
	if !ok {
		err = fmt.Errorf("endpoints: WrapClientTLS: transport %T cannot start TLS", t)
	} else {
		err = tt.StartTLS(s.config, false)
	}
	if err != nil {
		panic(err) // the wrapping factory turns it into the Deferred's failure
	}
	protocol.Bind(s.inner)
	s.inner.MakeConnection(t)
}

func (s *tlsStarter) ConnectionMade()                        {}
func (s *tlsStarter) DataReceived(data []byte)               { s.inner.DataReceived(data) }
func (s *tlsStarter) ConnectionLost(reason *reactor.Failure) { s.inner.ConnectionLost(reason) }

func (s *tlsStarter) HandshakeCompleted() {
	if hl, ok := s.inner.(protocol.HandshakeListener); ok {
		hl.HandshakeCompleted()
	}
}
