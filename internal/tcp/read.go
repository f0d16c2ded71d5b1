//go:build unix

package tcp

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/reactor"
)

// The reading half of Conn.
//
// By default every DataReceived gets memory of its own (DESIGN §2: the
// slice is the receiver's to keep). Reads go straight into a slab of
// memory shared by the connections of the process and each DataReceived
// gets the part its read filled, so a bulk transfer allocates one slab per
// sixteen 64 KiB reads instead of a buffer per read, and never copies.
// Reads under slabMinRead are copied out instead, so a small slice a
// protocol keeps never holds a slab alive; a larger kept slice can, so the
// memory a kept slice pins is at most slabSize/slabMinRead times its
// length.
//
// What that memory costs is not the copy but the collector: each 64 KiB
// read is 64 KiB more heap, so in a process with a small heap a bulk
// transfer starts a collection every few megabytes, and each one stalls
// the reactor goroutine for about a millisecond on a 2-vCPU machine
// (bench/RESULTS.md has the measurements). ReuseReadBuffer is the way out
// for a protocol that does not keep what it is given.
const (
	slabSize    = 1 << 20
	slabMinRead = 16 << 10
	maxReadSize = 256 << 10
)

type readSlab struct {
	buf []byte
	off int
}

// slabCache keeps the slabs between reads: a short list under a mutex, a
// few slabs so that reactors running at once on different goroutines each
// find one. Not a sync.Pool: with one (per P, emptied at every collection)
// a bulk transfer allocated the same bytes but kept landing on memory the
// runtime had just handed back to the OS — 1.3 to 2.5 page faults per
// 64 KiB round trip instead of 0.05 to 0.8, at some 14 µs each on the
// 2-vCPU virtual machine of bench/RESULTS.md — and
// BenchmarkTCPEcho64K/default went from 130 µs to 80 µs without it.
var slabCache struct {
	mu    sync.Mutex
	slabs []*readSlab
}

const slabCacheMax = 4

func getSlab() *readSlab {
	slabCache.mu.Lock()
	var s *readSlab
	if n := len(slabCache.slabs); n > 0 {
		s = slabCache.slabs[n-1]
		slabCache.slabs[n-1] = nil
		slabCache.slabs = slabCache.slabs[:n-1]
	}
	slabCache.mu.Unlock()
	if s == nil {
		s = new(readSlab)
	}
	return s
}

func putSlab(s *readSlab) {
	slabCache.mu.Lock()
	if len(slabCache.slabs) < slabCacheMax {
		slabCache.slabs = append(slabCache.slabs, s)
	}
	slabCache.mu.Unlock()
}

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
