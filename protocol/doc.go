// Package protocol ports the transports and protocols of
// twisted.internet.protocol, twisted.internet.tcp and
// twisted.internet.process: the code that speaks over a TCP connection or to
// a child process, and the transports that carry the bytes.
//
// TCP: ListenTCP and ConnectTCP drive non-blocking sockets from the
// reactor's epoll set — one goroutine for every connection, the reactor's —
// and call a Protocol (embed BaseProtocol) built by a Factory. ClientCreator
// connects one protocol and hands it back through a Deferred, with
// Twisted's event order. The transport keeps Twisted's unbounded write
// buffer and its producer/consumer flow control. ForwardingPort is Conch's
// test helper that sends a line and collects the reply, and ProxyFactory
// (ListenForward) is Twisted's port forwarder.
//
// Processes: SpawnProcess starts a child with pipes in the same epoll set and
// reports to a ProcessProtocol (embed BaseProcessProtocol) in Twisted's order;
// exit is watched and children are signalled through a pidfd.
//
// Every callback runs on the reactor goroutine. Where braid differs from
// Twisted, the doc comment of the name concerned says so.
package protocol
