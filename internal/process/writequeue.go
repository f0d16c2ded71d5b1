//go:build unix

package process

import (
	"slices"

	"golang.org/x/sys/unix"
)

// writeQueue is what a pipe the parent writes still has to send: a list of
// chunks rather than one growing slice, so that a Write costs one copy of
// its own data, whatever is queued already (appending 256 MiB to a 256 MiB
// slice would reallocate and copy both). Small writes share a chunk, so a
// burst of them still goes out in few system calls.
type writeQueue struct {
	chunks [][]byte // chunks[0][off:] is the next byte to send
	off    int
	size   int // bytes still to send
}

// chunkShare is the largest chunk that later small writes are appended to.
const chunkShare = 64 << 10

// iovMax bounds the chunks one writev(2) takes (Linux's UIO_MAXIOV is 1024).
const iovMax = 1024

// push queues a copy of data.
func (q *writeQueue) push(data []byte) {
	q.size += len(data)
	if n := len(q.chunks); n > 0 {
		last := q.chunks[n-1]
		if len(last)+len(data) <= chunkShare {
			q.chunks[n-1] = append(last, data...)
			return
		}
	}
	q.chunks = append(q.chunks, slices.Clone(data))
}

// empty reports whether nothing is queued.
func (q *writeQueue) empty() bool { return q.size == 0 }

// writeTo sends what fd accepts, with writev(2), and drops what was sent.
// It returns the first error, EINTR retried; EAGAIN is returned as is.
func (q *writeQueue) writeTo(fd int) error {
	for q.size > 0 {
		iovs := q.chunks[:min(len(q.chunks), iovMax)]
		first := iovs[0]
		iovs[0] = first[q.off:]
		n, err := procWritev(fd, iovs)
		iovs[0] = first
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		q.consume(n)
	}
	return nil
}

// consume drops the first n queued bytes, releasing the chunks sent.
func (q *writeQueue) consume(n int) {
	q.size -= n
	for n > 0 {
		left := len(q.chunks[0]) - q.off
		if n < left {
			q.off += n
			return
		}
		n -= left
		q.chunks[0] = nil
		q.chunks = q.chunks[1:]
		q.off = 0
	}
	if len(q.chunks) == 0 {
		q.chunks = nil
	}
}

// reset drops everything queued.
func (q *writeQueue) reset() { *q = writeQueue{} }
