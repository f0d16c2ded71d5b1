package iosim

import (
	"io"
	"net"

	"github.com/braid-go/braid/protocol"
)

// Options are the keyword arguments of Twisted's connect,
// connectedServerAndClient and ConnectionCompleter.succeedOnce. The zero
// value is Twisted's default: greet, no trace, no clock.
type Options struct {
	// NoGreet skips the Flush that Connect makes once both protocols are
	// connected, which lets them exchange their greetings or handshake
	// (Twisted's greet=False). The pump then has moved nothing yet.
	NoGreet bool
	// Debug, when not nil, becomes the pump's Debug: a trace of what each
	// pump moves (Twisted's debug=True).
	Debug io.Writer
	// Clock, when not nil, becomes the pump's Clock, advanced by 0 before
	// each pump, the greeting included (Twisted's clock).
	Clock Clock
	// ServerAddr and ClientAddr are the addresses of the two ends that
	// ConnectedServerAndClient and ConnectionCompleter give the factories
	// and the transports; nil means 192.0.2.1:4321 for the server and
	// 198.51.100.1:54321 for the client (for ConnectionCompleter the
	// server's default is the recorded host and port). Connect uses the
	// transports' own. Twisted has no such arguments: its
	// clientTransportFactory and serverTransportFactory, which served to
	// choose transports, are not ported.
	ServerAddr, ClientAddr net.Addr
}

// Connect ports connect: it connects serverProto through serverTransport
// and clientProto through clientTransport — [protocol.Bind], then
// MakeConnection, server first — and returns the pump joining them, after
// one Flush unless opts.NoGreet. A transport made with a nil protocol gets
// the one it is connected with. Nil arguments are a programming error:
// Connect panics naming them.
func Connect(serverProto protocol.Protocol, serverTransport *FakeTransport, clientProto protocol.Protocol, clientTransport *FakeTransport, opts Options) *IOPump {
	switch {
	case serverProto == nil:
		panic("iosim: Connect: nil server protocol")
	case serverTransport == nil:
		panic("iosim: Connect: nil server transport")
	case clientProto == nil:
		panic("iosim: Connect: nil client protocol")
	case clientTransport == nil:
		panic("iosim: Connect: nil client transport")
	}
	if serverTransport.proto == nil {
		serverTransport.proto = serverProto
	}
	if clientTransport.proto == nil {
		clientTransport.proto = clientProto
	}
	protocol.Bind(serverProto)
	serverProto.MakeConnection(serverTransport)
	protocol.Bind(clientProto)
	clientProto.MakeConnection(clientTransport)
	pump := &IOPump{
		Client: clientProto, Server: serverProto,
		ClientIO: clientTransport, ServerIO: serverTransport,
		Debug: opts.Debug, Clock: opts.Clock,
	}
	if !opts.NoGreet {
		pump.Flush()
	}
	return pump
}

// ConnectedServerAndClient ports connectedServerAndClient: it builds a client
// protocol with clientFactory.BuildProtocol(the server's address) and a
// server protocol with serverFactory.BuildProtocol(the client's address),
// gives each a transport whose Host and Peer are those addresses, and
// connects them with Connect. It returns the two protocols and the pump.
//
// Twisted's takes two protocol classes; braid takes factories, so a
// protocol's Factory field is set as on a real connection, and binds them
// first (see [protocol.Bind]). It does not call the factories' DoStart or
// DoStop, which belong to listening ports and connectors: call DoStart
// first for a factory that needs it. A factory that builds no protocol
// refuses the connection, as it may on a real port (T-02): a stand-in
// protocol takes its place and closes at once, so the other end is
// connected and then gets ConnectionLost(ErrConnectionDone); the protocol
// returned for that end is nil.
func ConnectedServerAndClient(serverFactory, clientFactory protocol.Factory, opts Options) (client, server protocol.Protocol, pump *IOPump) {
	if serverFactory == nil || clientFactory == nil {
		panic("iosim: ConnectedServerAndClient: nil factory")
	}
	serverAddr, clientAddr := opts.ServerAddr, opts.ClientAddr
	if serverAddr == nil {
		serverAddr = defaultServerAddr()
	}
	if clientAddr == nil {
		clientAddr = defaultClientAddr()
	}
	client, server, pump = connectFactories(serverFactory, serverAddr, clientFactory, clientAddr, opts)
	return client, server, pump
}

// connectFactories builds a protocol from each factory, client first as in
// Twisted, and connects them.
func connectFactories(serverFactory protocol.Factory, serverAddr net.Addr, clientFactory protocol.Factory, clientAddr net.Addr, opts Options) (client, server protocol.Protocol, pump *IOPump) {
	protocol.Bind(clientFactory)
	protocol.Bind(serverFactory)
	client = clientFactory.BuildProtocol(serverAddr)
	server = serverFactory.BuildProtocol(clientAddr)
	clientProto, serverProto := orRefused(client), orRefused(server)
	ct := newFakeTransport(clientProto, false, clientAddr, serverAddr)
	st := newFakeTransport(serverProto, true, serverAddr, clientAddr)
	return client, server, Connect(serverProto, st, clientProto, ct, opts)
}

// orRefused returns p, or a stand-in for the nil a refusing factory built.
func orRefused(p protocol.Protocol) protocol.Protocol {
	if p == nil {
		return &refused{}
	}
	return p
}

// refused stands in for the protocol a factory refused to build: it closes
// the connection as soon as it is made, as braid's TCP transports (and
// Twisted's) do.
type refused struct{ protocol.BaseProtocol }

func (r *refused) ConnectionMade() { r.Transport.LoseConnection() }
