package protocol

import (
	"errors"
	"fmt"
	"net"

	"github.com/braid-go/braid/reactor"
)

// ReactorUDP ports IReactorUDP: listening for UDP datagrams. braid.Reactor
// implements it on real sockets; a fake records the calls.
type ReactorUDP interface {
	// ListenUDP ports listenUDP: bind opts.Interface:port and connect proto
	// to the port (MakeConnection, so StartProtocol). port 0 picks a free
	// port. A failure is returned at once as a *CannotListenError, and
	// proto is not called.
	ListenUDP(port int, proto DatagramProtocol, opts ListenUDPOptions) (UDPTransport, error)
}

// ReactorMulticast ports IReactorMulticast: a UDP port that can join
// multicast groups.
type ReactorMulticast interface {
	// ListenMulticast ports listenMulticast: as ListenUDP, with the
	// multicast methods, and with opts.ListenMultiple letting several
	// sockets bind the same port.
	ListenMulticast(port int, proto DatagramProtocol, opts ListenMulticastOptions) (MulticastTransport, error)
}

// DefaultMaxPacketSize is listenUDP's maxPacketSize: the largest datagram
// read whole; longer ones are cut to it, as recvfrom(2) cuts them.
const DefaultMaxPacketSize = 8192

// ListenUDPOptions are listenUDP's keyword arguments. The zero value is
// Twisted's default: every IPv4 address, 8192-byte datagrams.
type ListenUDPOptions struct {
	// Interface is the address to bind, an IP literal; "" means every IPv4
	// address; an IPv6 literal makes an IPv6 port.
	Interface string
	// MaxPacketSize is the size of one read; 0 means DefaultMaxPacketSize.
	MaxPacketSize int
}

// ListenMulticastOptions are listenMulticast's keyword arguments.
type ListenMulticastOptions struct {
	// Interface and MaxPacketSize are as in ListenUDPOptions.
	Interface     string
	MaxPacketSize int
	// ListenMultiple sets SO_REUSEADDR (and SO_REUSEPORT where there is
	// one) so that other sockets, in this process or another, may bind the
	// same port and each get the group's datagrams.
	ListenMultiple bool
}

// DatagramProtocol ports IProtocol for datagrams
// (twisted.internet.protocol.DatagramProtocol): what a UDP port calls.
// Embed [BaseDatagramProtocol] for Twisted's defaults.
//
//   - MakeConnection is called by ListenUDP with the port: it records the
//     transport and calls DoStart.
//   - DoStart and DoStop count the ports the protocol is connected to;
//     StartProtocol runs when the first one connects, StopProtocol when
//     the last one has stopped.
//   - DatagramReceived gets each datagram and its sender (a *net.UDPAddr);
//     the slice is the receiver's to keep.
//
// A protocol may also implement [ConnectionRefusedReceiver].
type DatagramProtocol interface {
	MakeConnection(t UDPTransport)
	DoStart()
	DoStop()
	StartProtocol()
	StopProtocol()
	DatagramReceived(data []byte, addr net.Addr)
}

// ConnectionRefusedReceiver is implemented by a DatagramProtocol that wants
// to know when a datagram sent on a connected port was refused (the kernel
// got an ICMP port unreachable): Twisted's connectionRefused. It is called
// from a later read or write on that port.
type ConnectionRefusedReceiver interface {
	ConnectionRefused()
}

// UDPTransport ports IUDPTransport (with IListeningPort): the UDP port a
// DatagramProtocol is connected to.
type UDPTransport interface {
	ListeningPort
	// WriteTo ports write(data, addr) on a port that is not connected: send
	// data as one datagram to addr, a *net.UDPAddr whose IP is of the
	// port's family (a port bound to "::" also takes IPv4 addresses,
	// sent IPv4-mapped: it hears IPv4 senders, and writing back to the
	// address DatagramReceived got works). It fails with a *MessageLengthError for a datagram too
	// long, an *InvalidAddressError for a bad address, and
	// ErrUDPConnected on a connected port (to another address than the
	// one connected to). A refused datagram is silently dropped.
	WriteTo(data []byte, addr net.Addr) error
	// Write ports write(data) on a connected port: send data to the
	// address connected to. On a port not connected it returns
	// ErrUDPNotConnected. A refusal the kernel reports at once is given to
	// the protocol's ConnectionRefused, and Write returns nil.
	Write(data []byte) error
	// WriteSequence ports writeSequence(seq, addr): the slices joined, as
	// one datagram, to addr — or, with addr nil on a connected port, to
	// the address connected to.
	WriteSequence(data [][]byte, addr net.Addr) error
	// Connect ports connect: from now on the port sends to and receives
	// from host:port only; host must be an IP literal (an
	// *InvalidAddressError otherwise). Connecting twice is an error, as in
	// Twisted.
	Connect(host string, port int) error
	// SetBroadcastAllowed and GetBroadcastAllowed port
	// setBroadcastAllowed / getBroadcastAllowed (SO_BROADCAST).
	SetBroadcastAllowed(enabled bool) error
	GetBroadcastAllowed() (bool, error)
}

// MulticastTransport ports IMulticastTransport: a UDP port that can join
// IPv4 multicast groups and set how it sends to them. Twisted's multicast
// is IPv4 only and so is braid's: on an IPv6 port these return errors.
type MulticastTransport interface {
	UDPTransport
	// JoinGroup and LeaveGroup port joinGroup/leaveGroup: the Deferred
	// fires with nil once done, or fails with a *MulticastJoinError.
	// iface is the address of the interface to join on; "" lets the
	// kernel choose. Both are IP literals (Twisted also resolves names).
	JoinGroup(group, iface string) *reactor.Deferred
	LeaveGroup(group, iface string) *reactor.Deferred
	GetTTL() (int, error)
	SetTTL(ttl int) error
	GetLoopbackMode() (bool, error)
	SetLoopbackMode(enabled bool) error
	// SetOutgoingInterface sets the interface (by its IPv4 address)
	// multicast datagrams leave through; the Deferred fires with nil.
	SetOutgoingInterface(addr string) *reactor.Deferred
	GetOutgoingInterface() (string, error)
}

// Errors of UDP ports.
var (
	// ErrUDPNotConnected is returned by UDPTransport.Write on a port that
	// is not connected (Twisted asserts an address is given).
	ErrUDPNotConnected = errors.New("udp: port is not connected; use WriteTo with an address")
	// ErrUDPConnected is returned by WriteTo to another address than the
	// one a connected port is connected to, and by a second Connect
	// (Twisted asserts, and raises RuntimeError).
	ErrUDPConnected = errors.New("udp: port is connected")
)

// MessageLengthError ports error.MessageLengthError: a datagram too long to
// send (EMSGSIZE).
type MessageLengthError struct {
	Err error
}

func (e *MessageLengthError) Error() string { return "message is too long to send: " + e.Err.Error() }

// Unwrap returns the errno.
func (e *MessageLengthError) Unwrap() error { return e.Err }

// InvalidAddressError ports error.InvalidAddressError: an address that is
// not usable here (not an IP literal, or of the wrong family).
type InvalidAddressError struct {
	Address string
	Msg     string
}

func (e *InvalidAddressError) Error() string {
	return fmt.Sprintf("invalid address %s: %s", e.Address, e.Msg)
}

// MulticastJoinError ports error.MulticastJoinError: joining or leaving a
// group failed.
type MulticastJoinError struct {
	Group, Interface string
	Err              error
}

func (e *MulticastJoinError) Error() string {
	return fmt.Sprintf("multicast group %s on interface %q: %v", e.Group, e.Interface, e.Err)
}

// Unwrap returns the setsockopt error.
func (e *MulticastJoinError) Unwrap() error { return e.Err }
