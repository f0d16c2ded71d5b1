// Package tcp is braid's real TCP transport, behind braid.Reactor's
// ListenTCP and ConnectTCP (Twisted's twisted.internet.tcp): non-blocking
// sockets watched by the reactor's epoll set — no goroutine per connection
// — with Twisted's write buffering, producer/consumer flow control,
// half-close and event order. Users reach it only through the interfaces of
// package protocol.
package tcp
