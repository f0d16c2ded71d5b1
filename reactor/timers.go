package reactor

import (
	"math"
	"time"
)

// callPlace says where in its timerQueue a [DelayedCall] is.
type callPlace uint8

const (
	placeNone    callPlace = iota // not queued: it ran or was cancelled
	placePending                  // in pendingAdds until the next pass
	placeHeap                     // in heap, at index
	placeRun                      // in run, at index
)

// timerQueue holds the pending DelayedCalls of a Reactor or a Clock and
// hands them out earliest first: by due time, then by seq. On a
// Reactor seq is the scheduling order (FIFO ties, where Twisted's heap
// leaves them unordered); on a Clock it follows Twisted's task.Clock (see
// clockOrder).
//
// Most calls arrive in that order already (every CallLater(0) of a pass, a
// stream of equal timeouts), so a call due no earlier than the last one in
// run is appended to run, a queue kept in order, where adding and taking
// the first are O(1). Any other call goes to heap, a binary min-heap. The
// earliest call is the earlier of run's first and heap's top. Each call
// keeps its index in the one it is in, so Cancel, Reset and Delay find it
// at once; a call cancelled in the middle of run leaves a nil hole there,
// squeezed out when run next needs room.
//
// Calls scheduled while the owner runs due calls wait in pendingAdds until
// the next pass; the fake Clock inserts at once instead (TR-11).
type timerQueue struct {
	heap []*DelayedCall
	// run[head:] holds calls in due order, with holes (nil) where calls
	// were cancelled; run[head] and the last entry are never holes.
	run   []*DelayedCall
	head  int
	holes int

	pendingAdds []*DelayedCall
	deferAdds   bool        // owner is running due calls: new ones wait (Reactor only)
	callSites   *bool       // record where each call was scheduled; never nil once in use
	seq         int64       // the last seq given
	clock       *clockOrder // a Clock's: Twisted's list order; nil on a Reactor
	now         func() int64
	seconds     func(int64) float64
}

func (q *timerQueue) schedule(delay time.Duration, f func(), site *[3]uintptr) *DelayedCall {
	q.seq++
	c := &DelayedCall{q: q, f: f, when: addDelay(q.now(), delay), seq: q.seq, site: site}
	if q.deferAdds {
		c.place = placePending
		q.pendingAdds = append(q.pendingAdds, c)
	} else {
		q.insert(c)
	}
	if q.clock != nil {
		q.clock.sorted(q)
	}
	return c
}

// addDelay returns now+delay, saturated: a delay too long to represent
// comes never rather than at once.
func addDelay(now int64, delay time.Duration) int64 {
	when := now + int64(delay)
	switch {
	case delay > 0 && when < now:
		return math.MaxInt64
	case delay < 0 && when > now:
		return math.MinInt64
	}
	return when
}

// flushPending moves calls scheduled during the last pass into the queue (R-03 step 2).
func (q *timerQueue) flushPending() {
	for i, c := range q.pendingAdds {
		q.pendingAdds[i] = nil
		if c.place == placePending {
			q.insert(c)
		}
	}
	q.pendingAdds = q.pendingAdds[:0]
}

// before reports whether a is due before b.
func before(a, b *DelayedCall) bool {
	return a.when < b.when || a.when == b.when && a.seq < b.seq
}

// insert queues c: at the end of run if that keeps run in order, otherwise
// in heap.
func (q *timerQueue) insert(c *DelayedCall) {
	if n := len(q.run); n == q.head || before(q.run[n-1], c) {
		if n == cap(q.run) && q.head+q.holes > 0 && q.head+q.holes >= n/2 {
			q.squeezeRun() // room enough without growing
		}
		c.place, c.index = placeRun, int32(len(q.run))
		q.run = append(q.run, c)
		return
	}
	c.place, c.index = placeHeap, int32(len(q.heap))
	q.heap = append(q.heap, c)
	q.up(len(q.heap) - 1)
}

// first returns the earliest queued call, or nil.
func (q *timerQueue) first() *DelayedCall {
	var c *DelayedCall
	if q.head < len(q.run) {
		c = q.run[q.head]
	}
	if len(q.heap) > 0 && (c == nil || before(q.heap[0], c)) {
		c = q.heap[0]
	}
	return c
}

// popDue removes and returns the earliest call due at or before now, or nil.
func (q *timerQueue) popDue(now int64) *DelayedCall {
	c := q.first()
	if c == nil || c.when > now {
		return nil
	}
	q.remove(c)
	return c
}

// next returns the due time of the earliest queued call.
func (q *timerQueue) next() (int64, bool) {
	if c := q.first(); c != nil {
		return c.when, true
	}
	return 0, false
}

// calls returns the live calls, for GetDelayedCalls.
func (q *timerQueue) calls() []*DelayedCall {
	out := make([]*DelayedCall, 0, len(q.heap)+len(q.run)-q.head-q.holes+len(q.pendingAdds))
	out = append(out, q.heap...)
	for _, c := range q.run[q.head:] {
		if c != nil {
			out = append(out, c)
		}
	}
	for _, c := range q.pendingAdds {
		if c.place == placePending {
			out = append(out, c)
		}
	}
	return out
}

// remove takes c out of the queue.
func (q *timerQueue) remove(c *DelayedCall) {
	switch c.place {
	case placeHeap:
		q.removeAt(int(c.index))
	case placeRun:
		q.removeRun(int(c.index))
	}
	// A pending call is dropped from pendingAdds at the next flush.
	c.place = placeNone
}

// move makes c due at when.
func (q *timerQueue) move(c *DelayedCall, when int64) {
	if q.clock != nil {
		q.clock.beforeMove(q)
	}
	c.when = when
	switch c.place {
	case placeHeap:
		q.fix(int(c.index))
	case placeRun:
		q.removeRun(int(c.index))
		q.insert(c)
	}
	// A pending call is inserted with its new time at the next flush.
}

// removeRun takes the call at run[i] out, keeping run's first and last
// entries live.
func (q *timerQueue) removeRun(i int) {
	q.run[i] = nil
	switch {
	case i == q.head:
		for q.head++; q.head < len(q.run) && q.run[q.head] == nil; q.head++ {
			q.holes--
		}
	case i == len(q.run)-1:
		for q.run = q.run[:i]; q.run[len(q.run)-1] == nil; q.run = q.run[:len(q.run)-1] {
			q.holes--
		}
	default:
		q.holes++
	}
	if q.head == len(q.run) {
		q.run = q.run[:0]
		q.head = 0
	}
}

// squeezeRun moves run's live calls to its start, dropping the holes.
func (q *timerQueue) squeezeRun() {
	n := 0
	for _, c := range q.run[q.head:] {
		if c != nil {
			c.index = int32(n)
			q.run[n] = c
			n++
		}
	}
	clear(q.run[n:])
	q.run = q.run[:n]
	q.head, q.holes = 0, 0
}

// The heap, as container/heap would keep it, with each call's index.

func (q *timerQueue) less(i, j int) bool { return before(q.heap[i], q.heap[j]) }

func (q *timerQueue) swap(i, j int) {
	h := q.heap
	h[i], h[j] = h[j], h[i]
	h[i].index = int32(i)
	h[j].index = int32(j)
}

func (q *timerQueue) removeAt(i int) {
	n := len(q.heap) - 1
	if i != n {
		q.swap(i, n)
	}
	q.heap[n] = nil
	q.heap = q.heap[:n]
	if i != n {
		q.fix(i)
	}
}

func (q *timerQueue) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

func (q *timerQueue) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !q.less(j, i) {
			break
		}
		q.swap(i, j)
		j = i
	}
}

func (q *timerQueue) down(i0 int) bool {
	i, n := i0, len(q.heap)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && q.less(r, l) {
			j = r
		}
		if !q.less(j, i) {
			break
		}
		q.swap(i, j)
		i = j
	}
	return i > i0
}
