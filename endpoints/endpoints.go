package endpoints

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// ServerEndpoint ports IStreamServerEndpoint: somewhere to listen.
type ServerEndpoint interface {
	// Listen starts listening with factory. The Deferred fires with the
	// protocol.ListeningPort, or fails with why it could not listen (a
	// *protocol.CannotListenError).
	Listen(factory protocol.Factory) *reactor.Deferred
}

// ClientEndpoint ports IStreamClientEndpoint: somewhere to connect to.
type ClientEndpoint interface {
	// Connect makes one connection with a protocol from factory. The
	// Deferred fires with that protocol once it is connected (after its
	// ConnectionMade), or fails with why the attempt failed. Cancelling it
	// abandons the attempt: it then fails with a *ConnectingCancelledError.
	Connect(factory protocol.Factory) *reactor.Deferred
}

// ConnectingCancelledError ports error.ConnectingCancelledError: a
// Connect's Deferred was cancelled before the connection was made. Address
// is where it was connecting to.
type ConnectingCancelledError struct {
	Address net.Addr
}

func (e *ConnectingCancelledError) Error() string {
	return fmt.Sprintf("connecting to %v was cancelled", e.Address)
}

// ErrNoProtocol ports error.NoProtocol: the factory's BuildProtocol
// returned nil, so the connection made had nobody to talk to.
var ErrNoProtocol = errors.New("factory refused to build a protocol")

// DNSLookupError ports error.DNSLookupError: a host name did not resolve,
// or resolved to no address.
type DNSLookupError struct {
	Host string
	Err  error
}

func (e *DNSLookupError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("DNS lookup failed: %s: %v", e.Host, e.Err)
	}
	return "DNS lookup failed: no results for hostname lookup: " + e.Host
}

// Unwrap returns the resolver's error, if any.
func (e *DNSLookupError) Unwrap() error { return e.Err }

// listen ports defer.execute(reactor.listenX, …): the Deferred has fired
// by the time it is returned.
func listen(port protocol.ListeningPort, err error) *reactor.Deferred {
	if err != nil {
		return reactor.Fail(err)
	}
	return reactor.Succeed(port)
}

// TCP4ServerEndpoint ports TCP4ServerEndpoint: listen on Port (0: any
// free one) on an IPv4 Interface ("" for all).
type TCP4ServerEndpoint struct {
	Reactor   protocol.ReactorTCP
	Port      int
	Backlog   int    // 0: protocol.DefaultBacklog
	Interface string // "": every IPv4 address
}

// Listen ports listen: reactor.ListenTCP, its result in a fired Deferred.
func (e *TCP4ServerEndpoint) Listen(factory protocol.Factory) *reactor.Deferred {
	return listen(e.Reactor.ListenTCP(e.Port, factory, protocol.ListenTCPOptions{Interface: e.Interface, Backlog: e.Backlog}))
}

// TCP6ServerEndpoint ports TCP6ServerEndpoint: TCP4ServerEndpoint on IPv6,
// whose Interface "" means "::".
type TCP6ServerEndpoint struct {
	Reactor   protocol.ReactorTCP
	Port      int
	Backlog   int
	Interface string // "": "::"
}

// Listen ports listen.
func (e *TCP6ServerEndpoint) Listen(factory protocol.Factory) *reactor.Deferred {
	iface := e.Interface
	if iface == "" {
		iface = "::"
	}
	return listen(e.Reactor.ListenTCP(e.Port, factory, protocol.ListenTCPOptions{Interface: iface, Backlog: e.Backlog}))
}

// SSL4ServerEndpoint ports SSL4ServerEndpoint: TCP4ServerEndpoint whose
// connections are TLS servers with Config.
type SSL4ServerEndpoint struct {
	Reactor   protocol.ReactorSSL
	Port      int
	Config    *tls.Config
	Backlog   int
	Interface string
}

// Listen ports listen: reactor.ListenSSL.
func (e *SSL4ServerEndpoint) Listen(factory protocol.Factory) *reactor.Deferred {
	return listen(e.Reactor.ListenSSL(e.Port, factory, e.Config, protocol.ListenTCPOptions{Interface: e.Interface, Backlog: e.Backlog}))
}

// UNIXServerEndpoint ports UNIXServerEndpoint: listen on the UNIX socket
// Address.
type UNIXServerEndpoint struct {
	Reactor protocol.ReactorUNIX
	Address string
	Opts    protocol.ListenUNIXOptions
}

// Listen ports listen: reactor.ListenUNIX.
func (e *UNIXServerEndpoint) Listen(factory protocol.Factory) *reactor.Deferred {
	return listen(e.Reactor.ListenUNIX(e.Address, factory, e.Opts))
}

// TCP4ClientEndpoint ports TCP4ClientEndpoint: connect to Host:Port (a
// name is resolved by the reactor, as connectTCP does).
type TCP4ClientEndpoint struct {
	Reactor protocol.ReactorTCP
	Host    string
	Port    int
	Opts    protocol.ConnectTCPOptions // Timeout (0: 30 s), BindAddress
}

// Connect ports connect.
func (e *TCP4ClientEndpoint) Connect(factory protocol.Factory) *reactor.Deferred {
	return connectWith(factory, func(f protocol.ClientFactory) protocol.Connector {
		return e.Reactor.ConnectTCP(e.Host, e.Port, f, e.Opts)
	})
}

// SSL4ClientEndpoint ports SSL4ClientEndpoint: connect to Host:Port and
// speak TLS with Config.
type SSL4ClientEndpoint struct {
	Reactor protocol.ReactorSSL
	Host    string
	Port    int
	Config  *tls.Config
	Opts    protocol.ConnectTCPOptions
}

// Connect ports connect: reactor.ConnectSSL. As in Twisted the Deferred
// fires when the TCP connection is made, before the handshake.
func (e *SSL4ClientEndpoint) Connect(factory protocol.Factory) *reactor.Deferred {
	return connectWith(factory, func(f protocol.ClientFactory) protocol.Connector {
		return e.Reactor.ConnectSSL(e.Host, e.Port, f, e.Config, e.Opts)
	})
}

// UNIXClientEndpoint ports UNIXClientEndpoint: connect to the UNIX socket
// Path.
type UNIXClientEndpoint struct {
	Reactor protocol.ReactorUNIX
	Path    string
	Opts    protocol.ConnectUNIXOptions
}

// Connect ports connect: reactor.ConnectUNIX.
func (e *UNIXClientEndpoint) Connect(factory protocol.Factory) *reactor.Deferred {
	return connectWith(factory, func(f protocol.ClientFactory) protocol.Connector {
		return e.Reactor.ConnectUNIX(e.Path, f, e.Opts)
	})
}

// ConnectProtocol ports connectProtocol: connect p itself (not one built by
// a factory of your own) through endpoint; the Deferred fires with p.
func ConnectProtocol(endpoint ClientEndpoint, p protocol.Protocol) *reactor.Deferred {
	if p == nil {
		panic("endpoints: ConnectProtocol: nil protocol")
	}
	return endpoint.Connect(protocol.FactoryFor(func() protocol.Protocol { return p }))
}
