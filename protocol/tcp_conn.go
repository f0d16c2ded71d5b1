package protocol

import (
	"errors"
	"net"
	"sync"

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
	// writes of one callback into one send(2) and costs an epoll round trip
	// per burst. Beyond Twisted: the bytes, their order and every event are
	// the same either way, only sent sooner; but separate small writes then
	// leave as separate segments, so a protocol that writes a message in
	// pieces should also SetTcpNoDelay(true) to avoid Nagle's delays.
	WriteThrough bool

	writeErr error // a write-through send failed; DoWrite reports it
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

func (c *TCPConnection) startReading() { _ = c.r.AddReader(c) }
func (c *TCPConnection) stopReading()  { c.r.RemoveReader(c) }
func (c *TCPConnection) startWriting() { _ = c.r.AddWriter(c) }
func (c *TCPConnection) stopWriting()  { c.r.RemoveWriter(c) }

// makeConnection hands the connected transport to its protocol (T-01).
func (c *TCPConnection) makeConnection(p Protocol) {
	c.proto = p
	c.connected = true
	c.startReading()
	bindProtocol(p)
	p.MakeConnection(c)
}

// Reads go straight into a shared slab of memory and each DataReceived gets
// the part its read filled, so a bulk transfer allocates a slab per sixteen
// 64 KiB reads rather than a buffer per read: Go's collector handles that
// rate far better (twice the echo throughput here). Reads under
// slabMinRead are copied out instead, so a small slice a protocol keeps
// never holds a slab alive; a larger kept slice can, so the memory a kept
// slice pins is at most slabSize/slabMinRead times its length. The slab
// state lives in a sync.Pool, which gives each reactor goroutine its own.
const (
	slabSize    = 1 << 20
	slabMinRead = 16 << 10
	maxReadSize = 256 << 10
)

type readSlab struct {
	buf []byte
	off int
}

var readSlabs = sync.Pool{New: func() any { return new(readSlab) }}

// DoRead is called by the reactor when the socket is readable. It reads
// once (up to BufferSize bytes) and hands the bytes to DataReceived; EOF
// ends the connection cleanly (or only its read side, for a
// HalfCloseableProtocol), an error ends it with ErrConnectionLost wrapping
// the errno (T-06).
func (c *TCPConnection) DoRead() error {
	if c.connecting {
		return c.doConnect()
	}
	if c.aborting || c.fd < 0 {
		return nil
	}
	window := min(c.bufferSize(), maxReadSize)
	s := readSlabs.Get().(*readSlab)
	if len(s.buf)-s.off < window {
		s.buf, s.off = make([]byte, slabSize), 0
	}
	var n int
	var err error
	for {
		n, err = unix.Read(c.fd, s.buf[s.off:s.off+window])
		if err != unix.EINTR {
			break
		}
	}
	if err != nil || n == 0 {
		readSlabs.Put(s)
		switch {
		case n == 0 && err == nil:
			return reactor.ErrConnectionDone
		case isTemporary(err):
			return nil
		}
		return c.lostBy(err)
	}
	data := s.buf[s.off : s.off+n : s.off+n]
	switch {
	case c.ReuseReadBuffer:
		// The protocol promised not to keep it: the same memory serves
		// the next read. Hold the slab until DataReceived returns.
		c.proto.DataReceived(data)
		readSlabs.Put(s)
		return nil
	case n >= slabMinRead:
		s.off += n
	default:
		data = append([]byte(nil), data...)
	}
	readSlabs.Put(s)
	c.proto.DataReceived(data)
	return nil
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

// Write ports write: data is copied and queued, and sent when the socket is
// writable (T-05). It never blocks and never fails; a broken connection is
// reported through ConnectionLost. Writes after the connection has ended,
// or after LoseWriteConnection completed, are dropped, as in Twisted.
func (c *TCPConnection) Write(data []byte) {
	if !c.connected || c.writeDisconnected || len(data) == 0 {
		return
	}
	wasEmpty := len(c.wbuf) == c.woff
	if wasEmpty && c.WriteThrough && c.writeErr == nil {
		n, err := send(c.fd, data)
		if err == nil && n == len(data) {
			return
		}
		if err != nil && !isTemporary(err) {
			// Report it from DoWrite, on the next pass, as Twisted would:
			// a protocol is never told ConnectionLost from inside Write.
			c.writeErr = err
			c.startWriting()
			return
		}
		data = data[n:]
	}
	c.wbuf = append(c.wbuf, data...)
	c.maybePauseProducer()
	if wasEmpty {
		c.startWriting()
	}
}

// WriteSequence ports writeSequence: Write for each slice, in order (with
// WriteThrough, one sendmsg(2) for all of them).
func (c *TCPConnection) WriteSequence(data [][]byte) {
	if !c.connected || c.writeDisconnected || len(data) == 0 {
		return
	}
	wasEmpty := len(c.wbuf) == c.woff
	skip := 0 // bytes already sent by write-through
	if wasEmpty && c.WriteThrough && c.writeErr == nil {
		total := 0
		for _, d := range data {
			total += len(d)
		}
		if total == 0 {
			return
		}
		n, err := unix.SendmsgBuffers(c.fd, data, nil, nil, unix.MSG_NOSIGNAL)
		if err == nil && n == total {
			return
		}
		if err != nil && !isTemporary(err) {
			c.writeErr = err
			c.startWriting()
			return
		}
		skip = n
	}
	for _, d := range data {
		if skip >= len(d) {
			skip -= len(d)
			continue
		}
		c.wbuf = append(c.wbuf, d[skip:]...)
		skip = 0
	}
	if len(c.wbuf) == c.woff {
		return
	}
	c.maybePauseProducer()
	if wasEmpty {
		c.startWriting()
	}
}

// Buffered returns the number of bytes written but not yet handed to the
// kernel (Twisted keeps this in dataBuffer and _tempDataBuffer).
func (c *TCPConnection) Buffered() int { return len(c.wbuf) - c.woff }

func (c *TCPConnection) bufferSize() int {
	if c.BufferSize > 0 {
		return c.BufferSize
	}
	return DefaultBufferSize
}

// maybePauseProducer ports _maybePauseProducer.
func (c *TCPConnection) maybePauseProducer() {
	if c.producer != nil && c.streaming && c.Buffered() > c.bufferSize() {
		c.producerPaused = true
		c.producer.(PushProducer).PauseProducing()
	}
}

// DoWrite is called by the reactor when the socket is writable. It sends
// what is queued; once the queue is empty it resumes a paused producer, or
// finishes a LoseConnection (ConnectionDone) or a LoseWriteConnection.
func (c *TCPConnection) DoWrite() error {
	if c.connecting {
		return c.doConnect()
	}
	if c.aborting || c.fd < 0 {
		return nil
	}
	if c.writeErr != nil {
		return c.lostBy(c.writeErr)
	}
	if c.Buffered() > 0 {
		n, err := send(c.fd, c.wbuf[c.woff:])
		if err != nil {
			if isTemporary(err) {
				return nil
			}
			return c.lostBy(err)
		}
		c.woff += n
	}
	if c.Buffered() > 0 {
		c.compact()
		return nil
	}
	c.resetBuffer()
	c.stopWriting()
	switch {
	case c.producer != nil && (!c.streaming || c.producerPaused):
		c.producerPaused = false
		c.producer.ResumeProducing()
	case c.disconnecting:
		return reactor.ErrConnectionDone
	case c.writeDisconnecting && !c.writeDisconnected:
		c.writeDisconnected = true
		c.closeWriteConnection()
	}
	return nil
}

// maxKeptBuffer is the largest write buffer kept for reuse once drained, so
// that an idle connection that once wrote a lot does not pin the memory.
const maxKeptBuffer = 128 << 10

func (c *TCPConnection) resetBuffer() {
	if cap(c.wbuf) > maxKeptBuffer {
		c.wbuf = nil
	} else {
		c.wbuf = c.wbuf[:0]
	}
	c.woff = 0
}

// compact moves the unsent tail to the front once the sent head is the
// larger part, so the buffer does not grow while the peer keeps up.
func (c *TCPConnection) compact() {
	if c.woff > len(c.wbuf)/2 {
		n := copy(c.wbuf, c.wbuf[c.woff:])
		c.wbuf = c.wbuf[:n]
		c.woff = 0
	}
}

// closeWriteConnection shuts down the writing side and tells a
// HalfCloseableProtocol. A panic there drops the connection, as in Twisted.
func (c *TCPConnection) closeWriteConnection() {
	_ = unix.Shutdown(c.fd, unix.SHUT_WR)
	if hc, ok := c.proto.(HalfCloseableProtocol); ok {
		if f := c.protect(hc.WriteConnectionLost, "writeConnectionLost"); f != nil {
			c.ConnectionLost(f)
		}
	}
}

// LoseConnection ports loseConnection (T-05): reading stops, everything
// queued is sent, then the socket is closed and the protocol gets
// ConnectionLost(ConnectionDone). With a producer registered, the close
// waits until it is unregistered (or, for a streaming producer, not
// paused), as in Twisted. Calling it again does nothing.
func (c *TCPConnection) LoseConnection() {
	if !c.connected || c.disconnecting {
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
	if !c.connected || c.writeDisconnecting {
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

// RegisterProducer ports registerProducer (see Consumer). On a connection
// that has already ended, the producer is stopped at once.
func (c *TCPConnection) RegisterProducer(p Producer, streaming bool) error {
	if c.producer != nil {
		return ErrProducerRegistered
	}
	if streaming {
		if _, ok := p.(PushProducer); !ok {
			return ErrNotPushProducer
		}
	}
	if c.disconnected {
		p.StopProducing()
		return nil
	}
	c.producer = p
	c.streaming = streaming
	c.producerPaused = false
	if !streaming {
		p.ResumeProducing()
	}
	return nil
}

// UnregisterProducer ports unregisterProducer. If LoseConnection (or, in
// braid, LoseWriteConnection) is waiting, it goes ahead.
func (c *TCPConnection) UnregisterProducer() {
	c.producer = nil
	if c.connected && (c.disconnecting || c.writeDisconnecting && !c.writeDisconnected) {
		c.startWriting()
	}
}

// PauseProducing ports pauseProducing: stop reading from the socket, so
// the peer is slowed down by TCP's own flow control.
func (c *TCPConnection) PauseProducing() {
	if c.fd >= 0 && !c.connecting {
		c.stopReading()
	}
}

// ResumeProducing ports resumeProducing: read again, unless the connection
// is closing or its read side has ended.
func (c *TCPConnection) ResumeProducing() {
	if c.connected && !c.disconnecting && !c.readDisconnected && !c.aborting {
		c.startReading()
	}
}

// StopProducing ports stopProducing: LoseConnection.
func (c *TCPConnection) StopProducing() { c.LoseConnection() }

// GetTcpNoDelay ports getTcpNoDelay: whether Nagle's algorithm is off.
func (c *TCPConnection) GetTcpNoDelay() (bool, error) {
	return c.getBool(unix.IPPROTO_TCP, unix.TCP_NODELAY, "TCP_NODELAY")
}

// SetTcpNoDelay ports setTcpNoDelay: true turns Nagle's algorithm off.
func (c *TCPConnection) SetTcpNoDelay(enabled bool) error {
	return c.setBool(unix.IPPROTO_TCP, unix.TCP_NODELAY, enabled, "TCP_NODELAY")
}

// GetTcpKeepAlive ports getTcpKeepAlive.
func (c *TCPConnection) GetTcpKeepAlive() (bool, error) {
	return c.getBool(unix.SOL_SOCKET, unix.SO_KEEPALIVE, "SO_KEEPALIVE")
}

// SetTcpKeepAlive ports setTcpKeepAlive: true enables keep-alive probes.
func (c *TCPConnection) SetTcpKeepAlive(enabled bool) error {
	return c.setBool(unix.SOL_SOCKET, unix.SO_KEEPALIVE, enabled, "SO_KEEPALIVE")
}

func (c *TCPConnection) getBool(level, opt int, name string) (bool, error) {
	if c.fd < 0 {
		return false, &net.OpError{Op: "getsockopt " + name, Net: "tcp", Addr: c.GetPeer(), Err: reactor.ErrConnectionClosed}
	}
	v, err := unix.GetsockoptInt(c.fd, level, opt)
	if err != nil {
		return false, &net.OpError{Op: "getsockopt " + name, Net: "tcp", Addr: c.GetPeer(), Err: err}
	}
	return v != 0, nil
}

func (c *TCPConnection) setBool(level, opt int, enabled bool, name string) error {
	if c.fd < 0 {
		return &net.OpError{Op: "setsockopt " + name, Net: "tcp", Addr: c.GetPeer(), Err: reactor.ErrConnectionClosed}
	}
	v := 0
	if enabled {
		v = 1
	}
	if err := unix.SetsockoptInt(c.fd, level, opt, v); err != nil {
		return &net.OpError{Op: "setsockopt " + name, Net: "tcp", Addr: c.GetPeer(), Err: err}
	}
	return nil
}
