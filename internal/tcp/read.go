//go:build unix

package tcp

import (
	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/reactor"
)

// The reading half of Conn. Where the memory each read lands in comes
// from is slab.go's job.

// DoRead is called by the reactor when the socket is readable. It reads
// once (up to BufferSize bytes) and hands the bytes to DataReceived; EOF
// ends the connection cleanly (or only its read side, for a
// HalfCloseableProtocol), an error ends it with ErrConnectionLost wrapping
// the errno (T-06).
func (c *Conn) DoRead() error {
	if c.connecting {
		return c.doConnect()
	}
	if c.aborting || c.fd < 0 {
		return nil
	}
	window := min(c.bufferSize(), maxReadSize)
	s := getSlab()
	if len(s.buf)-s.off < window {
		s.buf, s.off = make([]byte, slabSize), 0
	}
	var n int
	var err error
	for {
		n, err = c.readSome(s.buf[s.off : s.off+window])
		if err != unix.EINTR {
			break
		}
	}
	if err != nil || n == 0 {
		putSlab(s)
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
	case c.opts.ReuseReadBuffer:
		// The protocol promised not to keep it: the same memory serves
		// the next read. Hold the slab until DataReceived returns.
		c.deliver(data)
		putSlab(s)
		return nil
	case n >= slabMinRead:
		s.off += n
	default:
		data = append([]byte(nil), data...)
	}
	putSlab(s)
	c.deliver(data)
	return nil
}

// readSome reads once: read(2), or for a UNIX socket recvmsg(2), whose
// descriptors go to the protocol before the bytes they came with.
func (c *Conn) readSome(b []byte) (int, error) {
	if c.unixSock {
		return c.recvWithRights(b)
	}
	return unix.Read(c.fd, b)
}

// deliver hands data to the protocol.
func (c *Conn) deliver(data []byte) { c.proto.DataReceived(data) }
