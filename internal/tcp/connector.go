//go:build unix

package tcp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// ConnectorState says where a Connector is: "disconnected", "connecting" or
// "connected", Twisted's BaseConnector.state.
type ConnectorState string

// The states of a Connector.
const (
	StateDisconnected ConnectorState = "disconnected"
	StateConnecting   ConnectorState = "connecting"
	StateConnected    ConnectorState = "connected"
)

// Connector ports tcp.Connector (IConnector): one outgoing TCP connection
// attempt and the connection it makes, reported to a ClientFactory. Connect
// may be called again after the connection failed or ended, to reconnect.
type Connector struct {
	r       *reactor.Reactor
	host    string
	port    int
	factory protocol.ClientFactory
	timeout time.Duration // 0: none
	bind    *net.TCPAddr
	conn    protocol.TCPConnOptions

	// A UNIX connector (unix_connect.go) connects to unixAddress.
	unixMode    bool
	unixAddress string
	checkPID    bool

	state          ConnectorState
	factoryStarted bool
	transport      *Conn
	timeoutCall    *reactor.DelayedCall
	tlsConfig      *tls.Config // ConnectSSL: the connection is a TLS client
}

var _ protocol.Connector = (*Connector)(nil)

// Connect ports reactor.connectTCP (protocol.ReactorTCP.ConnectTCP): it
// starts connecting to host:port and reports to factory. host is an IP
// literal (IPv4 or IPv6, brackets optional) or a name, resolved off the
// reactor goroutine. As in Twisted, nothing fails synchronously, and the
// connect(2) itself happens on the next reactor pass.
func Connect(r *reactor.Reactor, host string, port int, factory protocol.ClientFactory, opts protocol.ConnectTCPOptions) *Connector {
	return connect(r, host, port, factory, opts, nil)
}

// ConnectSSL ports reactor.connectSSL (protocol.ReactorSSL.ConnectSSL):
// Connect, then a TLS client with config on the connection. A config
// without ServerName (and without InsecureSkipVerify) checks the server's
// certificate against host. A nil config fails the attempt through
// ClientConnectionFailed with protocol.ErrTLSConfig.
func ConnectSSL(r *reactor.Reactor, host string, port int, factory protocol.ClientFactory, config *tls.Config, opts protocol.ConnectTCPOptions) *Connector {
	if config == nil {
		config = badConfig
	}
	return connect(r, host, port, factory, opts, config)
}

// badConfig marks a ConnectSSL given a nil config, which fails each attempt.
var badConfig = &tls.Config{}

func connect(r *reactor.Reactor, host string, port int, factory protocol.ClientFactory, opts protocol.ConnectTCPOptions, config *tls.Config) *Connector {
	if factory == nil {
		// Nothing could be told the attempt failed: a programming error.
		panic("braid: ConnectTCP to " + net.JoinHostPort(host, strconv.Itoa(port)) + ": nil factory")
	}
	c := &Connector{r: r, host: host, port: port, factory: factory, timeout: connectTimeout(opts.Timeout, opts.NoTimeout),
		bind: opts.BindAddress, conn: opts.Conn, state: StateDisconnected, tlsConfig: config}
	protocol.Bind(factory)
	_ = c.Connect()
	return c
}

// connectTimeout is the bound on a connect: 0 (none) for NoTimeout, the
// default for a zero Timeout.
func connectTimeout(timeout time.Duration, none bool) time.Duration {
	switch {
	case none:
		return 0
	case timeout <= 0:
		return protocol.DefaultConnectTimeout
	}
	return timeout
}

// String describes the connector and its state.
func (c *Connector) String() string {
	if c.unixMode {
		return "UNIX connector to " + strconv.Quote(c.unixAddress) + " (" + string(c.state) + ")"
	}
	return "TCP connector to " + net.JoinHostPort(c.host, strconv.Itoa(c.port)) + " (" + string(c.state) + ")"
}

// State returns the connector's state.
func (c *Connector) State() ConnectorState { return c.state }

// Transport returns the connection being made or made, or nil.
func (c *Connector) Transport() *Conn { return c.transport }

// GetDestination ports getDestination: where the connector connects to, as
// a *net.TCPAddr. A *net.TCPAddr cannot carry a host name, so for a name
// (not an IP literal) its IP is nil.
func (c *Connector) GetDestination() net.Addr {
	if c.unixMode {
		return &net.UnixAddr{Name: c.unixAddress, Net: "unix"}
	}
	a := &net.TCPAddr{Port: c.port}
	if ip, ok := resolveLiteral(c.host); ok {
		a.IP = net.IP(ip.AsSlice())
		a.Zone = ip.Zone()
	}
	return a
}

// Connect ports connect: start a (new) attempt. It returns
// ErrAlreadyConnecting unless the connector is disconnected.
func (c *Connector) Connect() error {
	if c.state != StateDisconnected {
		return protocol.ErrAlreadyConnecting
	}
	c.state = StateConnecting
	if !c.factoryStarted {
		c.factory.DoStart()
		c.factoryStarted = true
	}
	t := &Conn{r: c.r, fd: -1, connector: c, connecting: true, opts: c.conn, unixSock: c.unixMode, tlsConfig: c.tlsConfig}
	c.transport = t
	t.start()
	if c.timeout > 0 {
		c.timeoutCall = c.r.CallLater(c.timeout, func() {
			t.failIfNotConnected(&protocol.TimeoutError{Msg: t.dest()})
		})
	}
	c.factory.StartedConnecting(c)
	return nil
}

// StopConnecting ports stopConnecting: abandon the attempt in progress; the
// factory gets ClientConnectionFailed with a *protocol.ConnectError wrapping
// ErrUserStopped. It returns ErrNotConnecting if no attempt is in progress.
func (c *Connector) StopConnecting() error {
	if c.state != StateConnecting {
		return protocol.ErrNotConnecting
	}
	c.state = StateDisconnected
	t := c.transport
	c.transport = nil
	t.failIfNotConnected(&protocol.ConnectError{OSError: protocol.ErrUserStopped, Msg: t.dest()})
	return nil
}

// Disconnect ports disconnect: stop connecting, or lose the connection.
func (c *Connector) Disconnect() {
	switch c.state {
	case StateConnecting:
		_ = c.StopConnecting()
	case StateConnected:
		if c.transport != nil {
			c.transport.LoseConnection()
		}
	}
}

func (c *Connector) cancelTimeout() {
	if c.timeoutCall != nil {
		_ = c.timeoutCall.Cancel()
		c.timeoutCall = nil
	}
}

// buildProtocol ports BaseConnector.buildProtocol.
func (c *Connector) buildProtocol(addr net.Addr) protocol.Protocol {
	c.state = StateConnected
	c.cancelTimeout()
	return c.factory.BuildProtocol(addr)
}

// connectionFailed ports BaseConnector.connectionFailed.
func (c *Connector) connectionFailed(reason *reactor.Failure) {
	c.cancelTimeout()
	c.transport = nil
	c.state = StateDisconnected
	c.factory.ClientConnectionFailed(c, reason)
	if c.state == StateDisconnected && c.factoryStarted {
		c.factory.DoStop()
		c.factoryStarted = false
	}
}

// connectionLost ports BaseConnector.connectionLost.
func (c *Connector) connectionLost(reason *reactor.Failure) {
	c.state = StateDisconnected
	c.factory.ClientConnectionLost(c, reason)
	if c.state == StateDisconnected && c.factoryStarted {
		c.factory.DoStop()
		c.factoryStarted = false
	}
}

// start ports the client half of _BaseTCPClient.__init__: it resolves the
// address (a literal at once, a name off the reactor goroutine) and makes
// the socket; connect(2) runs on the next pass, as in Twisted.
func (c *Conn) start() {
	cn := c.connector
	if c.tlsConfig == badConfig {
		c.failSoon(&protocol.ConnectError{OSError: protocol.ErrTLSConfig, Msg: c.dest()})
		return
	}
	if cn.unixMode {
		c.prepareUNIX()
		return
	}
	if ip, ok := resolveLiteral(cn.host); ok {
		c.prepare(ip)
		return
	}
	if cn.host == "" {
		c.failSoon(&protocol.ConnectError{OSError: errors.New("empty host name"), Msg: c.dest()})
		return
	}
	// A name: resolve it without blocking the reactor, as Twisted's
	// threaded resolver does.
	host := cn.host
	limit := cn.timeout
	if limit <= 0 {
		limit = protocol.DefaultConnectTimeout // no timeout: still bound the lookup
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(limit, time.Second))
	go func() {
		defer cancel()
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		cn.r.CallFromThread(func() {
			if c.connector == nil || c.disconnected {
				return // stopped meanwhile
			}
			if err != nil || len(addrs) == 0 {
				if err == nil {
					err = fmt.Errorf("no address for %q", host)
				}
				c.failIfNotConnected(&protocol.ConnectError{OSError: err, Msg: c.dest()})
				return
			}
			c.prepare(pickAddr(addrs))
		})
	}()
}

// pickAddr prefers IPv4, as Twisted's resolver (gethostbyname) does.
func pickAddr(addrs []netip.Addr) netip.Addr {
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap()
		}
	}
	return addrs[0]
}

func (c *Conn) failSoon(err error) {
	c.r.CallLater(0, func() { c.failIfNotConnected(err) })
}

// prepare makes and binds the socket and schedules the connect.
func (c *Conn) prepare(ip netip.Addr) {
	cn := c.connector
	sa, err := sockaddrOf(ip, cn.port)
	if err != nil {
		c.failSoon(&protocol.ConnectError{OSError: err, Msg: c.dest()})
		return
	}
	c.peer = tcpAddrOf(sa)
	fd, err := newStreamSocket(familyOf(ip))
	if err != nil {
		c.failSoon(&protocol.ConnectError{OSError: err, Msg: c.dest() + " (socket)"})
		return
	}
	c.fd = fd
	if cn.bind != nil {
		bip, ok := netip.AddrFromSlice(cn.bind.IP)
		if cn.bind.IP == nil {
			bip, ok = netip.IPv4Unspecified(), true
			if !ip.Is4() {
				bip = netip.IPv6Unspecified()
			}
		}
		bip = bip.Unmap().WithZone(cn.bind.Zone)
		var bsa unix.Sockaddr
		if !ok {
			err = fmt.Errorf("bind address %v is not an IP address", cn.bind)
		} else if bsa, err = sockaddrOf(bip, cn.bind.Port); err == nil {
			err = unix.Bind(fd, bsa)
		}
		if err != nil {
			c.failSoon(&protocol.ConnectError{OSError: err, Msg: c.dest() + " (bind)"})
			return
		}
	}
	c.r.CallLater(0, func() { c.connectNow(sa) })
}

// connectNow ports doConnect's first half: start the non-blocking connect.
func (c *Conn) connectNow(sa unix.Sockaddr) {
	if c.connector == nil || c.disconnected || c.fd < 0 {
		return
	}
	err := unix.Connect(c.fd, sa)
	for err == unix.EINTR {
		err = unix.Connect(c.fd, sa)
	}
	switch {
	case err == unix.EAGAIN && c.unixSock:
		// A UNIX socket's full backlog: nothing is in progress, and the
		// socket would only hang up.
		c.failIfNotConnected(connectError(err, c.dest()))
	case err == nil, err == unix.EISCONN:
		c.connectDone()
	case err == unix.EINPROGRESS, err == unix.EALREADY, err == unix.EAGAIN:
		// Writable means connected or failed; a failure also raises
		// EPOLLERR, which the reactor turns into ConnectionLost, where the
		// socket error is read too. (Twisted also watches for readable,
		// which tells nothing more and costs epoll_ctl calls.)
		c.startWriting()
	default:
		c.failIfNotConnected(connectError(err, c.dest()))
	}
}

// doConnect runs when the connecting socket becomes readable or writable:
// SO_ERROR says how the attempt went.
func (c *Conn) doConnect() error {
	if c.fd < 0 {
		return nil
	}
	errno, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && errno != 0 {
		err = unix.Errno(errno)
	}
	if err != nil {
		c.failIfNotConnected(connectError(err, c.dest()))
		return nil
	}
	c.startReading() // before stopWriting: one epoll_ctl each, no DEL+ADD
	c.stopWriting()
	c.connectDone()
	return nil
}

// connectFailed ends an attempt the reactor dropped (an error or hang-up
// on the socket): the socket error says why, when there is one.
func (c *Conn) connectFailed(reason *reactor.Failure) {
	if c.fd >= 0 {
		if errno, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && errno != 0 {
			c.failIfNotConnected(connectError(unix.Errno(errno), c.dest()))
			return
		}
	}
	c.failIfNotConnected(&protocol.ConnectError{OSError: reason, Msg: c.dest()})
}

// connectDone ports _connectDone: build the protocol and connect it. A nil
// protocol closes the connection at once.
func (c *Conn) connectDone() {
	c.connecting = false
	p := c.connector.buildProtocol(c.peer)
	if p == nil {
		c.proto = &protocol.BaseProtocol{}
		c.connected = true
		c.LoseConnection()
		return
	}
	c.makeConnection(p)
}

// dest names where a client connects to, for error messages.
func (c *Conn) dest() string {
	if c.peer != nil && !c.unixSock {
		return c.peer.String()
	}
	if cn := c.connector; cn != nil && cn.unixMode {
		return strconv.Quote(cn.unixAddress)
	}
	if cn := c.connector; cn != nil {
		return net.JoinHostPort(cn.host, strconv.Itoa(cn.port))
	}
	return "?"
}

// failIfNotConnected ports failIfNotConnected: end an attempt that has not
// connected, close its socket and tell the connector.
func (c *Conn) failIfNotConnected(err error) {
	cn := c.connector
	if c.connected || c.disconnected || !c.connecting || cn == nil {
		return
	}
	c.connecting = false
	c.disconnected = true
	if c.fd >= 0 {
		c.stopReading()
		c.stopWriting()
		_ = unix.Close(c.fd)
		c.fd = -1
	}
	c.connector = nil
	cn.connectionFailed(reactor.NewFailure(err))
}
