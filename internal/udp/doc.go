// Package udp is braid's real UDP transport, behind braid.Reactor's
// ListenUDP and ListenMulticast (Twisted's twisted.internet.udp): a
// non-blocking datagram socket watched by the reactor's epoll set, that
// hands each datagram to a protocol.DatagramProtocol. Users reach it only
// through the interfaces of package protocol.
package udp
