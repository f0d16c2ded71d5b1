package protocol

import (
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/reactor"
)

// DefaultBacklog is Twisted's listenTCP backlog, used when ListenTCP is given 0.
const DefaultBacklog = 50

// Port ports tcp.Port (IListeningPort): a listening TCP socket in the
// reactor's epoll set. Each accepted connection gets a protocol from the
// factory and a *TCPConnection as its transport.
type Port struct {
	r       *reactor.Reactor
	fd      int
	factory Factory
	iface   string
	port    int
	addr    *net.TCPAddr

	connected     bool
	disconnecting bool
	numberAccepts int
	sessionno     int
}

// ListenTCP ports reactor.listenTCP (T-04): it listens on iface:port and
// calls factory.BuildProtocol for each connection accepted. port 0 picks a
// free port (GetHost says which). iface "" means every IPv4 address; an
// IPv6 literal ("::1") makes an IPv6 port. backlog 0 means DefaultBacklog.
// The socket has SO_REUSEADDR, as in Twisted. Any failure (address in use,
// bad interface) is returned at once as a *reactor.CannotListenError, and
// the factory is not started; on success factory.DoStart has run.
//
// Call StopListening when finished; the reactor's shutdown also closes it.
func ListenTCP(r *reactor.Reactor, port int, factory Factory, backlog int, iface string) (*Port, error) {
	fail := func(err error) (*Port, error) {
		return nil, &reactor.CannotListenError{Interface: iface, Port: port, Err: err}
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
		backlog = DefaultBacklog
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
	p := &Port{r: r, fd: fd, factory: factory, iface: iface, port: port, numberAccepts: 100}
	if lsa, err := unix.Getsockname(fd); err == nil {
		p.addr = tcpAddrOf(lsa)
	}
	if err := r.AddReader(p); err != nil {
		_ = unix.Close(fd)
		return fail(err)
	}
	bindFactory(factory)
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
	if p.addr == nil {
		return "TCP port (not listening)"
	}
	return "TCP port " + p.addr.String()
}

// Factory returns the factory the port builds protocols with.
func (p *Port) Factory() Factory { return p.factory }

// DoRead is called by the reactor when connections are waiting: it accepts
// up to numberAccepts of them (adapting the number as Twisted does) and
// connects each to a new protocol. A nil protocol closes the socket (T-02).
func (p *Port) DoRead() error {
	if p.fd < 0 || p.disconnecting {
		return nil
	}
	accepted := 0
	for accepted < p.numberAccepts {
		nfd, sa, err := unix.Accept4(p.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			switch err {
			case unix.EINTR, unix.ECONNABORTED, unix.EPROTO:
				continue
			case unix.EMFILE, unix.ENFILE:
				p.r.LogError(reactor.NewFailure(fmt.Errorf("%v: accept: %w; dropping one connection", p, err)), "accept")
				if shedOneConnection(p.fd) {
					continue
				}
			case unix.EAGAIN:
			default:
				p.r.LogError(reactor.NewFailure(fmt.Errorf("%v: accept: %w", p, err)), "accept")
			}
			break
		}
		accepted++
		peer := tcpAddrOf(sa)
		proto := p.factory.BuildProtocol(peer)
		if proto == nil {
			_ = unix.Close(nfd)
			continue
		}
		setProtocolFactoryIfUnset(proto, p.factory)
		c := newTCPConnection(p.r, nfd)
		c.server = true
		c.peer = peer
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

// setProtocolFactoryIfUnset gives a protocol built by a custom factory a
// Factory field too, as Twisted's ports leave p.factory to buildProtocol
// but every stock factory sets it.
func setProtocolFactoryIfUnset(p Protocol, f Factory) {
	if b, ok := p.(interface{ factoryOf() Factory }); ok && b.factoryOf() != nil {
		return
	}
	setProtocolFactory(p, f)
}

func (b *BaseProtocol) factoryOf() Factory { return b.Factory }

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
	if p.fd < 0 {
		return
	}
	p.r.RemoveReader(p)
	_ = unix.Close(p.fd)
	p.fd = -1
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
