package reactor

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"
)

// Scheduler is what code needs that only schedules work in time: both
// *Reactor and *Clock satisfy it, so AddTimeout, DeferLater and LoopingCall
// run against a real reactor in production and a fake Clock in tests
// (Twisted's IReactorTime).
type Scheduler interface {
	// CallLater runs f once, delay from now.
	CallLater(delay time.Duration, f func()) *DelayedCall
	// Seconds returns the scheduler's current time in seconds.
	Seconds() float64
}

// DelayedCall ports twisted.internet.base.DelayedCall: a call scheduled by
// CallLater, which can be cancelled, moved and inspected until it runs.
type DelayedCall struct {
	q       *timerQueue
	f       func()
	when    int64 // due time, in the queue's nanoseconds
	seq     uint64
	index   int // position in the heap; -1 when not in it
	pending bool

	called    bool
	cancelled bool
	site      [3]uintptr // where CallLater was called (and its callers), for String
}

// Cancel ports cancel: it stops a pending call. It returns
// ErrAlreadyCancelled if the call was cancelled before and ErrAlreadyCalled
// if it has run or is running.
func (c *DelayedCall) Cancel() error {
	if err := c.checkPending(); err != nil {
		return err
	}
	c.cancelled = true
	c.q.remove(c)
	c.f = nil
	return nil
}

// Reset ports reset: the call becomes due delay from now. Errors as
// Cancel.
func (c *DelayedCall) Reset(delay time.Duration) error {
	if err := c.checkPending(); err != nil {
		return err
	}
	c.q.move(c, c.q.now()+int64(delay))
	return nil
}

// Delay ports delay: the call becomes due delay later than it was.
// Errors as Cancel.
func (c *DelayedCall) Delay(delay time.Duration) error {
	if err := c.checkPending(); err != nil {
		return err
	}
	c.q.move(c, c.when+int64(delay))
	return nil
}

func (c *DelayedCall) checkPending() error {
	switch {
	case c.cancelled:
		return ErrAlreadyCancelled
	case c.called:
		return ErrAlreadyCalled
	}
	return nil
}

// Active ports active: true until the call runs or is cancelled. It is
// false while the call's own function runs.
func (c *DelayedCall) Active() bool { return !c.called && !c.cancelled }

// Called reports whether the call has run (or is running).
func (c *DelayedCall) Called() bool { return c.called }

// Cancelled reports whether the call was cancelled.
func (c *DelayedCall) Cancelled() bool { return c.cancelled }

// GetTime ports getTime: when the call is due, in the scheduler's seconds.
func (c *DelayedCall) GetTime() float64 { return c.q.seconds(c.when) }

// String ports repr(DelayedCall): time left, state, and the function with
// the place that scheduled it — what trial's dirty-reactor report prints.
func (c *DelayedCall) String() string {
	left := float64(c.when-c.q.now()) / 1e9
	fn := "<nil>"
	if c.f != nil {
		fn = funcName(c.f)
	}
	site := ""
	if fr, ok := c.scheduledBy(); ok {
		site = fmt.Sprintf(" scheduled at %s:%d", fr.File, fr.Line)
	}
	return fmt.Sprintf("<DelayedCall %p [%.3fs] called=%d cancelled=%d %s()%s>",
		c, left, b2i(c.called), b2i(c.cancelled), fn, site)
}

// scheduledBy returns the frame that called CallLater or, when that is in
// this package (DeferLater, AddTimeout), the first caller outside it. The
// package's own tests count as outside.
func (c *DelayedCall) scheduledBy() (runtime.Frame, bool) {
	n := 0
	for n < len(c.site) && c.site[n] != 0 {
		n++
	}
	if n == 0 {
		return runtime.Frame{}, false
	}
	frames := runtime.CallersFrames(c.site[:n])
	first, more := frames.Next()
	for fr := first; ; {
		if !strings.HasPrefix(fr.Function, "github.com/braid-go/braid/reactor.") || strings.HasSuffix(fr.File, "_test.go") {
			return fr, true
		}
		if !more {
			return first, true
		}
		fr, more = frames.Next()
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func funcName(f any) string {
	pc := funcPC(f)
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return "?"
	}
	return strings.TrimPrefix(fn.Name(), "github.com/braid-go/braid/")
}

// timerQueue holds DelayedCalls in a min-heap ordered by due time, then by
// scheduling order (FIFO ties, R-05), with each call's heap index kept so
// Cancel, Reset and Delay are O(log n). Calls scheduled while the owner is
// running due calls wait in pendingAdds until the next pass; the fake
// Clock inserts at once instead (TR-11).
type timerQueue struct {
	heap        []*DelayedCall
	pendingAdds []*DelayedCall
	deferAdds   bool // owner is running due calls: new ones wait (Reactor only)
	seq         uint64
	now         func() int64
	seconds     func(int64) float64
}

func (q *timerQueue) schedule(delay time.Duration, f func(), site [3]uintptr) *DelayedCall {
	q.seq++
	c := &DelayedCall{q: q, f: f, when: q.now() + int64(delay), seq: q.seq, index: -1, site: site}
	if q.deferAdds {
		c.pending = true
		q.pendingAdds = append(q.pendingAdds, c)
	} else {
		q.push(c)
	}
	return c
}

// flushPending moves calls scheduled during the last pass into the heap (R-03 step 2).
func (q *timerQueue) flushPending() {
	for i, c := range q.pendingAdds {
		q.pendingAdds[i] = nil
		if c.pending {
			c.pending = false
			q.push(c)
		}
	}
	q.pendingAdds = q.pendingAdds[:0]
}

// popDue removes and returns the earliest call due at or before now, or nil.
func (q *timerQueue) popDue(now int64) *DelayedCall {
	if len(q.heap) == 0 || q.heap[0].when > now {
		return nil
	}
	c := q.heap[0]
	q.removeAt(0)
	return c
}

// next returns the due time of the earliest call in the heap.
func (q *timerQueue) next() (int64, bool) {
	if len(q.heap) == 0 {
		return 0, false
	}
	return q.heap[0].when, true
}

func (q *timerQueue) len() int { return len(q.heap) + len(q.pendingAdds) }

// calls returns the live calls, for GetDelayedCalls.
func (q *timerQueue) calls() []*DelayedCall {
	out := make([]*DelayedCall, 0, q.len())
	out = append(out, q.heap...)
	for _, c := range q.pendingAdds {
		if c.pending {
			out = append(out, c)
		}
	}
	return out
}

func (q *timerQueue) remove(c *DelayedCall) {
	if c.pending {
		c.pending = false // dropped from pendingAdds at the next flush
		return
	}
	if c.index >= 0 {
		q.removeAt(c.index)
	}
}

func (q *timerQueue) move(c *DelayedCall, when int64) {
	c.when = when
	if c.index >= 0 {
		q.fix(c.index)
	}
}

// run marks c called and runs it (R-07: called is set before f runs).
func (c *DelayedCall) run() {
	c.called = true
	f := c.f
	c.f = nil
	if f != nil {
		f()
	}
}

func (q *timerQueue) less(i, j int) bool {
	a, b := q.heap[i], q.heap[j]
	if a.when != b.when {
		return a.when < b.when
	}
	return a.seq < b.seq
}

func (q *timerQueue) swap(i, j int) {
	h := q.heap
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (q *timerQueue) push(c *DelayedCall) {
	c.index = len(q.heap)
	q.heap = append(q.heap, c)
	q.up(c.index)
}

func (q *timerQueue) removeAt(i int) {
	n := len(q.heap) - 1
	c := q.heap[i]
	if i != n {
		q.swap(i, n)
	}
	q.heap[n] = nil
	q.heap = q.heap[:n]
	c.index = -1
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

func funcPC(f any) uintptr { return reflect.ValueOf(f).Pointer() }

// callSite returns the program counters of the user code that called
// CallLater and of its two callers (the caller's caller's caller onward).
func callSite() (pcs [3]uintptr) {
	runtime.Callers(3, pcs[:])
	return pcs
}
