package protocol

import (
	"net"
	"time"

	"github.com/braid-go/braid/reactor"
)

// This file ports twisted.protocols.portforward: listen on one port and, for
// each connection, connect to a target and relay bytes both ways.

// ProxyFactory ports portforward.ProxyFactory: a server factory whose
// protocols ([ProxyServer]) each connect to Host:Port and relay bytes in both
// directions. The two transports are registered as each other's producers,
// so a slow side pauses reading from the fast one and memory stays bounded
// (about two read buffers per direction), as in Twisted.
//
// Differences from Twisted (opt-in, or fixes of hangs):
//
//   - HalfClose (off by default, on in ListenForward): when one side shuts
//     down its writing half, the forwarder shuts down writing towards the
//     other side and keeps relaying the other direction, closing both once
//     both directions have ended — what ssh -L and socat do. Twisted's
//     forwarder instead closes both connections at the first EOF.
//   - WriteThrough (off by default, on in ListenForward): the outgoing
//     connection gets TCPConnOptions.WriteThrough, so relayed bytes go to
//     the kernel as soon as they are read, as socat does; ListenForward
//     sets it on the accepted ones too.
//   - When one side closes, the other side's producer is unregistered before
//     it is told to close, so it cannot wait forever on a producer that will
//     never resume (in Twisted it can, if its buffer had filled).
//
// The relay never keeps the slices it receives, so its outgoing
// connections use TCPConnOptions.ReuseReadBuffer, and [ListenForward]'s
// accepted ones too; that changes nothing observable.
type ProxyFactory struct {
	BaseFactory
	// R is the reactor the outgoing connections are made on (Twisted's
	// ProxyServer.reactor).
	R ReactorTCP
	// Host and Port are the target every accepted connection is
	// forwarded to.
	Host string
	Port int
	// HalfClose relays a shut-down writing half instead of closing both
	// connections at the first EOF (see above).
	HalfClose bool
	// WriteThrough sets TCPConnOptions.WriteThrough on the outgoing
	// connections.
	WriteThrough bool
	// ConnectTimeout is the outgoing connect timeout; 0 means 30 s.
	ConnectTimeout time.Duration
}

// NewProxyFactory ports ProxyFactory(host, port). It is bound already (see
// [Binder]).
func NewProxyFactory(r ReactorTCP, host string, port int) *ProxyFactory {
	f := &ProxyFactory{R: r, Host: host, Port: port}
	f.Bind(f)
	return f
}

// BuildProtocol makes a [ProxyServer] for an accepted connection.
func (f *ProxyFactory) BuildProtocol(addr net.Addr) Protocol {
	s := &ProxyServer{}
	s.Factory = f
	s.proxyFactory = f
	if f.HalfClose {
		return &halfCloseServer{s}
	}
	return s
}

// ListenForward listens on opts.Interface:port and forwards every
// connection to targetHost:targetPort, with half-close (see [ProxyFactory]):
// braid's own socat TCP-LISTEN / ssh -L. Relayed bytes are written through,
// and reads reuse one buffer, on both connections of each pair, whatever
// opts.Conn says. Stop it with the port's StopListening; connections
// already forwarded carry on until either end closes.
func ListenForward(r ReactorTCP, port int, targetHost string, targetPort int, opts ListenTCPOptions) (ListeningPort, error) {
	f := NewProxyFactory(r, targetHost, targetPort)
	f.HalfClose = true
	f.WriteThrough = true
	opts.Conn.ReuseReadBuffer = true
	opts.Conn.WriteThrough = true
	return r.ListenTCP(port, f, opts)
}

// Proxy ports portforward.Proxy: one end of a forwarded connection, which
// writes what it receives to its Peer's transport.
type Proxy struct {
	BaseProtocol
	// Peer is the other end, nil until both are connected and after this
	// end has closed.
	Peer *Proxy

	halfClose  bool
	readDone   bool // the far side shut down its writing half
	stoppedOut bool // this end no longer produces for the peer's transport
}

// SetPeer ports setPeer.
func (p *Proxy) SetPeer(peer *Proxy) { p.Peer = peer }

// DataReceived writes data to the peer.
func (p *Proxy) DataReceived(data []byte) {
	if p.Peer != nil && p.Peer.Transport != nil {
		p.Peer.Transport.Write(data)
	}
}

// ConnectionLost closes the peer's connection once its queue is sent.
func (p *Proxy) ConnectionLost(reason *reactor.Failure) {
	peer := p.Peer
	if peer == nil {
		return
	}
	p.Peer = nil
	p.stopProducingFor(peer)
	peer.Transport.LoseConnection()
}

// stopProducingFor takes this end's transport off the peer's transport as
// its producer, once: after a half-close the full close comes too, and a
// consumer such as Twisted's StringTransport refuses a second unregister.
func (p *Proxy) stopProducingFor(peer *Proxy) {
	if p.stoppedOut {
		return
	}
	p.stoppedOut = true
	if c, ok := peer.Transport.(Consumer); ok {
		c.UnregisterProducer()
	}
}

// readConnectionLost is the half-close step: stop writing towards the peer
// once its queue is sent; when both directions have ended, close both.
func (p *Proxy) readConnectionLost() {
	p.readDone = true
	peer := p.Peer
	if peer == nil {
		p.Transport.LoseConnection()
		return
	}
	p.stopProducingFor(peer)
	if t, ok := peer.Transport.(interface{ LoseWriteConnection() }); ok {
		t.LoseWriteConnection()
	}
	if peer.readDone {
		p.Transport.LoseConnection()
		peer.Transport.LoseConnection()
	}
}

// ProxyServer ports portforward.ProxyServer: the accepted end. It stops
// reading until the outgoing connection is made.
type ProxyServer struct {
	Proxy
	proxyFactory *ProxyFactory
}

// ConnectionMade pauses reading and connects to the factory's target.
func (s *ProxyServer) ConnectionMade() {
	if pp, ok := s.Transport.(PushProducer); ok {
		pp.PauseProducing()
	}
	f := s.proxyFactory
	s.halfClose = f.HalfClose
	cf := &proxyClientFactory{server: s}
	cf.Bind(cf)
	f.R.ConnectTCP(f.Host, f.Port, cf, ConnectTCPOptions{
		Timeout: f.ConnectTimeout,
		Conn:    TCPConnOptions{ReuseReadBuffer: true, WriteThrough: f.WriteThrough},
	})
}

// ProxyClient ports portforward.ProxyClient: the outgoing end.
type ProxyClient struct {
	Proxy
}

// ConnectionMade wires the two transports together for flow control and
// lets the server end read.
func (c *ProxyClient) ConnectionMade() {
	peer := c.Peer
	peer.SetPeer(&c.Proxy)
	mine, _ := c.Transport.(TCPTransport)
	theirs, _ := peer.Transport.(TCPTransport)
	if mine != nil && theirs != nil {
		_ = mine.RegisterProducer(theirs, true)
		_ = theirs.RegisterProducer(mine, true)
		theirs.ResumeProducing()
	}
}

// halfCloseServer and halfCloseClient add [HalfCloseableProtocol] to the two
// ends when the factory asks for half-close; without it the transport ends
// the connection at the first EOF, as in Twisted.
type halfCloseServer struct{ *ProxyServer }

func (h *halfCloseServer) ReadConnectionLost()  { h.readConnectionLost() }
func (h *halfCloseServer) WriteConnectionLost() {}

type halfCloseClient struct{ *ProxyClient }

func (h *halfCloseClient) ReadConnectionLost()  { h.readConnectionLost() }
func (h *halfCloseClient) WriteConnectionLost() {}

// proxyClientFactory ports ProxyClientFactory.
type proxyClientFactory struct {
	BaseClientFactory
	server *ProxyServer
}

func (f *proxyClientFactory) BuildProtocol(addr net.Addr) Protocol {
	c := &ProxyClient{}
	c.Factory = f
	c.halfClose = f.server.halfClose
	c.SetPeer(&f.server.Proxy)
	if c.halfClose {
		return &halfCloseClient{c}
	}
	return c
}

// ClientConnectionFailed closes the accepted connection: there is nowhere
// to forward it.
func (f *proxyClientFactory) ClientConnectionFailed(c Connector, reason *reactor.Failure) {
	f.server.Transport.LoseConnection()
}
