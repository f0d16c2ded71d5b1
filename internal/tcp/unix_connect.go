//go:build unix

package tcp

import (
	"errors"
	"net"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// ConnectUNIX ports reactor.connectUNIX (twisted.internet.unix.Connector):
// it starts connecting to the UNIX stream socket address and reports to
// factory, as Connect does for TCP; the transport is a *Conn (a
// protocol.UNIXTransport). Nothing fails synchronously: a missing socket
// file (a *protocol.ConnectError wrapping ENOENT), a socket nobody accepts
// on (a *protocol.ConnectionRefusedError), one whose listen backlog is
// full (a *protocol.ConnectError wrapping EAGAIN), a timeout, and with
// opts.CheckPID a lock file no live process holds (a *protocol.BadFileError
// inside a *protocol.ConnectError; a lock that cannot be checked, such as
// one held by another user's process, gives the check's error there, as
// Twisted's isLocked raises) all arrive through ClientConnectionFailed.
func ConnectUNIX(r *reactor.Reactor, address string, factory protocol.ClientFactory, opts protocol.ConnectUNIXOptions) *Connector {
	if factory == nil {
		panic("braid: ConnectUNIX to " + strconv.Quote(address) + ": nil factory")
	}
	c := &Connector{r: r, factory: factory, timeout: connectTimeout(opts.Timeout, opts.NoTimeout), unixMode: true,
		unixAddress: address, checkPID: opts.CheckPID, state: StateDisconnected}
	protocol.Bind(factory)
	_ = c.Connect()
	return c
}

// prepareUNIX ports unix.Client.__init__: the PID check, then the socket;
// connect(2) runs on the next pass.
func (c *Conn) prepareUNIX() {
	cn := c.connector
	address := cn.unixAddress
	c.peer = &net.UnixAddr{Name: address, Net: "unix"}
	if address == "" {
		c.failSoon(&protocol.ConnectError{OSError: errors.New("empty address"), Msg: c.dest()})
		return
	}
	if cn.checkPID {
		locked, err := reactor.IsLocked(address + ".lock")
		if err == nil && !locked {
			err = &protocol.BadFileError{Path: address}
		}
		if err != nil {
			c.failSoon(&protocol.ConnectError{OSError: err, Msg: c.dest()})
			return
		}
	}
	sa, err := unixSockaddr(address)
	if err != nil {
		c.failSoon(&protocol.ConnectError{OSError: err, Msg: c.dest()})
		return
	}
	fd, err := newStreamSocket(unix.AF_UNIX)
	if err != nil {
		c.failSoon(&protocol.ConnectError{OSError: err, Msg: c.dest() + " (socket)"})
		return
	}
	c.fd = fd
	c.r.CallLater(0, func() { c.connectNow(sa) })
}
