//go:build unix

package udp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/sockaddr"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// MulticastPort ports udp.MulticastPort (IMulticastTransport): a UDP port
// with Twisted's MulticastMixin. Like Twisted's, it speaks IPv4 multicast
// only; on an IPv6 port its methods fail with errIPv4Only.
type MulticastPort struct {
	*Port
}

var _ protocol.MulticastTransport = (*MulticastPort)(nil)

var errIPv4Only = errors.New("multicast is IPv4 only (as in Twisted)")

// ListenMulticast ports reactor.listenMulticast: as Listen, with the
// multicast methods; opts.ListenMultiple sets SO_REUSEADDR and
// SO_REUSEPORT before binding, so that several sockets share the port.
func ListenMulticast(r *reactor.Reactor, port int, proto protocol.DatagramProtocol, opts protocol.ListenMulticastOptions) (*MulticastPort, error) {
	p, err := open(r, port, proto, opts.Interface, opts.MaxPacketSize, opts.ListenMultiple)
	if err != nil {
		return nil, err
	}
	m := &MulticastPort{Port: p}
	p.self = m
	p.start()
	return m, nil
}

func (m *MulticastPort) usable(op string) error {
	if m.family != unix.AF_INET {
		return &net.OpError{Op: op, Net: "udp", Source: m.host, Err: errIPv4Only}
	}
	if m.fd < 0 {
		return m.closedError(op)
	}
	return nil
}

// ipv4 parses an IPv4 literal; "" is 0.0.0.0 when empty is allowed.
func ipv4(s string, emptyOK bool) ([4]byte, error) {
	if s == "" && emptyOK {
		return [4]byte{}, nil
	}
	a, ok := sockaddr.Literal(s)
	if !ok || !a.Is4() {
		return [4]byte{}, &protocol.InvalidAddressError{Address: s, Msg: "not an IPv4 address (names are not resolved)"}
	}
	return a.As4(), nil
}

// JoinGroup ports joinGroup (IP_ADD_MEMBERSHIP): the Deferred has fired
// when it returns, with nil or a *protocol.MulticastJoinError. group and
// iface are IPv4 literals; iface "" lets the kernel choose. Twisted also
// resolves host names.
func (m *MulticastPort) JoinGroup(group, iface string) *reactor.Deferred {
	return m.membership(group, iface, unix.IP_ADD_MEMBERSHIP)
}

// LeaveGroup ports leaveGroup (IP_DROP_MEMBERSHIP), as JoinGroup.
func (m *MulticastPort) LeaveGroup(group, iface string) *reactor.Deferred {
	return m.membership(group, iface, unix.IP_DROP_MEMBERSHIP)
}

func (m *MulticastPort) membership(group, iface string, opt int) *reactor.Deferred {
	fail := func(err error) *reactor.Deferred {
		return reactor.Fail(&protocol.MulticastJoinError{Group: group, Interface: iface, Err: err})
	}
	if err := m.usable("multicast membership"); err != nil {
		return fail(err)
	}
	g, err := ipv4(group, false)
	if err != nil {
		return fail(err)
	}
	i, err := ipv4(iface, true)
	if err != nil {
		return fail(err)
	}
	if err := unix.SetsockoptIPMreq(m.fd, unix.IPPROTO_IP, opt, &unix.IPMreq{Multiaddr: g, Interface: i}); err != nil {
		return fail(err)
	}
	return reactor.Succeed(nil)
}

// GetTTL ports getTTL (IP_MULTICAST_TTL).
func (m *MulticastPort) GetTTL() (int, error) {
	if err := m.usable("getsockopt IP_MULTICAST_TTL"); err != nil {
		return 0, err
	}
	return m.getInt(unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, "IP_MULTICAST_TTL")
}

// SetTTL ports setTTL: ttl is 0..255.
func (m *MulticastPort) SetTTL(ttl int) error {
	if err := m.usable("setsockopt IP_MULTICAST_TTL"); err != nil {
		return err
	}
	if ttl < 0 || ttl > 255 {
		return fmt.Errorf("multicast TTL %d out of range 0..255", ttl)
	}
	return m.setByte(unix.IP_MULTICAST_TTL, byte(ttl), "IP_MULTICAST_TTL")
}

// GetLoopbackMode ports getLoopbackMode (IP_MULTICAST_LOOP): whether the
// port's own datagrams to a group it joined come back to it.
func (m *MulticastPort) GetLoopbackMode() (bool, error) {
	if err := m.usable("getsockopt IP_MULTICAST_LOOP"); err != nil {
		return false, err
	}
	v, err := m.getInt(unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP")
	return v&0xff != 0, err
}

// SetLoopbackMode ports setLoopbackMode.
func (m *MulticastPort) SetLoopbackMode(enabled bool) error {
	if err := m.usable("setsockopt IP_MULTICAST_LOOP"); err != nil {
		return err
	}
	var v byte
	if enabled {
		v = 1
	}
	return m.setByte(unix.IP_MULTICAST_LOOP, v, "IP_MULTICAST_LOOP")
}

// SetOutgoingInterface ports setOutgoingInterface (IP_MULTICAST_IF): addr
// is the IPv4 address of the interface multicast leaves through. The
// Deferred has fired when it returns: with nil, or with the error (Twisted
// fires with 1, and resolves names).
func (m *MulticastPort) SetOutgoingInterface(addr string) *reactor.Deferred {
	if err := m.usable("setsockopt IP_MULTICAST_IF"); err != nil {
		return reactor.Fail(err)
	}
	a, err := ipv4(addr, false)
	if err != nil {
		return reactor.Fail(err)
	}
	if err := unix.SetsockoptInet4Addr(m.fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, a); err != nil {
		return reactor.Fail(&net.OpError{Op: "setsockopt IP_MULTICAST_IF", Net: "udp", Source: m.host, Err: err})
	}
	return reactor.Succeed(nil)
}

// GetOutgoingInterface ports getOutgoingInterface: the address set, or
// "0.0.0.0" for the kernel's choice.
func (m *MulticastPort) GetOutgoingInterface() (string, error) {
	if err := m.usable("getsockopt IP_MULTICAST_IF"); err != nil {
		return "", err
	}
	a, err := unix.GetsockoptInet4Addr(m.fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF)
	if err != nil {
		return "", &net.OpError{Op: "getsockopt IP_MULTICAST_IF", Net: "udp", Source: m.host, Err: err}
	}
	return netip.AddrFrom4(a).String(), nil
}

func (m *MulticastPort) setByte(opt int, v byte, name string) error {
	if err := unix.SetsockoptByte(m.fd, unix.IPPROTO_IP, opt, v); err != nil {
		return &net.OpError{Op: "setsockopt " + name, Net: "udp", Source: m.host, Err: err}
	}
	return nil
}
