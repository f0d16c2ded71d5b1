package braidtest

import (
	"crypto/tls"
	"net"

	"github.com/braid-go/braid/protocol"
)

// SSLServer records one MemoryReactor.ListenSSL call (Twisted's sslServers
// tuple: port, factory, context factory, backlog, interface).
type SSLServer struct {
	Port          int
	Factory       protocol.Factory
	Config        *tls.Config
	Opts          protocol.ListenTCPOptions
	ListeningPort *FakePort
}

// SSLClient records one MemoryReactor.ConnectSSL call (Twisted's
// sslClients tuple: host, port, factory, context factory, timeout,
// bindAddress).
type SSLClient struct {
	Host      string
	Port      int
	Factory   protocol.ClientFactory
	Config    *tls.Config
	Opts      protocol.ConnectTCPOptions
	Connector *FakeConnector
}

// MakeConnection plays a client connecting, as [TCPServer.MakeConnection]
// does; no TLS is involved: t carries plaintext.
func (s SSLServer) MakeConnection(t protocol.Transport) protocol.Protocol {
	return connect(s.Factory, t)
}

// MakeConnection plays the attempt succeeding, as
// [TCPClient.MakeConnection] does; no TLS is involved.
func (c SSLClient) MakeConnection(t protocol.Transport) protocol.Protocol {
	return connect(c.Factory, t)
}

var _ protocol.ReactorSSL = (*MemoryReactor)(nil)

// ListenSSL ports listenSSL: it records the call in SSLServers and
// otherwise does what ListenTCP does (without recording in TCPServers).
func (m *MemoryReactor) ListenSSL(port int, factory protocol.Factory, config *tls.Config, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	ip, zone := interfaceIP(opts.Interface)
	p := &FakePort{Addr: &net.TCPAddr{IP: ip, Port: port, Zone: zone}, Factory: factory}
	m.SSLServers = append(m.SSLServers, SSLServer{Port: port, Factory: factory, Config: config, Opts: opts, ListeningPort: p})
	protocol.Bind(factory)
	factory.DoStart()
	return p, nil
}

// ConnectSSL ports connectSSL: it records the call in SSLClients and
// otherwise does what ConnectTCP does (without recording in TCPClients).
func (m *MemoryReactor) ConnectSSL(host string, port int, factory protocol.ClientFactory, config *tls.Config, opts protocol.ConnectTCPOptions) protocol.Connector {
	c := &FakeConnector{Host: host, Port: port, Factory: factory}
	m.SSLClients = append(m.SSLClients, SSLClient{Host: host, Port: port, Factory: factory, Config: config, Opts: opts, Connector: c})
	protocol.Bind(factory)
	factory.DoStart()
	factory.StartedConnecting(c)
	return c
}

var _ protocol.ReactorSSL = (*RaisingMemoryReactor)(nil)

// ListenSSL returns ListenErr, as ListenTCP does.
func (r *RaisingMemoryReactor) ListenSSL(port int, factory protocol.Factory, config *tls.Config, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	return r.ListenTCP(port, factory, opts)
}

// ConnectSSL reports ConnectErr to the factory, as ConnectTCP does.
func (r *RaisingMemoryReactor) ConnectSSL(host string, port int, factory protocol.ClientFactory, config *tls.Config, opts protocol.ConnectTCPOptions) protocol.Connector {
	return r.ConnectTCP(host, port, factory, opts)
}
