//go:build unix

package tcp

import (
	"crypto/tls"
	"errors"
	"net"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/tlsbio"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Conn is the transport of one TCP connection, accepted by a Port or made
// by a Connector: Twisted's tcp.Server and tcp.Client. Its socket is
// non-blocking and watched by the reactor's epoll set; no goroutine is
// involved. Use it from the reactor goroutine only.
//
// Writes are copied into an unbounded buffer, as in Twisted; register a
// producer (RegisterProducer) to keep memory bounded when writing faster
// than the peer reads.
type Conn struct {
	r     *reactor.Reactor
	fd    int
	proto protocol.Protocol

	host, peer net.Addr   // *net.TCPAddr, or *net.UnixAddr for a UNIX socket
	server     bool       // accepted by a Port
	connector  *Connector // set for a client connection
	connecting bool       // client: connect(2) in progress

	connected          bool
	disconnecting      bool // LoseConnection: close once the buffer drains
	disconnected       bool
	writeDisconnecting bool // LoseWriteConnection: shut down writing once drained
	writeDisconnected  bool
	readDisconnected   bool // EOF seen and handed to a half-closeable protocol
	aborting           bool

	wbuf []byte // bytes queued; wbuf[woff:] is still to send
	woff int

	producer       protocol.Producer
	streaming      bool
	producerPaused bool

	// opts are fixed when the connection is made: see
	// protocol.TCPConnOptions for what each one does.
	opts protocol.TCPConnOptions

	writeErr error // a write-through send failed; DoWrite reports it

	reading bool // registered as a reader
	// kernelFull: the last send stopped short, the kernel buffer is full.
	// Until a DoWrite drains the queue, the writer waits for the poller
	// to report room instead of being presumed writable.
	kernelFull bool

	unixSock  bool           // AF_UNIX: reads and writes carry descriptors (unix_fds.go)
	fdQueue   []int          // descriptors waiting to be sent (SendFileDescriptor)
	oob       []byte         // room for the descriptors of one read, made at the first read
	tlsConfig *tls.Config    // start TLS before MakeConnection (ListenSSL, ConnectSSL)
	tlsServer bool           // … as the server
	tls       *tlsbio.Engine // the TLS layer, once started (tls.go)
}

var (
	_ protocol.TCPTransport           = (*Conn)(nil)
	_ protocol.UNIXTransport          = (*Conn)(nil)
	_ protocol.DisconnectingTransport = (*Conn)(nil)
)

func newConn(r *reactor.Reactor, fd int, opts protocol.TCPConnOptions) *Conn {
	return &Conn{r: r, fd: fd, opts: opts}
}

// Fileno returns the socket's descriptor, or -1 once closed.
func (c *Conn) Fileno() int { return c.fd }

// Protocol returns the protocol the connection delivers to (nil for a client
// that is still connecting).
func (c *Conn) Protocol() protocol.Protocol { return c.userProtocol() }

// String names the connection by its addresses, for dirty-reactor reports:
// "TCP connection <local> -> <remote>" for a client,
// "TCP connection <local> <- <remote>" for an accepted one.
func (c *Conn) String() string {
	local := "?"
	if h := c.GetHost(); h != nil {
		local = h.String()
	}
	remote := "?"
	if c.peer != nil {
		remote = c.peer.String()
	}
	kind := "TCP connection "
	if c.unixSock {
		kind = "UNIX connection "
	}
	switch {
	case c.connecting:
		return kind + local + " -> " + remote + " (connecting)"
	case c.server:
		return kind + local + " <- " + remote
	}
	return kind + local + " -> " + remote
}

// GetHost ports getHost: the local address (a *net.TCPAddr, or a
// *net.UnixAddr for a UNIX connection, whose Name is "" for a client's
// unbound end), or nil before the socket exists.
func (c *Conn) GetHost() net.Addr {
	if c.host == nil && c.fd >= 0 {
		if sa, err := unix.Getsockname(c.fd); err == nil {
			c.host = addrOf(sa)
		}
	}
	return c.host
}

// GetPeer ports getPeer: the remote address (a *net.TCPAddr, or a
// *net.UnixAddr).
func (c *Conn) GetPeer() net.Addr { return c.peer }

func (c *Conn) startReading() { c.reading = c.r.AddReader(c) == nil }
func (c *Conn) stopReading()  { c.reading = false; c.r.RemoveReader(c) }
func (c *Conn) startWriting() { _ = c.r.AddWriter(c) }

func (c *Conn) stopWriting() { c.r.RemoveWriter(c) }

// WritablePresumed tells the reactor (internal/writeready) that a write
// would find room: the socket is connected and its last send was not cut
// short. The reactor then calls DoWrite after its next poll without
// registering the socket for writability.
func (c *Conn) WritablePresumed() bool { return !c.connecting && !c.kernelFull }

// makeConnection hands the connected transport to its protocol (T-01).
func (c *Conn) makeConnection(p protocol.Protocol) {
	c.proto = p
	c.connected = true
	c.startReading()
	protocol.Bind(p)
	if c.tlsConfig != nil {
		c.startTLS(p, c.tlsConfig, c.tlsServer)
	}
	p.MakeConnection(c)
}

// ReadConnectionLost is called by the reactor when the peer has shut down
// its writing side. A HalfCloseableProtocol is told so and the connection
// stays open for writing; any other protocol gets ConnectionLost.
func (c *Conn) ReadConnectionLost(reason *reactor.Failure) {
	hc, ok := c.proto.(protocol.HalfCloseableProtocol)
	if !ok || c.connecting {
		c.ConnectionLost(reason)
		return
	}
	c.readDisconnected = true
	if f := c.protect(hc.ReadConnectionLost, "readConnectionLost"); f != nil {
		c.ConnectionLost(f)
	}
}

// protect runs f; a panic is logged and returned as a Failure, as Twisted's
// transports catch what a half-close callback raises and drop the
// connection.
func (c *Conn) protect(f func(), why string) (failed *reactor.Failure) {
	defer func() {
		if v := recover(); v != nil {
			err, ok := v.(error)
			if !ok {
				err = &reactor.PanicError{Value: v}
			}
			failed = reactor.NewFailure(err)
			c.r.LogError(failed, why)
		}
	}()
	f()
	return nil
}

// rawLoseConnection ports loseConnection (T-05): reading stops, everything
// queued is sent, then the socket is closed and the protocol gets
// ConnectionLost(ConnectionDone). With a producer registered, the close
// waits until it is unregistered (or, for a streaming producer, not
// paused), as in Twisted. Calling it again does nothing.
func (c *Conn) rawLoseConnection() {
	if !c.connected || c.disconnecting || c.aborting {
		return
	}
	if c.writeDisconnected {
		// DoWrite will not close it any more: the write side is already shut.
		c.stopReading()
		c.stopWriting()
		c.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionDone))
		return
	}
	c.stopReading()
	c.startWriting()
	c.disconnecting = true
}

// IsDisconnecting ports the disconnecting attribute (the
// protocol.DisconnectingTransport capability): LoseConnection has been
// called while connected. As in Twisted, AbortConnection does not set it.
func (c *Conn) IsDisconnecting() bool { return c.disconnecting }

// rawLoseWriteConnection ports loseWriteConnection: once the queue is sent, the
// writing side is shut down (the peer reads EOF) while reading goes on; a
// HalfCloseableProtocol then gets WriteConnectionLost.
func (c *Conn) rawLoseWriteConnection() {
	if !c.connected || c.writeDisconnecting || c.aborting {
		return
	}
	c.writeDisconnecting = true
	c.startWriting()
}

// rawAbortConnection ports abortConnection (T-05): the queue is dropped, and on
// the next reactor pass the socket is closed with a reset; the protocol gets
// ConnectionLost(ErrConnectionAborted) and the peer ErrConnectionLost.
func (c *Conn) rawAbortConnection() {
	if c.disconnected || c.aborting {
		return
	}
	c.aborting = true
	c.stopReading()
	c.stopWriting()
	c.r.CallLater(0, func() { c.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionAborted)) })
}

// ConnectionLost is called by the reactor when the connection has ended (a
// read or write error, the end of a LoseConnection, reactor shutdown) and by
// AbortConnection. It closes the socket, stops a registered producer and
// calls the protocol's ConnectionLost exactly once; for a client it then
// tells the connector. On a client still connecting it fails the attempt.
func (c *Conn) ConnectionLost(reason *reactor.Failure) {
	if c.connecting {
		c.connectFailed(reason)
		return
	}
	if c.disconnected || c.fd < 0 {
		return
	}
	c.disconnected = true
	c.connected = false
	if p := c.producer; p != nil {
		c.producer = nil
		p.StopProducing()
	}
	c.stopReading()
	c.stopWriting()
	closeSocket(c.fd, !errors.Is(reason, reactor.ErrConnectionAborted))
	c.fd = -1
	c.wbuf, c.woff = nil, 0
	c.fdQueue = nil
	c.proto.ConnectionLost(reason)
	if c.connector != nil {
		c.connector.connectionLost(reason)
	}
}
