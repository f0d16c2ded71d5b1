package iosim

import (
	"net"
	"syscall"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// ConnectRecord is one ConnectTCP call a fake reactor recorded: an entry of
// Twisted's MemoryReactor.tcpClients together with the connector it
// returned (MemoryReactor.connectors). Opts is not used by the completer;
// it is there so that a record is the whole call.
type ConnectRecord struct {
	Host      string
	Port      int
	Factory   protocol.ClientFactory
	Opts      protocol.ConnectTCPOptions
	Connector protocol.Connector
}

// ListenRecord is one ListenTCP call a fake reactor recorded: an entry of
// Twisted's MemoryReactor.tcpServers. Opts is not used by the completer.
type ListenRecord struct {
	Port    int
	Factory protocol.Factory
	Opts    protocol.ListenTCPOptions
}

// TCPRecorder is what a ConnectionCompleter needs of a fake reactor: the
// ConnectTCP calls still waiting for an outcome, the ListenTCP calls, and a
// way to take a ConnectTCP call off the list once it has one. Twisted's
// ConnectionCompleter reads and edits a MemoryReactor's lists directly;
// braid states what it needs, so that any fake implementing
// [protocol.ReactorTCP] by recording can offer it.
type TCPRecorder interface {
	// TCPConnects returns the pending ConnectTCP calls, oldest first.
	TCPConnects() []ConnectRecord
	// TCPListens returns the ListenTCP calls, oldest first.
	TCPListens() []ListenRecord
	// RemoveTCPConnect takes TCPConnects()[i] off the list.
	RemoveTCPConnect(i int)
}

// ConnectionCompleter ports twisted.test.iosim.ConnectionCompleter: it makes
// the connection attempts a fake reactor recorded succeed, through an
// in-memory connection, or fail.
type ConnectionCompleter struct {
	r TCPRecorder
}

// NewConnectionCompleter ports ConnectionCompleter(memoryReactor): r is the
// fake reactor whose calls it completes. A nil r panics, naming it.
func NewConnectionCompleter(r TCPRecorder) *ConnectionCompleter {
	if r == nil {
		panic("iosim: NewConnectionCompleter: nil TCPRecorder")
	}
	return &ConnectionCompleter{r: r}
}

// SucceedOnce ports succeedOnce: it takes the oldest pending ConnectTCP call
// whose port some ListenTCP call listens on (the first such listener;
// hosts and interfaces are not compared, as in Twisted), removes it, and
// connects a protocol from each factory as [ConnectedServerAndClient] does,
// returning the pump. The server's address is opts.ServerAddr, or else the
// recorded host (when it is an IP address; 192.0.2.1 otherwise) and port;
// the client's is opts.ClientAddr or 198.51.100.1:54321. Twisted's gives
// both factories None for an address. The connector is not told anything,
// as in Twisted. With no pair to connect it returns nil.
func (c *ConnectionCompleter) SucceedOnce(opts Options) *IOPump {
	listens := c.r.TCPListens()
	for i, conn := range c.r.TCPConnects() {
		for _, l := range listens {
			if l.Port != conn.Port {
				continue
			}
			c.r.RemoveTCPConnect(i)
			serverAddr, clientAddr := opts.ServerAddr, opts.ClientAddr
			if serverAddr == nil {
				ip := net.ParseIP(conn.Host)
				if ip == nil {
					ip = defaultServerIP
				}
				serverAddr = &net.TCPAddr{IP: ip, Port: conn.Port}
			}
			if clientAddr == nil {
				clientAddr = defaultClientAddr()
			}
			_, _, pump := connectFactories(l.Factory, serverAddr, conn.Factory, clientAddr, opts)
			return pump
		}
	}
	return nil
}

// FailOnce ports failOnce: it removes the oldest pending ConnectTCP call and
// calls its factory's ClientConnectionFailed with its connector and reason.
// A nil reason means a Failure wrapping a *protocol.ConnectionRefusedError
// (for syscall.ECONNREFUSED), Twisted's default. It reports whether there
// was a call to fail; Twisted's raises IndexError when there is none.
func (c *ConnectionCompleter) FailOnce(reason *reactor.Failure) bool {
	conns := c.r.TCPConnects()
	if len(conns) == 0 {
		return false
	}
	conn := conns[0]
	c.r.RemoveTCPConnect(0)
	if reason == nil {
		reason = reactor.NewFailure(&protocol.ConnectionRefusedError{OSError: syscall.ECONNREFUSED})
	}
	protocol.Bind(conn.Factory)
	conn.Factory.ClientConnectionFailed(conn.Connector, reason)
	return true
}
