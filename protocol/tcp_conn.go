package protocol

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/reactor"
)

// DefaultBufferSize is Twisted's FileDescriptor.bufferSize (64 KiB): the
// size of one read, and the write-buffer level above which a registered
// streaming producer is paused. The producer is resumed once the buffer has
// drained completely (Twisted's high and low water marks: 64 KiB and 0).
const DefaultBufferSize = 1 << 16

// TCPTransport ports ITCPTransport: the Transport of a TCP connection, which
// is also a Consumer (flow control for what is written to it) and a
// PushProducer (pausing it stops reading from the socket). *TCPConnection
// implements it.
type TCPTransport interface {
	Transport
	Consumer
	PushProducer
	AbortConnection()
	LoseWriteConnection()
	GetTcpNoDelay() (bool, error)
	SetTcpNoDelay(enabled bool) error
	GetTcpKeepAlive() (bool, error)
	SetTcpKeepAlive(enabled bool) error
}

// TCPConnection is the transport of one TCP connection, accepted by a Port
// or made by ConnectTCP: Twisted's tcp.Server and tcp.Client. Its socket is
// non-blocking and watched by the reactor's epoll set; no goroutine is
// involved. Use it from the reactor goroutine only.
//
// Writes are copied into an unbounded buffer, as in Twisted; register a
// producer (RegisterProducer) to keep memory bounded when writing faster
// than the peer reads.
type TCPConnection struct {
	r     *reactor.Reactor
	fd    int
	proto Protocol

	host, peer *net.TCPAddr
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

	producer       Producer
	streaming      bool
	producerPaused bool

	// BufferSize is the high-water mark of the write buffer and the size
	// of one read (at most 256 KiB); DefaultBufferSize unless changed.
	// Twisted's bufferSize.
	BufferSize int

	// ReuseReadBuffer, when set (typically in ConnectionMade), promises that
	// the protocol's DataReceived does not keep the slice it is given, nor
	// any part of it, once it returns — it copies what it keeps, as Write
	// does. Every read then goes into the same memory, and a bulk transfer
	// allocates nothing per read. Beyond Twisted, whose reads are fresh
	// bytes objects: by default braid gives each DataReceived memory of its
	// own too, which in Go costs garbage-collector work in proportion to the
	// bytes read (see bench/RESULTS.md for the difference). ProxyFactory's
	// protocols set it.
	ReuseReadBuffer bool

	// WriteThrough, when set, makes Write hand data to the kernel at once
	// when nothing is queued (what a Go net.Conn does), queueing only what
	// the kernel does not take. Twisted — and braid by default — queues
	// every write and sends on the next reactor pass, which coalesces the
	// writes of one callback into one send(2) and costs a reactor pass per
	// burst. Beyond Twisted: the bytes, their order and every event are
	// the same either way, only sent sooner; but separate small writes then
	// leave as separate segments, so a protocol that writes a message in
	// pieces should also SetTcpNoDelay(true) to avoid Nagle's delays.
	WriteThrough bool

	writeErr error // a write-through send failed; DoWrite reports it

	reading    bool // registered as a reader
	lingering  bool // buffer drained, writer kept registered (DoWrite)
	idlePasses int  // writable passes with nothing to send while lingering
	holdWrite  bool // bytes queued while lingering: not sent this pass
	inRead     bool // inside DataReceived
}

var _ TCPTransport = (*TCPConnection)(nil)

func newTCPConnection(r *reactor.Reactor, fd int) *TCPConnection {
	return &TCPConnection{r: r, fd: fd, BufferSize: DefaultBufferSize}
}

// Fileno returns the socket's descriptor, or -1 once closed.
func (c *TCPConnection) Fileno() int { return c.fd }

// Protocol returns the protocol the connection delivers to (nil for a client
// that is still connecting).
func (c *TCPConnection) Protocol() Protocol { return c.proto }

// String names the connection by its addresses, for dirty-reactor reports:
// "TCP connection <local> -> <remote>" for a client,
// "TCP connection <local> <- <remote>" for an accepted one.
func (c *TCPConnection) String() string {
	local := "?"
	if h := c.GetHost(); h != nil {
		local = h.String()
	}
	remote := "?"
	if c.peer != nil {
		remote = c.peer.String()
	}
	switch {
	case c.connecting:
		return "TCP connection " + local + " -> " + remote + " (connecting)"
	case c.server:
		return "TCP connection " + local + " <- " + remote
	}
	return "TCP connection " + local + " -> " + remote
}

// GetHost ports getHost: the local address (a *net.TCPAddr), or nil before
// the socket exists.
func (c *TCPConnection) GetHost() net.Addr {
	if c.host == nil && c.fd >= 0 {
		if sa, err := unix.Getsockname(c.fd); err == nil {
			c.host = tcpAddrOf(sa)
		}
	}
	if c.host == nil {
		return nil
	}
	return c.host
}

// GetPeer ports getPeer: the remote address (a *net.TCPAddr).
func (c *TCPConnection) GetPeer() net.Addr {
	if c.peer == nil {
		return nil
	}
	return c.peer
}

func (c *TCPConnection) startReading() { c.reading = c.r.AddReader(c) == nil }
func (c *TCPConnection) stopReading()  { c.reading = false; c.r.RemoveReader(c) }
func (c *TCPConnection) startWriting() { _ = c.r.AddWriter(c) }

func (c *TCPConnection) stopWriting() {
	c.lingering, c.idlePasses, c.holdWrite = false, 0, false
	c.r.RemoveWriter(c)
}

// makeConnection hands the connected transport to its protocol (T-01).
func (c *TCPConnection) makeConnection(p Protocol) {
	c.proto = p
	c.connected = true
	c.startReading()
	bindProtocol(p)
	p.MakeConnection(c)
}

// ReadConnectionLost is called by the reactor when the peer has shut down
// its writing side. A HalfCloseableProtocol is told so and the connection
// stays open for writing; any other protocol gets ConnectionLost.
func (c *TCPConnection) ReadConnectionLost(reason *reactor.Failure) {
	hc, ok := c.proto.(HalfCloseableProtocol)
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
func (c *TCPConnection) protect(f func(), why string) (failed *reactor.Failure) {
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

// LoseConnection ports loseConnection (T-05): reading stops, everything
// queued is sent, then the socket is closed and the protocol gets
// ConnectionLost(ConnectionDone). With a producer registered, the close
// waits until it is unregistered (or, for a streaming producer, not
// paused), as in Twisted. Calling it again does nothing.
func (c *TCPConnection) LoseConnection() {
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

// LoseWriteConnection ports loseWriteConnection: once the queue is sent, the
// writing side is shut down (the peer reads EOF) while reading goes on; a
// HalfCloseableProtocol then gets WriteConnectionLost.
func (c *TCPConnection) LoseWriteConnection() {
	if !c.connected || c.writeDisconnecting || c.aborting {
		return
	}
	c.writeDisconnecting = true
	c.startWriting()
}

// AbortConnection ports abortConnection (T-05): the queue is dropped, and on
// the next reactor pass the socket is closed with a reset; the protocol gets
// ConnectionLost(ErrConnectionAborted) and the peer ErrConnectionLost.
func (c *TCPConnection) AbortConnection() {
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
func (c *TCPConnection) ConnectionLost(reason *reactor.Failure) {
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
	c.proto.ConnectionLost(reason)
	if c.connector != nil {
		c.connector.connectionLost(reason)
	}
}
