package braidtest

import (
	"net"

	"github.com/braid-go/braid/protocol"
)

// UNIXServer records one MemoryReactor.ListenUNIX call (Twisted's
// unixServers entry: address, factory, backlog, mode, wantPID).
type UNIXServer struct {
	Address       string
	Factory       protocol.Factory
	Opts          protocol.ListenUNIXOptions
	ListeningPort *FakePort
}

// UNIXClient records one MemoryReactor.ConnectUNIX call (Twisted's
// unixClients entry: address, factory, timeout, checkPID).
type UNIXClient struct {
	Address   string
	Factory   protocol.ClientFactory
	Opts      protocol.ConnectUNIXOptions
	Connector *FakeConnector
}

// UDPPort records one MemoryReactor.ListenUDP call (Twisted's udpServers
// entry: port, protocol, interface, maxPacketSize) and the transport the
// protocol was connected to.
type UDPPort struct {
	Port      int
	Protocol  protocol.DatagramProtocol
	Opts      protocol.ListenUDPOptions
	Transport *FakeDatagramTransport
}

// MakeConnection plays a client connecting to the UNIX port, as
// TCPServer.MakeConnection does.
func (s UNIXServer) MakeConnection(t protocol.Transport) protocol.Protocol {
	return connect(s.Factory, t)
}

// MakeConnection plays the UNIX connection attempt succeeding, as
// TCPClient.MakeConnection does.
func (c UNIXClient) MakeConnection(t protocol.Transport) protocol.Protocol {
	return connect(c.Factory, t)
}

// ListenUNIX ports listenUNIX: it records the call in UNIXServers, binds
// factory and calls its DoStart (as the real reactor does), and returns a
// FakePort whose address is a *net.UnixAddr of address. It never fails.
func (m *MemoryReactor) ListenUNIX(address string, factory protocol.Factory, opts protocol.ListenUNIXOptions) (protocol.ListeningPort, error) {
	p := &FakePort{Addr: &net.UnixAddr{Name: address, Net: "unix"}, Factory: factory}
	m.UNIXServers = append(m.UNIXServers, UNIXServer{Address: address, Factory: factory, Opts: opts, ListeningPort: p})
	protocol.Bind(factory)
	factory.DoStart()
	return p, nil
}

// ConnectUNIX ports connectUNIX: it records the call in UNIXClients, binds
// factory, calls DoStart and StartedConnecting, and returns a
// FakeConnector whose GetDestination is the *net.UnixAddr. The attempt
// never ends by itself, as with ConnectTCP.
func (m *MemoryReactor) ConnectUNIX(address string, factory protocol.ClientFactory, opts protocol.ConnectUNIXOptions) protocol.Connector {
	c := &FakeConnector{Host: address, Factory: factory, Address: &net.UnixAddr{Name: address, Net: "unix"}}
	m.UNIXClients = append(m.UNIXClients, UNIXClient{Address: address, Factory: factory, Opts: opts, Connector: c})
	protocol.Bind(factory)
	factory.DoStart()
	factory.StartedConnecting(c)
	return c
}

// ListenUDP ports listenUDP: it records the call in UDPPorts and, as the
// real reactor does (Twisted's double does not), connects proto to a
// FakeDatagramTransport whose address is opts.Interface (0.0.0.0 when
// empty) and port, so that what the protocol writes is recorded there.
// It never fails.
func (m *MemoryReactor) ListenUDP(port int, proto protocol.DatagramProtocol, opts protocol.ListenUDPOptions) (protocol.UDPTransport, error) {
	ip, zone := interfaceIP(opts.Interface)
	t := &FakeDatagramTransport{Addr: &net.UDPAddr{IP: ip, Port: port, Zone: zone}, Protocol: proto}
	m.UDPPorts = append(m.UDPPorts, UDPPort{Port: port, Protocol: proto, Opts: opts, Transport: t})
	protocol.Bind(proto)
	proto.MakeConnection(t)
	return t, nil
}

// ListenUNIX returns ListenErr; the factory is not started.
func (r *RaisingMemoryReactor) ListenUNIX(address string, factory protocol.Factory, opts protocol.ListenUNIXOptions) (protocol.ListeningPort, error) {
	return nil, orRefused(r.ListenErr)
}

// ConnectUNIX reports ConnectErr to factory before it returns, as
// ConnectTCP does.
func (r *RaisingMemoryReactor) ConnectUNIX(address string, factory protocol.ClientFactory, opts protocol.ConnectUNIXOptions) protocol.Connector {
	c := &FakeConnector{Host: address, Factory: factory, Address: &net.UnixAddr{Name: address, Net: "unix"}}
	raiseConnect(c, factory, r.ConnectErr)
	return c
}

// ListenUDP returns ListenErr; proto is not called.
func (r *RaisingMemoryReactor) ListenUDP(port int, proto protocol.DatagramProtocol, opts protocol.ListenUDPOptions) (protocol.UDPTransport, error) {
	return nil, orRefused(r.ListenErr)
}
