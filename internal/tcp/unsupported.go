//go:build !unix

package tcp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// errUnsupported is what every TCP call gives on a platform without a
// descriptor poller (Windows among them).
var errUnsupported = fmt.Errorf("TCP is not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Listen fails at once with a *protocol.CannotListenError wrapping
// errors.ErrUnsupported.
func Listen(r *reactor.Reactor, port int, factory protocol.Factory, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	return nil, &protocol.CannotListenError{Interface: opts.Interface, Port: port, Err: errUnsupported}
}

// Connect returns a connector whose every attempt fails, as a refused one
// would: StartedConnecting at once, then ClientConnectionFailed with a
// *protocol.ConnectError wrapping errors.ErrUnsupported on the next
// reactor turn.
func Connect(r *reactor.Reactor, host string, port int, factory protocol.ClientFactory, opts protocol.ConnectTCPOptions) protocol.Connector {
	if factory == nil {
		panic("braid: ConnectTCP to " + net.JoinHostPort(host, strconv.Itoa(port)) + ": nil factory")
	}
	protocol.Bind(factory)
	c := &failingConnector{r: r, factory: factory, dest: &net.TCPAddr{Port: port}, host: host, err: errUnsupported}
	if a, err := netip.ParseAddr(host); err == nil {
		c.dest.IP = a.AsSlice()
	}
	_ = c.Connect()
	return c
}

type failingConnector struct {
	r          *reactor.Reactor
	factory    protocol.ClientFactory
	dest       *net.TCPAddr
	unixDest   *net.UnixAddr // set for a UNIX connector
	host       string
	err        error
	connecting bool
	call       *reactor.DelayedCall
}

func (c *failingConnector) Connect() error {
	if c.connecting {
		return protocol.ErrAlreadyConnecting
	}
	c.connecting = true
	c.factory.DoStart()
	c.factory.StartedConnecting(c)
	c.call = c.r.CallLater(0, func() { c.fail(c.err) })
	return nil
}

func (c *failingConnector) StopConnecting() error {
	if !c.connecting {
		return protocol.ErrNotConnecting
	}
	_ = c.call.Cancel()
	c.fail(protocol.ErrUserStopped)
	return nil
}

func (c *failingConnector) Disconnect() { _ = c.StopConnecting() }

func (c *failingConnector) GetDestination() net.Addr {
	if c.unixDest != nil {
		return c.unixDest
	}
	return c.dest
}

func (c *failingConnector) fail(err error) {
	c.connecting = false
	msg := net.JoinHostPort(c.host, strconv.Itoa(c.dest.Port))
	if c.unixDest != nil {
		msg = strconv.Quote(c.host)
	}
	c.factory.ClientConnectionFailed(c, reactor.NewFailure(&protocol.ConnectError{OSError: err, Msg: msg}))
	if !c.connecting {
		c.factory.DoStop()
	}
}

// errUNIXUnsupported is what every UNIX-socket call gives here.
var errUNIXUnsupported = fmt.Errorf("UNIX sockets are not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// ListenUNIX fails at once with a *protocol.CannotListenError wrapping
// errors.ErrUnsupported.
func ListenUNIX(r *reactor.Reactor, address string, factory protocol.Factory, opts protocol.ListenUNIXOptions) (protocol.ListeningPort, error) {
	return nil, &protocol.CannotListenError{Address: address, Err: errUNIXUnsupported}
}

// ConnectUNIX returns a connector whose every attempt fails with a
// *protocol.ConnectError wrapping errors.ErrUnsupported, as Connect's do.
func ConnectUNIX(r *reactor.Reactor, address string, factory protocol.ClientFactory, opts protocol.ConnectUNIXOptions) protocol.Connector {
	if factory == nil {
		panic("braid: ConnectUNIX to " + strconv.Quote(address) + ": nil factory")
	}
	protocol.Bind(factory)
	c := &failingConnector{r: r, factory: factory, dest: &net.TCPAddr{}, unixDest: &net.UnixAddr{Name: address, Net: "unix"}, host: address, err: errUNIXUnsupported}
	_ = c.Connect()
	return c
}

// ListenSSL fails as Listen does.
func ListenSSL(r *reactor.Reactor, port int, factory protocol.Factory, _ *tls.Config, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	return Listen(r, port, factory, opts)
}

// ConnectSSL fails as Connect does.
func ConnectSSL(r *reactor.Reactor, host string, port int, factory protocol.ClientFactory, _ *tls.Config, opts protocol.ConnectTCPOptions) protocol.Connector {
	return Connect(r, host, port, factory, opts)
}
