//go:build unix

package tcp

import (
	"net"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// The writing half of Conn: Twisted's FileDescriptor buffer, its
// producer/consumer flow control, and the socket options.

// rawWrite ports write: data is copied and queued, and sent when the socket is
// writable (T-05; see WriteThrough). It never blocks and never fails; a
// broken connection is reported through ConnectionLost. Writes after the
// connection has ended, after LoseWriteConnection completed or after
// AbortConnection are dropped (Twisted keeps the last kind in a buffer that
// is never sent).
func (c *Conn) rawWrite(data []byte) {
	if !c.connected || c.writeDisconnected || c.aborting || len(data) == 0 {
		return
	}
	wasEmpty := len(c.wbuf) == c.woff
	if wasEmpty && c.opts.WriteThrough && c.writeErr == nil && len(c.fdQueue) == 0 {
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
		c.queuedIntoEmpty()
	}
}

// rawWriteSequence ports writeSequence: Write for each slice, in order (with
// WriteThrough, one sendmsg(2) for all of them).
func (c *Conn) rawWriteSequence(data [][]byte) {
	if !c.connected || c.writeDisconnected || c.aborting || len(data) == 0 {
		return
	}
	wasEmpty := len(c.wbuf) == c.woff
	skip := 0 // bytes already sent by write-through
	if wasEmpty && c.opts.WriteThrough && c.writeErr == nil && len(c.fdQueue) == 0 {
		total := 0
		for _, d := range data {
			total += len(d)
		}
		if total == 0 {
			return
		}
		n, err := unix.SendmsgBuffers(c.fd, data, nil, nil, unix.MSG_NOSIGNAL) // MSG_NOSIGNAL: EPIPE, not SIGPIPE
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
		c.queuedIntoEmpty()
	}
}

// queuedIntoEmpty registers the writer for bytes queued into an empty
// buffer. Twisted registers it here and sends on the next poll that finds
// the socket writable. A writer still registered (lingering, see DoWrite)
// must not send sooner: bytes written from DataReceived come after this
// pass's poll, which may have found the socket writable already, so they
// are held back for one DoWrite — and an AbortConnection from a
// CallLater(0) drops them, as in Twisted (TestTCP_LingeringWriterSendsWhenTwistedWould_T05).
// Bytes written before the poll (from a timed call) go out on it, as in
// Twisted. The one difference left: bytes written to a lingering
// connection from another connection's callback can leave in the same
// pass, as they do in Twisted when that connection still has bytes queued.
func (c *Conn) queuedIntoEmpty() {
	if c.lingering {
		c.holdWrite = c.inRead
		return
	}
	c.startWriting()
}

// Buffered returns the number of bytes written but not yet handed to the
// kernel (Twisted keeps this in dataBuffer and _tempDataBuffer).
func (c *Conn) Buffered() int { return len(c.wbuf) - c.woff }

func (c *Conn) bufferSize() int {
	if c.opts.BufferSize > 0 {
		return c.opts.BufferSize
	}
	return protocol.DefaultBufferSize
}

// maybePauseProducer ports _maybePauseProducer.
func (c *Conn) maybePauseProducer() {
	if c.producer != nil && c.streaming && (c.Buffered() > c.bufferSize() || len(c.fdQueue) > maxQueuedFDs) {
		c.producerPaused = true
		c.producer.(protocol.PushProducer).PauseProducing()
	}
}

// DoWrite is called by the reactor when the socket is writable. It sends
// what is queued; once the queue is empty it resumes a paused producer, or
// finishes a LoseConnection (ConnectionDone) or a LoseWriteConnection.
func (c *Conn) DoWrite() error {
	if c.connecting {
		return c.doConnect()
	}
	if c.aborting || c.fd < 0 {
		return nil
	}
	if c.writeErr != nil {
		return c.lostBy(c.writeErr)
	}
	if c.holdWrite {
		c.holdWrite = false
		return nil
	}
	sent := false
	if len(c.fdQueue) > 0 {
		n, err := c.sendQueuedFDs()
		c.woff += n
		if err != nil {
			return err
		}
		if len(c.fdQueue) > 0 {
			return nil // the kernel is full: the rest on the next pass
		}
		sent = n > 0
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
		sent = true
	}
	if c.Buffered() > 0 {
		c.compact()
		return nil
	}
	c.resetBuffer()
	if c.mayLinger() {
		// Stay registered for a few passes: on a busy connection the
		// next Write comes soon, and this saves two epoll_ctl(2) calls
		// and a blocking poll per write (BenchmarkTCPEcho64K). What is
		// sent, and when, is unchanged (see queuedIntoEmpty).
		switch {
		case sent:
			c.lingering, c.idlePasses = true, 0
			return nil
		case c.lingering && c.idlePasses < lingerPasses:
			c.idlePasses++
			return nil
		}
	}
	c.lingering, c.idlePasses = false, 0
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

// lingerPasses is how many writable passes with nothing to send a drained
// connection stays registered for writing. In a request and reply over
// one reactor the next write comes two passes after the last one was sent.
const lingerPasses = 3

// mayLinger says whether the writer may stay registered once the buffer has
// drained: only while nothing waits for the drain (a producer to resume, a
// close to finish) and while the connection reads, so that a lingering
// writer never reports a hang-up that Twisted, with no reader and no
// writer registered, would not see.
func (c *Conn) mayLinger() bool {
	return c.reading && !c.readDisconnected && c.producer == nil && !c.disconnecting && !c.writeDisconnecting && !c.opts.WriteThrough
}

// maxKeptBuffer is the largest write buffer kept for reuse once drained, so
// that an idle connection that once wrote a lot does not pin the memory.
const maxKeptBuffer = 128 << 10

func (c *Conn) resetBuffer() {
	if cap(c.wbuf) > maxKeptBuffer {
		c.wbuf = nil
	} else {
		c.wbuf = c.wbuf[:0]
	}
	c.woff = 0
}

// compact moves the unsent tail to the front once the sent head is the
// larger part, so the buffer does not grow while the peer keeps up.
func (c *Conn) compact() {
	if c.woff > len(c.wbuf)/2 {
		n := copy(c.wbuf, c.wbuf[c.woff:])
		c.wbuf = c.wbuf[:n]
		c.woff = 0
	}
}

// closeWriteConnection shuts down the writing side and tells a
// HalfCloseableProtocol. A panic there drops the connection, as in Twisted.
func (c *Conn) closeWriteConnection() {
	_ = unix.Shutdown(c.fd, unix.SHUT_WR)
	if hc, ok := c.proto.(protocol.HalfCloseableProtocol); ok {
		if f := c.protect(hc.WriteConnectionLost, "writeConnectionLost"); f != nil {
			c.ConnectionLost(f)
		}
	}
}

// rawRegisterProducer ports registerProducer (see Consumer). On a connection
// that has already ended, the producer is stopped at once.
func (c *Conn) rawRegisterProducer(p protocol.Producer, streaming bool) error {
	if c.producer != nil {
		return protocol.ErrProducerRegistered
	}
	if streaming {
		if _, ok := p.(protocol.PushProducer); !ok {
			return protocol.ErrNotPushProducer
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

// rawUnregisterProducer ports unregisterProducer. If LoseConnection (or, in
// braid, LoseWriteConnection) is waiting, it goes ahead.
func (c *Conn) rawUnregisterProducer() {
	c.producer = nil
	if c.connected && (c.disconnecting || c.writeDisconnecting && !c.writeDisconnected) {
		c.startWriting()
	}
}

// PauseProducing ports pauseProducing: stop reading from the socket, so
// the peer is slowed down by TCP's own flow control.
func (c *Conn) PauseProducing() {
	if c.fd >= 0 && !c.connecting {
		c.stopReading()
	}
}

// ResumeProducing ports resumeProducing: read again, unless the connection
// is closing or its read side has ended.
func (c *Conn) ResumeProducing() {
	if c.connected && !c.disconnecting && !c.readDisconnected && !c.aborting {
		c.startReading()
	}
}

// StopProducing ports stopProducing: LoseConnection.
func (c *Conn) StopProducing() { c.LoseConnection() }

// GetTCPNoDelay ports getTcpNoDelay: whether Nagle's algorithm is off.
func (c *Conn) GetTCPNoDelay() (bool, error) {
	return c.getBool(unix.IPPROTO_TCP, unix.TCP_NODELAY, "TCP_NODELAY")
}

// SetTCPNoDelay ports setTcpNoDelay: true turns Nagle's algorithm off.
func (c *Conn) SetTCPNoDelay(enabled bool) error {
	return c.setBool(unix.IPPROTO_TCP, unix.TCP_NODELAY, enabled, "TCP_NODELAY")
}

// GetTCPKeepAlive ports getTcpKeepAlive.
func (c *Conn) GetTCPKeepAlive() (bool, error) {
	return c.getBool(unix.SOL_SOCKET, unix.SO_KEEPALIVE, "SO_KEEPALIVE")
}

// SetTCPKeepAlive ports setTcpKeepAlive: true enables keep-alive probes.
func (c *Conn) SetTCPKeepAlive(enabled bool) error {
	return c.setBool(unix.SOL_SOCKET, unix.SO_KEEPALIVE, enabled, "SO_KEEPALIVE")
}

func (c *Conn) getBool(level, opt int, name string) (bool, error) {
	if c.fd < 0 {
		return false, &net.OpError{Op: "getsockopt " + name, Net: "tcp", Addr: c.GetPeer(), Err: reactor.ErrConnectionClosed}
	}
	v, err := unix.GetsockoptInt(c.fd, level, opt)
	if err != nil {
		return false, &net.OpError{Op: "getsockopt " + name, Net: "tcp", Addr: c.GetPeer(), Err: err}
	}
	return v != 0, nil
}

func (c *Conn) setBool(level, opt int, enabled bool, name string) error {
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
