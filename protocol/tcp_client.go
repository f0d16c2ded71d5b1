package protocol

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/reactor"
)

// DefaultConnectTimeout is Twisted's connectTCP timeout (30 s), used when
// ConnectTCP is given a timeout of 0.
const DefaultConnectTimeout = 30 * time.Second

// ErrNotConnecting ports error.NotConnectingError: StopConnecting on a
// connector that is not connecting.
var ErrNotConnecting = errors.New("tcp connector: not connecting")

// ErrAlreadyConnecting is returned by Connector.Connect when the connector is
// connecting or connected (Twisted raises RuntimeError).
var ErrAlreadyConnecting = errors.New("tcp connector: can't connect in this state")

// ErrUserStopped is the OSError of the *reactor.ConnectError a connection
// attempt fails with when StopConnecting (or Disconnect) ends it: Twisted's
// error.UserError ("User aborted connection").
var ErrUserStopped = errors.New("user aborted connection")

// ConnectorState says where a Connector is: "disconnected", "connecting" or
// "connected", Twisted's BaseConnector.state.
type ConnectorState string

// The states of a Connector.
const (
	StateDisconnected ConnectorState = "disconnected"
	StateConnecting   ConnectorState = "connecting"
	StateConnected    ConnectorState = "connected"
)

// ConnectOption configures ConnectTCP.
type ConnectOption func(*Connector)

// WithBindAddress ports connectTCP's bindAddress: the client socket is bound
// to host:port (port 0 for any) before connecting.
func WithBindAddress(host string, port int) ConnectOption {
	return func(c *Connector) { c.bindHost, c.bindPort, c.bind = host, port, true }
}

// Connector ports tcp.Connector (IConnector): one outgoing TCP connection
// attempt and the connection it makes, reported to a ClientFactory. Connect
// may be called again after the connection failed or ended, to reconnect.
type Connector struct {
	r        *reactor.Reactor
	host     string
	port     int
	factory  ClientFactory
	timeout  time.Duration
	bind     bool
	bindHost string
	bindPort int

	state          ConnectorState
	factoryStarted bool
	transport      *TCPConnection
	timeoutCall    *reactor.DelayedCall
}

// ConnectTCP ports reactor.connectTCP: it starts connecting to host:port and
// reports to factory (StartedConnecting at once; later BuildProtocol and the
// protocol's MakeConnection on success, or ClientConnectionFailed). host is
// an IP literal (IPv4 or IPv6, brackets optional) or a name, resolved off
// the reactor goroutine. timeout 0 means DefaultConnectTimeout; a negative
// timeout means none.
//
// As in Twisted, nothing fails synchronously: a bad address, a refused
// connection or a timeout all arrive through ClientConnectionFailed, and the
// connect(2) itself happens on the next reactor pass.
func ConnectTCP(r *reactor.Reactor, host string, port int, factory ClientFactory, timeout time.Duration, opts ...ConnectOption) *Connector {
	if timeout == 0 {
		timeout = DefaultConnectTimeout
	}
	c := &Connector{r: r, host: host, port: port, factory: factory, timeout: timeout, state: StateDisconnected}
	for _, o := range opts {
		o(c)
	}
	bindFactory(factory)
	_ = c.Connect()
	return c
}

// String describes the connector and its state.
func (c *Connector) String() string {
	return "TCP connector to " + net.JoinHostPort(c.host, strconv.Itoa(c.port)) + " (" + string(c.state) + ")"
}

// State returns the connector's state.
func (c *Connector) State() ConnectorState { return c.state }

// Transport returns the connection being made or made, or nil.
func (c *Connector) Transport() *TCPConnection { return c.transport }

// GetDestination ports getDestination: where the connector connects to, as
// a *net.TCPAddr. A *net.TCPAddr cannot carry a host name, so for a name
// (not an IP literal) its IP is nil.
func (c *Connector) GetDestination() net.Addr {
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
		return ErrAlreadyConnecting
	}
	c.state = StateConnecting
	if !c.factoryStarted {
		c.factory.DoStart()
		c.factoryStarted = true
	}
	t := &TCPConnection{r: c.r, fd: -1, connector: c, connecting: true, BufferSize: DefaultBufferSize}
	c.transport = t
	t.start()
	if c.timeout > 0 {
		c.timeoutCall = c.r.CallLater(c.timeout, func() {
			t.failIfNotConnected(&reactor.TimeoutError{Msg: t.dest()})
		})
	}
	c.factory.StartedConnecting(c)
	return nil
}

// StopConnecting ports stopConnecting: abandon the attempt in progress; the
// factory gets ClientConnectionFailed with a *reactor.ConnectError wrapping
// ErrUserStopped. It returns ErrNotConnecting if no attempt is in progress.
func (c *Connector) StopConnecting() error {
	if c.state != StateConnecting {
		return ErrNotConnecting
	}
	c.state = StateDisconnected
	t := c.transport
	c.transport = nil
	t.failIfNotConnected(&reactor.ConnectError{OSError: ErrUserStopped, Msg: t.dest()})
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
func (c *Connector) buildProtocol(addr net.Addr) Protocol {
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
func (t *TCPConnection) start() {
	c := t.connector
	if ip, ok := resolveLiteral(c.host); ok {
		t.prepare(ip)
		return
	}
	if c.host == "" {
		t.failSoon(&reactor.ConnectError{OSError: errors.New("empty host name"), Msg: t.dest()})
		return
	}
	// A name: resolve it without blocking the reactor, as Twisted's
	// threaded resolver does.
	host := c.host
	ctx, cancel := context.WithTimeout(context.Background(), max(c.timeout, time.Second))
	go func() {
		defer cancel()
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		c.r.CallFromThread(func() {
			if t.connector == nil || t.disconnected {
				return // stopped meanwhile
			}
			if err != nil || len(addrs) == 0 {
				if err == nil {
					err = fmt.Errorf("no address for %q", host)
				}
				t.failIfNotConnected(&reactor.ConnectError{OSError: err, Msg: t.dest()})
				return
			}
			t.prepare(pickAddr(addrs))
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

func (t *TCPConnection) failSoon(err error) {
	t.r.CallLater(0, func() { t.failIfNotConnected(err) })
}

// prepare makes and binds the socket and schedules the connect.
func (t *TCPConnection) prepare(ip netip.Addr) {
	c := t.connector
	sa, err := sockaddrOf(ip, c.port)
	if err != nil {
		t.failSoon(&reactor.ConnectError{OSError: err, Msg: t.dest()})
		return
	}
	t.peer = tcpAddrOf(sa)
	fd, err := newStreamSocket(familyOf(ip))
	if err != nil {
		t.failSoon(&reactor.ConnectError{OSError: err, Msg: t.dest() + " (socket)"})
		return
	}
	t.fd = fd
	if c.bind {
		bip, ok := resolveLiteral(c.bindHost)
		if c.bindHost == "" {
			bip, ok = netip.IPv4Unspecified(), true
			if !ip.Is4() {
				bip = netip.IPv6Unspecified()
			}
		}
		var bsa unix.Sockaddr
		if !ok {
			err = fmt.Errorf("bind address %q is not an IP literal", c.bindHost)
		} else if bsa, err = sockaddrOf(bip, c.bindPort); err == nil {
			err = unix.Bind(fd, bsa)
		}
		if err != nil {
			t.failSoon(&reactor.ConnectError{OSError: err, Msg: t.dest() + " (bind)"})
			return
		}
	}
	t.r.CallLater(0, func() { t.connectNow(sa) })
}

// connectNow ports doConnect's first half: start the non-blocking connect.
func (t *TCPConnection) connectNow(sa unix.Sockaddr) {
	if t.connector == nil || t.disconnected || t.fd < 0 {
		return
	}
	err := unix.Connect(t.fd, sa)
	for err == unix.EINTR {
		err = unix.Connect(t.fd, sa)
	}
	switch err {
	case nil, unix.EISCONN:
		t.connectDone()
	case unix.EINPROGRESS, unix.EALREADY, unix.EAGAIN:
		// Writable means connected or failed; a failure also raises
		// EPOLLERR, which the reactor turns into ConnectionLost, where the
		// socket error is read too. (Twisted also watches for readable,
		// which tells nothing more and costs epoll_ctl calls.)
		t.startWriting()
	default:
		t.failIfNotConnected(connectError(err, t.dest()))
	}
}

// doConnect runs when the connecting socket becomes readable or writable:
// SO_ERROR says how the attempt went.
func (t *TCPConnection) doConnect() error {
	if t.fd < 0 {
		return nil
	}
	errno, err := unix.GetsockoptInt(t.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && errno != 0 {
		err = unix.Errno(errno)
	}
	if err != nil {
		t.failIfNotConnected(connectError(err, t.dest()))
		return nil
	}
	t.startReading() // before stopWriting: one epoll_ctl each, no DEL+ADD
	t.stopWriting()
	t.connectDone()
	return nil
}

// connectFailed ends an attempt the reactor dropped (an error or hang-up
// on the socket): the socket error says why, when there is one.
func (t *TCPConnection) connectFailed(reason *reactor.Failure) {
	if t.fd >= 0 {
		if errno, err := unix.GetsockoptInt(t.fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && errno != 0 {
			t.failIfNotConnected(connectError(unix.Errno(errno), t.dest()))
			return
		}
	}
	t.failIfNotConnected(&reactor.ConnectError{OSError: reason, Msg: t.dest()})
}

// connectDone ports _connectDone: build the protocol and connect it. A nil
// protocol closes the connection at once.
func (t *TCPConnection) connectDone() {
	t.connecting = false
	p := t.connector.buildProtocol(t.peer)
	if p == nil {
		t.proto = &BaseProtocol{}
		t.connected = true
		t.LoseConnection()
		return
	}
	t.makeConnection(p)
}

// dest names where a client connects to, for error messages.
func (t *TCPConnection) dest() string {
	if t.peer != nil {
		return t.peer.String()
	}
	if c := t.connector; c != nil {
		return net.JoinHostPort(c.host, strconv.Itoa(c.port))
	}
	return "?"
}

// failIfNotConnected ports failIfNotConnected: end an attempt that has not
// connected, close its socket and tell the connector.
func (t *TCPConnection) failIfNotConnected(err error) {
	c := t.connector
	if t.connected || t.disconnected || !t.connecting || c == nil {
		return
	}
	t.connecting = false
	t.disconnected = true
	if t.fd >= 0 {
		t.stopReading()
		t.stopWriting()
		_ = unix.Close(t.fd)
		t.fd = -1
	}
	t.connector = nil
	c.connectionFailed(reactor.NewFailure(err))
}
