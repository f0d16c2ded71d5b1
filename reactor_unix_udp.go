package braid

import (
	"github.com/braid-go/braid/internal/tcp"
	"github.com/braid-go/braid/internal/udp"
	"github.com/braid-go/braid/protocol"
)

// ListenUNIX ports reactor.listenUNIX: it listens on the UNIX stream
// socket address — a filesystem path, or on Linux "\x00name" in the
// abstract namespace (elsewhere such a name fails with an error wrapping
// errors.ErrUnsupported) — and calls factory.BuildProtocol for each connection
// accepted, whose transport is a [protocol.UNIXTransport] (descriptor
// passing, peer credentials). The socket file gets opts.Mode (0666 by
// default) and is removed when the port closes. With opts.WantPID the port
// holds the lock file address+".lock" naming this process while it
// listens, and a socket file left by a process that died is removed
// first; a live holder makes ListenUNIX fail. Failures are a
// [*protocol.CannotListenError] (Address set), and the factory is not
// started; on success factory.DoStart has run. GetHost gives a
// *net.UnixAddr. On Windows it fails with an error wrapping
// errors.ErrUnsupported.
func (r *Reactor) ListenUNIX(address string, factory protocol.Factory, opts protocol.ListenUNIXOptions) (protocol.ListeningPort, error) {
	p, err := tcp.ListenUNIX(r.Reactor, address, factory, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ConnectUNIX ports reactor.connectUNIX: it starts connecting to the UNIX
// stream socket address and reports to factory as ConnectTCP does; the
// protocol's transport is a [protocol.UNIXTransport]. Nothing fails
// synchronously: a missing socket file, one nobody listens on (a
// *protocol.ConnectionRefusedError), a timeout, and with opts.CheckPID a
// lock file no live process holds (a *protocol.BadFileError) arrive
// through ClientConnectionFailed. A nil factory panics, naming it.
func (r *Reactor) ConnectUNIX(address string, factory protocol.ClientFactory, opts protocol.ConnectUNIXOptions) protocol.Connector {
	return tcp.ConnectUNIX(r.Reactor, address, factory, opts)
}

// ListenUDP ports reactor.listenUDP: it binds a UDP socket to
// opts.Interface:port (port 0 picks one; "" is every IPv4 address, an IPv6
// literal makes an IPv6 port) and connects proto to it: its
// MakeConnection gets the port, a [protocol.UDPTransport], and so its
// StartProtocol runs before ListenUDP returns. Datagrams of up to
// opts.MaxPacketSize bytes (8192 by default) are read from the next pass.
// Failures are a [*protocol.CannotListenError] and proto is not called. On
// Windows it fails with an error wrapping errors.ErrUnsupported.
func (r *Reactor) ListenUDP(port int, proto protocol.DatagramProtocol, opts protocol.ListenUDPOptions) (protocol.UDPTransport, error) {
	p, err := udp.Listen(r.Reactor, port, proto, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ListenMulticast ports reactor.listenMulticast: ListenUDP whose port is a
// [protocol.MulticastTransport] (IPv4 groups, TTL, loopback, outgoing
// interface), and with opts.ListenMultiple bound with SO_REUSEADDR and
// SO_REUSEPORT so that other sockets may bind the same port.
func (r *Reactor) ListenMulticast(port int, proto protocol.DatagramProtocol, opts protocol.ListenMulticastOptions) (protocol.MulticastTransport, error) {
	p, err := udp.ListenMulticast(r.Reactor, port, proto, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}
