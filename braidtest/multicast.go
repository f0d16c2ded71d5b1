package braidtest

import (
	"net"
	"slices"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// MulticastGroup is one group a FakeMulticastTransport has joined: the
// arguments of JoinGroup.
type MulticastGroup struct {
	Group, Interface string
}

// FakeMulticastTransport is the protocol.MulticastTransport that
// MemoryReactor.ListenMulticast connects a protocol to: a
// FakeDatagramTransport that also keeps the multicast settings it is
// given. Like FakeDatagramTransport it checks nothing and sends nothing:
// every call succeeds (the Deferreds have fired with nil when they
// return). Twisted's MemoryReactor has no listenMulticast; this is braid's
// addition, so that code using IReactorMulticast can be tested in memory.
type FakeMulticastTransport struct {
	FakeDatagramTransport
	// Groups is the groups joined and not left since, in the order joined.
	Groups []MulticastGroup
	// TTL, Loopback and OutgoingInterface are what the Set methods set
	// and the Get methods return. ListenMulticast starts them as the
	// kernel does: TTL 1, loopback on, no outgoing interface ("0.0.0.0").
	TTL               int
	Loopback          bool
	OutgoingInterface string
}

var _ protocol.MulticastTransport = (*FakeMulticastTransport)(nil)

// JoinGroup ports joinGroup: it adds the group to Groups (once).
func (t *FakeMulticastTransport) JoinGroup(group, iface string) *reactor.Deferred {
	g := MulticastGroup{group, iface}
	if !slices.Contains(t.Groups, g) {
		t.Groups = append(t.Groups, g)
	}
	return reactor.Succeed(nil)
}

// LeaveGroup ports leaveGroup: it removes the group from Groups.
func (t *FakeMulticastTransport) LeaveGroup(group, iface string) *reactor.Deferred {
	t.Groups = slices.DeleteFunc(t.Groups, func(g MulticastGroup) bool { return g == MulticastGroup{group, iface} })
	return reactor.Succeed(nil)
}

// GetTTL ports getTTL: TTL.
func (t *FakeMulticastTransport) GetTTL() (int, error) { return t.TTL, nil }

// SetTTL ports setTTL: it sets TTL.
func (t *FakeMulticastTransport) SetTTL(ttl int) error {
	t.TTL = ttl
	return nil
}

// GetLoopbackMode ports getLoopbackMode: Loopback.
func (t *FakeMulticastTransport) GetLoopbackMode() (bool, error) { return t.Loopback, nil }

// SetLoopbackMode ports setLoopbackMode: it sets Loopback.
func (t *FakeMulticastTransport) SetLoopbackMode(enabled bool) error {
	t.Loopback = enabled
	return nil
}

// SetOutgoingInterface ports setOutgoingInterface: it sets
// OutgoingInterface.
func (t *FakeMulticastTransport) SetOutgoingInterface(addr string) *reactor.Deferred {
	t.OutgoingInterface = addr
	return reactor.Succeed(nil)
}

// GetOutgoingInterface ports getOutgoingInterface: OutgoingInterface, or
// "0.0.0.0" when it is empty.
func (t *FakeMulticastTransport) GetOutgoingInterface() (string, error) {
	if t.OutgoingInterface == "" {
		return "0.0.0.0", nil
	}
	return t.OutgoingInterface, nil
}

// MulticastPort records one MemoryReactor.ListenMulticast call and the
// transport the protocol was connected to.
type MulticastPort struct {
	Port      int
	Protocol  protocol.DatagramProtocol
	Opts      protocol.ListenMulticastOptions
	Transport *FakeMulticastTransport
}

var _ protocol.ReactorMulticast = (*MemoryReactor)(nil)

// ListenMulticast ports listenMulticast (beyond Twisted's double): it
// records the call in MulticastPorts and connects proto to a
// FakeMulticastTransport, as ListenUDP does with a FakeDatagramTransport.
// It never fails.
func (m *MemoryReactor) ListenMulticast(port int, proto protocol.DatagramProtocol, opts protocol.ListenMulticastOptions) (protocol.MulticastTransport, error) {
	ip, zone := interfaceIP(opts.Interface)
	t := &FakeMulticastTransport{
		FakeDatagramTransport: FakeDatagramTransport{Addr: &net.UDPAddr{IP: ip, Port: port, Zone: zone}, Protocol: proto},
		TTL:                   1,
		Loopback:              true,
	}
	m.MulticastPorts = append(m.MulticastPorts, MulticastPort{Port: port, Protocol: proto, Opts: opts, Transport: t})
	protocol.Bind(proto)
	proto.MakeConnection(t)
	return t, nil
}

var _ protocol.ReactorMulticast = (*RaisingMemoryReactor)(nil)

// ListenMulticast returns ListenErr; proto is not called.
func (r *RaisingMemoryReactor) ListenMulticast(port int, proto protocol.DatagramProtocol, opts protocol.ListenMulticastOptions) (protocol.MulticastTransport, error) {
	return nil, orRefused(r.ListenErr)
}
