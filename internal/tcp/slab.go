//go:build unix

package tcp

import "sync"

// Read memory. By default every DataReceived gets memory of its own
// (DESIGN §2: the slice is the receiver's to keep). Reads go straight
// into a slab of memory shared by the connections of the process, and
// each DataReceived gets the part its read filled, capped so that an
// append cannot spill into the next read's bytes. Reads under
// slabMinRead are copied out instead, so a small slice a protocol keeps
// never holds a slab alive; a larger kept slice can, so the memory a
// kept slice pins is at most slabSize/slabMinRead times its length.
//
// What that memory costs is not the copy but the pages and the
// collector: each 64 KiB read is 64 KiB more heap, so a bulk transfer
// starts a collection every few megabytes, and memory the runtime has
// handed back to the OS in between costs a page fault per 4 KiB when it
// is used again (some 11 µs each on the 2-vCPU virtual machine of
// bench/RESULTS.md). ReuseReadBuffer is the way out for a protocol that
// does not keep what it is given. Recycling unreferenced slabs through a
// finalizer was tried and lost: the recycled slabs count as live heap,
// which raises the collector's goal, so each cycle allocated more fresh
// memory than it recycled (5× the page faults, 1.6× slower).
const (
	slabSize    = 1 << 20
	slabMinRead = 16 << 10
	maxReadSize = 256 << 10
)

type readSlab struct {
	buf []byte
	off int
}

// slabCache keeps the slabs being filled between reads: a short list
// under a mutex, a few slabs so that reactors running at once on
// different goroutines each find one. Not a sync.Pool: with one (per P,
// emptied at every collection) a bulk transfer kept landing on memory the
// runtime had just handed back to the OS.
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
