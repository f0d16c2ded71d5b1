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

// rawWrite ports write: data is copied and queued, and sent after the next
// poll, as Twisted sends it (T-05; see WriteThrough and queuedIntoEmpty).
// It never blocks and never fails; a broken connection is reported through
// ConnectionLost. Writes after the connection has ended, after
// LoseWriteConnection completed or after AbortConnection are dropped
// (Twisted keeps the last kind in a buffer that is never sent).
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
		c.kernelFull = true
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
		c.kernelFull = true
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

// queuedIntoEmpty adds the writer for bytes queued into an empty buffer,
// as Twisted does; DoWrite sends them after the next poll. While the
// kernel buffer has room the reactor does that without registering the
// socket for writability (WritablePresumed), so a write costs no
// epoll_ctl(2) and a drained writer no ready event; the timing is
// Twisted's either way: bytes written from DataReceived go out in the
// next pass, after its timed calls, so an AbortConnection from a
// CallLater(0) drops them (TestTCP_QueuedWriteSentWhenTwistedWould_T05).
func (c *Conn) queuedIntoEmpty() { c.startWriting() }

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
	if len(c.fdQueue) > 0 {
		n, err := c.sendQueuedFDs()
		c.woff += n
		if err != nil {
			return err
		}
		if len(c.fdQueue) > 0 {
			c.kernelFull = true
			return nil // the rest when the kernel has room
		}
	}
	if c.Buffered() > 0 {
		n, err := send(c.fd, c.wbuf[c.woff:])
		if err != nil {
			if isTemporary(err) {
				c.kernelFull = true
				return nil
			}
			return c.lostBy(err)
		}
		c.woff += n
	}
	if c.Buffered() > 0 {
		c.kernelFull = true
		c.compact()
		return nil
	}
	c.kernelFull = false
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
