//go:build unix

package udp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/sockaddr"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// maxThroughput ports Port.maxThroughput: the bytes one DoRead reads
// before letting the reactor serve other descriptors.
const maxThroughput = 256 << 10

// Port ports udp.Port (IUDPTransport and IListeningPort): a bound UDP
// socket in the reactor's epoll set that hands each datagram to its
// protocol. Use it from the reactor goroutine only.
type Port struct {
	r      *reactor.Reactor
	fd     int
	proto  protocol.DatagramProtocol
	self   protocol.UDPTransport // what the protocol was given: p, or its MulticastPort
	iface  string
	port   int
	family int
	buf    []byte // one read; its size is the maximum packet size
	host   *net.UDPAddr
	// dualStack: bound to "::", so IPv4 peers are reached IPv4-mapped.
	dualStack bool

	listening bool         // Twisted's connected: until DoStop has run
	stopping  bool         // StopListening was called
	peer      *net.UDPAddr // set by Connect
	done      *reactor.Deferred
}

var _ protocol.UDPTransport = (*Port)(nil)

// Listen ports reactor.listenUDP (protocol.ReactorUDP.ListenUDP): it binds
// opts.Interface:port, connects proto to the port and starts reading. A
// failure is a *protocol.CannotListenError (wrapping a
// *protocol.InvalidAddressError for an interface that is no IP literal),
// and proto is not called.
func Listen(r *reactor.Reactor, port int, proto protocol.DatagramProtocol, opts protocol.ListenUDPOptions) (*Port, error) {
	p, err := open(r, port, proto, opts.Interface, opts.MaxPacketSize, false)
	if err != nil {
		return nil, err
	}
	p.self = p
	p.start()
	return p, nil
}

// open makes and binds the socket; start connects the protocol.
func open(r *reactor.Reactor, port int, proto protocol.DatagramProtocol, iface string, maxPacket int, reuse bool) (*Port, error) {
	fail := func(err error) (*Port, error) {
		return nil, &protocol.CannotListenError{Interface: iface, Port: port, Err: err}
	}
	if proto == nil {
		return fail(errors.New("nil protocol"))
	}
	ip := netip.IPv4Unspecified()
	if iface != "" {
		var ok bool
		if ip, ok = sockaddr.Literal(iface); !ok {
			return fail(&protocol.InvalidAddressError{Address: iface, Msg: "not an IPv4 or IPv6 address"})
		}
	}
	sa, err := sockaddr.Of(ip, port)
	if err != nil {
		return fail(err)
	}
	if maxPacket <= 0 {
		maxPacket = protocol.DefaultMaxPacketSize
	}
	family := sockaddr.Family(ip)
	fd, err := newDatagramSocket(family)
	if err != nil {
		return fail(err)
	}
	if err := bindSocket(fd, sa, reuse); err != nil {
		_ = unix.Close(fd)
		return fail(err)
	}
	p := &Port{r: r, fd: fd, proto: proto, iface: iface, port: port, family: family, buf: make([]byte, maxPacket),
		dualStack: ip.Is6() && ip.IsUnspecified()}
	p.host = p.localAddr()
	if err := r.AddReader(p); err != nil {
		_ = unix.Close(fd)
		return fail(err)
	}
	return p, nil
}

// bindSocket binds fd; reuse ports MulticastPort.createInternetSocket's
// listenMultiple: SO_REUSEADDR, and SO_REUSEPORT where the kernel has it.
func bindSocket(fd int, sa unix.Sockaddr, reuse bool) error {
	if reuse {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return err
		}
		if err := setReusePort(fd); err != nil && err != unix.ENOPROTOOPT {
			return err
		}
	}
	return unix.Bind(fd, sa)
}

// start ports _connectToProtocol: the protocol gets the port, then reading
// starts (the socket is already registered: nothing is read before the
// next pass).
func (p *Port) start() {
	p.listening = true
	protocol.Bind(p.proto)
	p.proto.MakeConnection(p.self)
}

func (p *Port) localAddr() *net.UDPAddr {
	sa, err := unix.Getsockname(p.fd)
	if err != nil {
		return nil
	}
	return udpAddrOf(sa)
}

func udpAddrOf(sa unix.Sockaddr) *net.UDPAddr {
	ip, port, zone, ok := sockaddr.IPPort(sa)
	if !ok {
		return nil
	}
	return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
}

// Fileno returns the socket's descriptor, or -1 once closed.
func (p *Port) Fileno() int { return p.fd }

// String names the port for dirty-reactor reports: "UDP port 127.0.0.1:53".
func (p *Port) String() string {
	if p.host == nil {
		return "UDP port (not listening)"
	}
	return "UDP port " + p.host.String()
}

// GetHost ports getHost: the local address, a *net.UDPAddr (with the real
// port when 0 was asked for).
func (p *Port) GetHost() net.Addr {
	if p.fd >= 0 {
		if a := p.localAddr(); a != nil {
			p.host = a
		}
	}
	if p.host == nil {
		return nil
	}
	return p.host
}

// DoRead is called by the reactor when datagrams wait: it reads them, up
// to maxThroughput bytes, and hands each to DatagramReceived; a panic there
// is logged and reading goes on, as in Twisted. On a connected port a
// refusal reported by the kernel goes to the protocol's ConnectionRefused.
func (p *Port) DoRead() error {
	read := 0
	for read < maxThroughput && p.fd >= 0 && !p.stopping {
		n, sa, err := unix.Recvfrom(p.fd, p.buf, 0)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			return nil
		case err == unix.ECONNREFUSED:
			if p.peer != nil {
				p.refused()
			}
			return nil
		case err != nil:
			return fmt.Errorf("%v: recvfrom: %w", p, err)
		}
		read += n
		data := append([]byte(nil), p.buf[:n]...)
		var from net.Addr
		if a := udpAddrOf(sa); a != nil {
			from = a
		}
		p.protect(func() { p.proto.DatagramReceived(data, from) }, "datagramReceived")
	}
	return nil
}

// refused tells a ConnectionRefusedReceiver.
func (p *Port) refused() {
	if cr, ok := p.proto.(protocol.ConnectionRefusedReceiver); ok {
		p.protect(cr.ConnectionRefused, "connectionRefused")
	}
}

func (p *Port) protect(f func(), why string) {
	defer func() {
		if v := recover(); v != nil {
			p.r.LogError(reactor.FailureFromPanic(v), why)
		}
	}()
	f()
}

// WriteTo ports write(data, addr) on a port that is not connected (see
// protocol.UDPTransport).
func (p *Port) WriteTo(data []byte, addr net.Addr) error {
	if p.peer != nil {
		if addr == nil || addr.String() == p.peer.String() {
			return p.Write(data)
		}
		return fmt.Errorf("write to %v: %w to %v", addr, protocol.ErrUDPConnected, p.peer)
	}
	if addr == nil {
		return &protocol.InvalidAddressError{Address: "<nil>", Msg: "an unconnected port needs an address to write to"}
	}
	sa, err := p.destination(addr)
	if err != nil {
		return err
	}
	if p.fd < 0 {
		return p.closedError("write")
	}
	for {
		err = unix.Sendto(p.fd, data, 0, sa)
		switch err {
		case unix.EINTR:
			continue
		case nil, unix.ECONNREFUSED:
			return nil
		case unix.EMSGSIZE:
			return &protocol.MessageLengthError{Err: err}
		}
		return &net.OpError{Op: "write", Net: "udp", Source: p.host, Addr: addr, Err: err}
	}
}

// WriteSequence ports writeSequence: the slices joined into one datagram,
// sent with WriteTo (so with a nil addr on a connected port, Write).
func (p *Port) WriteSequence(data [][]byte, addr net.Addr) error {
	return p.WriteTo(bytes.Join(data, nil), addr)
}

// destination checks a WriteTo address as Twisted's write does: an IP
// address of the port's family. A port bound to "::" hears IPv4 senders
// and reports them IPv4-mapped (Twisted's "::ffff:a.b.c.d"), so there an
// IPv4 address is sent to in that form, and writing back to a sender
// works. (Go's net.IP cannot tell "127.0.0.1" from "::ffff:127.0.0.1",
// which Twisted refuses and accepts.) Any other IPv6 port refuses IPv4.
func (p *Port) destination(addr net.Addr) (unix.Sockaddr, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return nil, &protocol.InvalidAddressError{Address: addr.String(), Msg: "write takes a *net.UDPAddr"}
	}
	ip, ok := netip.AddrFromSlice(ua.IP)
	if !ok {
		return nil, &protocol.InvalidAddressError{Address: ua.String(), Msg: "write only takes IP addresses, not host names"}
	}
	if ip = ip.Unmap(); ip.Is4() && p.dualStack {
		ip = netip.AddrFrom16(ip.As16())
	}
	ip = ip.WithZone(ua.Zone)
	switch {
	case ip.Is4() && p.family == unix.AF_INET6:
		return nil, &protocol.InvalidAddressError{Address: ua.String(), Msg: "IPv6 port written to with an IPv4 address"}
	case ip.Is6() && p.family == unix.AF_INET:
		return nil, &protocol.InvalidAddressError{Address: ua.String(), Msg: "IPv4 port written to with an IPv6 address"}
	}
	sa, err := sockaddr.Of(ip, ua.Port)
	if err != nil {
		return nil, &protocol.InvalidAddressError{Address: ua.String(), Msg: err.Error()}
	}
	return sa, nil
}

// Write ports write(data) on a connected port (see protocol.UDPTransport).
func (p *Port) Write(data []byte) error {
	if p.peer == nil {
		return protocol.ErrUDPNotConnected
	}
	if p.fd < 0 {
		return p.closedError("write")
	}
	for {
		_, err := unix.Write(p.fd, data)
		switch err {
		case unix.EINTR:
			continue
		case nil:
			return nil
		case unix.EMSGSIZE:
			return &protocol.MessageLengthError{Err: err}
		case unix.ECONNREFUSED:
			p.refused()
			return nil
		}
		return &net.OpError{Op: "write", Net: "udp", Source: p.host, Addr: p.peer, Err: err}
	}
}

// Connect ports connect: host must be an IP literal of the port's family.
func (p *Port) Connect(host string, port int) error {
	if p.peer != nil {
		return fmt.Errorf("connect to %s: %w already (reconnecting is not supported)", net.JoinHostPort(host, strconv.Itoa(port)), protocol.ErrUDPConnected)
	}
	ip, ok := sockaddr.Literal(host)
	if !ok {
		return &protocol.InvalidAddressError{Address: host, Msg: "not an IPv4 or IPv6 address"}
	}
	if p.fd < 0 {
		return p.closedError("connect")
	}
	sa, err := sockaddr.Of(ip, port)
	if err == nil {
		err = unix.Connect(p.fd, sa)
	}
	if err != nil {
		return &net.OpError{Op: "connect", Net: "udp", Source: p.host, Addr: &net.UDPAddr{IP: ip.AsSlice(), Port: port}, Err: err}
	}
	p.peer = udpAddrOf(sa)
	return nil
}

func (p *Port) closedError(op string) error {
	return &net.OpError{Op: op, Net: "udp", Source: p.host, Err: reactor.ErrConnectionClosed}
}

// StopListening ports stopListening: reading stops and the socket is closed
// at once; on the next reactor pass the protocol's DoStop runs (so
// StopProtocol for its last port) and then the Deferred fires with nil. A
// second call returns nil.
func (p *Port) StopListening() *reactor.Deferred {
	if !p.listening || p.stopping {
		return nil
	}
	p.stopping = true
	p.closeSocket()
	p.done = reactor.NewDeferred(nil)
	p.r.CallLater(0, func() { p.finish() })
	return p.done
}

func (p *Port) closeSocket() {
	if p.fd < 0 {
		return
	}
	p.r.RemoveReader(p)
	_ = unix.Close(p.fd)
	p.fd = -1
}

// finish ports connectionLost: DoStop, then the Deferred.
func (p *Port) finish() {
	if !p.listening {
		return
	}
	p.listening = false
	p.protect(p.proto.DoStop, "doStop")
	if d := p.done; d != nil {
		p.done = nil
		_ = d.Callback(nil)
	}
}

// ConnectionLost is called by the reactor at shutdown, or after DoRead
// failed: the socket is closed and the protocol's DoStop runs.
func (p *Port) ConnectionLost(reason *reactor.Failure) {
	p.stopping = true
	p.closeSocket()
	p.finish()
}

// SetBroadcastAllowed ports setBroadcastAllowed (SO_BROADCAST).
func (p *Port) SetBroadcastAllowed(enabled bool) error {
	v := 0
	if enabled {
		v = 1
	}
	return p.setInt(unix.SOL_SOCKET, unix.SO_BROADCAST, v, "SO_BROADCAST")
}

// GetBroadcastAllowed ports getBroadcastAllowed.
func (p *Port) GetBroadcastAllowed() (bool, error) {
	v, err := p.getInt(unix.SOL_SOCKET, unix.SO_BROADCAST, "SO_BROADCAST")
	return v != 0, err
}

func (p *Port) getInt(level, opt int, name string) (int, error) {
	if p.fd < 0 {
		return 0, p.closedError("getsockopt " + name)
	}
	v, err := unix.GetsockoptInt(p.fd, level, opt)
	if err != nil {
		return 0, &net.OpError{Op: "getsockopt " + name, Net: "udp", Source: p.host, Err: err}
	}
	return v, nil
}

func (p *Port) setInt(level, opt, v int, name string) error {
	if p.fd < 0 {
		return p.closedError("setsockopt " + name)
	}
	if err := unix.SetsockoptInt(p.fd, level, opt, v); err != nil {
		return &net.OpError{Op: "setsockopt " + name, Net: "udp", Source: p.host, Err: err}
	}
	return nil
}
