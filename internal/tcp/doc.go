// Package tcp is braid's real stream-socket transport, behind
// braid.Reactor's ListenTCP and ConnectTCP (Twisted's
// twisted.internet.tcp) and ListenUNIX and ConnectUNIX
// (twisted.internet.unix): non-blocking sockets watched by the reactor's
// epoll set — no goroutine per connection — with Twisted's write
// buffering, producer/consumer flow control, half-close and event order.
// A UNIX connection is the same Conn with other addresses, plus descriptor
// passing and peer credentials (unix_*.go, peercred_*.go). Users reach it
// only through the interfaces of package protocol.
package tcp
