package braidtest

import (
	"net"
	"net/netip"
	"strings"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// TCPServer records one MemoryReactor.ListenTCP call: its arguments and the
// port it returned (Twisted's (port, factory, backlog, interface) tuple).
type TCPServer struct {
	Port          int
	Factory       protocol.Factory
	Opts          protocol.ListenTCPOptions
	ListeningPort *FakePort
}

// TCPClient records one MemoryReactor.ConnectTCP call: its arguments and
// the connector it returned (Twisted's (host, port, factory, timeout,
// bindAddress) tuple, and its connectors list).
type TCPClient struct {
	Host      string
	Port      int
	Factory   protocol.ClientFactory
	Opts      protocol.ConnectTCPOptions
	Connector *FakeConnector
}

// MakeConnection plays a client connecting to the port: it builds a
// protocol with the recorded factory (given t's peer address, as a real
// port gives the client's), binds it and calls its MakeConnection(t), as a
// real port does, and returns it. A factory that refuses (returns nil)
// gives nil. Beyond Twisted.
func (s TCPServer) MakeConnection(t protocol.Transport) protocol.Protocol {
	return connect(s.Factory, t)
}

// MakeConnection plays the connection attempt succeeding: it builds a
// protocol with the recorded factory (given t's peer address, the
// server's), binds it and calls its MakeConnection(t), as a real connector
// does, and returns it. A factory that refuses gives nil. Beyond Twisted.
func (c TCPClient) MakeConnection(t protocol.Transport) protocol.Protocol {
	return connect(c.Factory, t)
}

func connect(f protocol.Factory, t protocol.Transport) protocol.Protocol {
	p := f.BuildProtocol(t.GetPeer())
	if p == nil {
		return nil
	}
	protocol.Bind(p)
	p.MakeConnection(t)
	return p
}

// ListenTCP ports listenTCP: it records the call in TCPServers and returns a
// FakePort whose address is opts.Interface (0.0.0.0 when empty) and port,
// as given: port 0 stays 0. As the real reactor does (and Twisted's double
// does not), it binds factory and calls its DoStart. It never fails and
// never accepts a connection: a test plays one with the record's
// MakeConnection and a StringTransport.
//
// Twisted's double reports 0.0.0.0 for any IPv4 interface; this one reports
// the interface given. An interface that is no IP literal, which the real
// reactor refuses, is accepted, with a nil IP.
func (m *MemoryReactor) ListenTCP(port int, factory protocol.Factory, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	ip, zone := interfaceIP(opts.Interface)
	p := &FakePort{Addr: &net.TCPAddr{IP: ip, Port: port, Zone: zone}, Factory: factory}
	m.TCPServers = append(m.TCPServers, TCPServer{Port: port, Factory: factory, Opts: opts, ListeningPort: p})
	protocol.Bind(factory)
	factory.DoStart()
	return p, nil
}

// ConnectTCP ports connectTCP: it records the call in TCPClients, binds
// factory, calls its DoStart and StartedConnecting, as the real reactor does
// (Twisted's double only calls startedConnecting), and returns a
// FakeConnector. The attempt never ends by itself: a test plays success
// with the record's MakeConnection and a StringTransport, or failure by
// calling the factory's ClientConnectionFailed.
func (m *MemoryReactor) ConnectTCP(host string, port int, factory protocol.ClientFactory, opts protocol.ConnectTCPOptions) protocol.Connector {
	c := &FakeConnector{Host: host, Port: port, Factory: factory}
	m.TCPClients = append(m.TCPClients, TCPClient{Host: host, Port: port, Factory: factory, Opts: opts, Connector: c})
	protocol.Bind(factory)
	factory.DoStart()
	factory.StartedConnecting(c)
	return c
}

// interfaceIP is the address a fake port reports for iface: 0.0.0.0 for
// "", else as parseLiteral.
func interfaceIP(iface string) (net.IP, string) {
	if iface == "" {
		return net.IPv4zero, ""
	}
	return parseLiteral(iface)
}

// parseLiteral returns the IP of an IP literal (brackets and a zone
// allowed), or nil for anything else, such as a host name.
func parseLiteral(host string) (net.IP, string) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if err != nil {
		return nil, ""
	}
	ip := net.IP(a.AsSlice())
	if a.Is4() {
		ip = ip.To16() // the form net.ParseIP and net.IPv4 give
	}
	return ip, a.Zone()
}

// FakePort ports twisted.internet.testing._FakePort, the
// protocol.ListeningPort MemoryReactor.ListenTCP returns: it reports Addr
// and records StopListening.
type FakePort struct {
	// Addr is what GetHost returns.
	Addr net.Addr
	// Factory is the port's factory, whose DoStop StopListening calls.
	Factory protocol.Factory
	// StopListeningCalls counts StopListening calls.
	StopListeningCalls int
}

var _ protocol.ListeningPort = (*FakePort)(nil)

// GetHost ports getHost: Addr.
func (p *FakePort) GetHost() net.Addr { return p.Addr }

// StopListening counts the call. The first one calls the factory's DoStop
// and returns a Deferred already fired with nil, where the real port does
// both on a later pass; later ones return nil, as the real port's do.
// Twisted's double does nothing and returns None.
func (p *FakePort) StopListening() *reactor.Deferred {
	var stop func()
	if p.Factory != nil {
		stop = p.Factory.DoStop
	}
	return stopOnce(&p.StopListeningCalls, stop)
}

// stopOnce counts a StopListening call; the first runs stop (when not
// nil) and returns a fired Deferred, later ones return nil.
func stopOnce(calls *int, stop func()) *reactor.Deferred {
	*calls++
	if *calls > 1 {
		return nil
	}
	if stop != nil {
		stop()
	}
	return reactor.Succeed(nil)
}

// FakeConnector ports twisted.internet.testing._FakeConnector, the
// protocol.Connector MemoryReactor.ConnectTCP returns. It records the
// calls made to it and does nothing else: it tells the factory nothing and
// its methods never fail, whatever state a real connector would be in.
type FakeConnector struct {
	// Host and Port are the destination, as given to ConnectTCP (a host
	// name is kept here; GetDestination cannot carry it).
	Host string
	Port int
	// Factory is the factory given to ConnectTCP.
	Factory protocol.ClientFactory
	// StopConnectingCalls, DisconnectCalls and ConnectCalls count the calls
	// of those methods (Twisted's stoppedConnecting and _disconnected
	// flags).
	StopConnectingCalls int
	DisconnectCalls     int
	ConnectCalls        int
	// Address, when set, is what GetDestination returns: MemoryReactor's
	// ConnectUNIX sets it to the *net.UnixAddr connected to.
	Address net.Addr
}

var _ protocol.Connector = (*FakeConnector)(nil)

// Connect counts the call and returns nil.
func (c *FakeConnector) Connect() error {
	c.ConnectCalls++
	return nil
}

// StopConnecting counts the call and returns nil.
func (c *FakeConnector) StopConnecting() error {
	c.StopConnectingCalls++
	return nil
}

// Disconnect counts the call.
func (c *FakeConnector) Disconnect() { c.DisconnectCalls++ }

// GetDestination ports getDestination as braid's connector has it: Address
// when set, else a *net.TCPAddr with Port, whose IP is Host when Host is an
// IP literal and nil when it is a name (Twisted's address keeps the name;
// see Host).
func (c *FakeConnector) GetDestination() net.Addr {
	if c.Address != nil {
		return c.Address
	}
	ip, zone := parseLiteral(c.Host)
	return &net.TCPAddr{IP: ip, Port: c.Port, Zone: zone}
}
