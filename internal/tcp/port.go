//go:build unix

package tcp

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Port ports tcp.Port (IListeningPort): a listening TCP socket in the
// reactor's epoll set. Each accepted connection gets a protocol from the
// factory and a *Conn as its transport.
type Port struct {
	r       *reactor.Reactor
	fd      int
	factory protocol.Factory
	iface   string
	port    int
	addr    net.Addr                // *net.TCPAddr, or *net.UnixAddr
	conn    protocol.TCPConnOptions // for each accepted connection
	unix    *unixListen             // set for a UNIX port (unix_port.go)

	connected     bool
	disconnecting bool
	numberAccepts int
	sessionno     int
	emfile        emfileState // see emfile.go
	tlsConfig     *tls.Config // ListenSSL: each connection is a TLS server
}

var _ protocol.ListeningPort = (*Port)(nil)

// Listen ports reactor.listenTCP (protocol.ReactorTCP.ListenTCP, T-04): it
// listens on opts.Interface:port and calls factory.BuildProtocol for each
// connection accepted. The socket has SO_REUSEADDR, as in Twisted. Any
// failure is returned at once as a *protocol.CannotListenError, and the
// factory is not started; on success factory.DoStart has run. The
// reactor's shutdown closes the port too.
func Listen(r *reactor.Reactor, port int, factory protocol.Factory, opts protocol.ListenTCPOptions) (*Port, error) {
	return listen(r, port, factory, opts, nil)
}

// ListenSSL ports reactor.listenSSL (protocol.ReactorSSL.ListenSSL): Listen
// whose accepted connections are TLS servers with config.
func ListenSSL(r *reactor.Reactor, port int, factory protocol.Factory, config *tls.Config, opts protocol.ListenTCPOptions) (*Port, error) {
	if err := protocol.CheckTLSConfig(config, true); err != nil {
		return nil, &protocol.CannotListenError{Interface: opts.Interface, Port: port, Err: err}
	}
	return listen(r, port, factory, opts, config)
}

func listen(r *reactor.Reactor, port int, factory protocol.Factory, opts protocol.ListenTCPOptions, config *tls.Config) (*Port, error) {
	iface, backlog := opts.Interface, opts.Backlog
	fail := func(err error) (*Port, error) {
		return nil, &protocol.CannotListenError{Interface: iface, Port: port, Err: err}
	}
	if factory == nil {
		return fail(fmt.Errorf("nil factory"))
	}
	ip := netip.IPv4Unspecified()
	if iface != "" {
		var ok bool
		if ip, ok = resolveLiteral(iface); !ok {
			return fail(fmt.Errorf("interface %q is not an IP literal", iface))
		}
	}
	sa, err := sockaddrOf(ip, port)
	if err != nil {
		return fail(err)
	}
	if backlog <= 0 {
		backlog = protocol.DefaultBacklog
	}
	reserveDescriptor()
	fd, err := newStreamSocket(familyOf(ip))
	if err != nil {
		return fail(err)
	}
	if err := listenOn(fd, sa, backlog); err != nil {
		_ = unix.Close(fd)
		return fail(err)
	}
	p := &Port{r: r, fd: fd, factory: factory, iface: iface, port: port, conn: opts.Conn, numberAccepts: 100, tlsConfig: config}
	if lsa, err := unix.Getsockname(fd); err == nil {
		p.addr = tcpAddrOf(lsa)
	}
	if err := r.AddReader(p); err != nil {
		_ = unix.Close(fd)
		return fail(err)
	}
	protocol.Bind(factory)
	factory.DoStart()
	p.connected = true
	return p, nil
}

func listenOn(fd int, sa unix.Sockaddr, backlog int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if err := unix.Bind(fd, sa); err != nil {
		return err
	}
	return unix.Listen(fd, backlog)
}

// Fileno returns the listening socket's descriptor, or -1 once closed.
func (p *Port) Fileno() int { return p.fd }

// GetHost ports getHost: the address the port listens on, with the real
// port number when 0 was asked for.
func (p *Port) GetHost() net.Addr { return p.addr }

// String names the port for dirty-reactor reports: "TCP port 127.0.0.1:4321".
func (p *Port) String() string {
	kind := "TCP port "
	if p.unix != nil {
		kind = "UNIX port "
	}
	if p.addr == nil {
		return kind + "(not listening)"
	}
	if p.unix != nil {
		return kind + strconv.Quote(p.addr.String())
	}
	return kind + p.addr.String()
}

// Factory returns the factory the port builds protocols with.
func (p *Port) Factory() protocol.Factory { return p.factory }

// DoRead is called by the reactor when connections are waiting: it accepts
// up to numberAccepts of them (adapting the number as Twisted does) and
// connects each to a new protocol. A nil protocol closes the socket (T-02).
func (p *Port) DoRead() error {
	if p.fd < 0 || p.disconnecting {
		return nil
	}
	accepted := 0
	for accepted < p.numberAccepts {
		nfd, sa, err := acceptNonblock(p.fd)
		if err != nil {
			switch err {
			case unix.EINTR, unix.ECONNABORTED, unix.EPROTO:
				continue
			case unix.EMFILE, unix.ENFILE:
				if p.outOfDescriptors(err) {
					continue
				}
				return nil // paused: see emfile.go
			case unix.EAGAIN:
			default:
				p.r.LogError(reactor.NewFailure(fmt.Errorf("%v: accept: %w", p, err)), "accept")
			}
			break
		}
		accepted++
		p.acceptedAgain()
		peer := addrOf(sa)
		proto := p.factory.BuildProtocol(peer)
		if proto == nil {
			_ = unix.Close(nfd)
			continue
		}
		c := newConn(p.r, nfd, p.conn)
		c.server = true
		c.tlsConfig, c.tlsServer = p.tlsConfig, true
		c.peer = peer
		if p.unix != nil {
			c.unixSock, c.host = true, p.addr
		}
		p.sessionno++
		c.makeConnection(proto)
		if p.fd < 0 {
			break // the protocol stopped the port
		}
	}
	if accepted == p.numberAccepts {
		p.numberAccepts += 20
	} else {
		p.numberAccepts = max(1, accepted)
	}
	return nil
}

// StopListening ports stopListening (T-04): the port stops accepting and
// its socket is closed at once; on the next reactor pass the factory's
// DoStop runs (StopFactory for the last user) and then the returned
// Deferred fires with nil. A second call returns nil.
//
// Twisted closes the socket in that later pass too; closing it at once
// means a reactor stopped in between leaks nothing.
func (p *Port) StopListening() *reactor.Deferred {
	if !p.connected || p.disconnecting {
		return nil
	}
	p.disconnecting = true
	p.closeSocket()
	return reactor.DeferLater(p.r, 0, func() (any, error) {
		p.finish()
		return nil, nil
	})
}

func (p *Port) closeSocket() {
	p.endPause()
	if p.fd < 0 {
		return
	}
	p.r.RemoveReader(p)
	_ = unix.Close(p.fd)
	p.fd = -1
	if p.unix != nil {
		p.unix.release()
	}
}

func (p *Port) finish() {
	if !p.connected {
		return
	}
	p.connected = false
	p.factory.DoStop()
}

// ConnectionLost is called by the reactor at shutdown (and by trial's
// cleanup): the socket is closed and the factory's DoStop runs.
func (p *Port) ConnectionLost(reason *reactor.Failure) {
	p.disconnecting = true
	p.closeSocket()
	p.finish()
}
