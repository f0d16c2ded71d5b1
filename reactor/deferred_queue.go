package reactor

// ErrQueueOverflow ports defer.QueueOverflow: [DeferredQueue.Put] on a
// queue holding as many values as its size allows, with no Get waiting.
var ErrQueueOverflow = kind("DeferredQueue is full", nil)

// ErrQueueUnderflow ports defer.QueueUnderflow: [DeferredQueue.Get] on an
// empty queue that already has as many Gets waiting as its backlog allows.
var ErrQueueUnderflow = kind("DeferredQueue has too many waiting Gets", nil)

// DeferredQueue ports defer.DeferredQueue: a first-in, first-out queue
// whose Get returns a Deferred, fired once a value is there. The zero value
// is an empty queue without limits, as DeferredQueue() is; make a bounded
// one with [NewDeferredQueue]. Like a Deferred, it belongs to the reactor
// goroutine.
type DeferredQueue struct {
	waiting waitList
	pending []any

	size, backlog       int
	sizeSet, backlogSet bool
}

// QueueOption sets a limit of a [DeferredQueue] made by [NewDeferredQueue].
type QueueOption func(*DeferredQueue)

// QueueSize ports DeferredQueue's size: at most n values wait in the queue;
// a Put beyond fails with [ErrQueueOverflow]. Without it there is no limit.
// QueueSize(0) makes a queue that only hands values to waiting Gets; a
// negative n acts as 0, as Twisted's comparison does.
func QueueSize(n int) QueueOption {
	return func(q *DeferredQueue) { q.size, q.sizeSet = n, true }
}

// QueueBacklog ports DeferredQueue's backlog: at most n Gets wait on an
// empty queue; one more fails with [ErrQueueUnderflow]. Without it there is
// no limit. A negative n acts as 0.
func QueueBacklog(n int) QueueOption {
	return func(q *DeferredQueue) { q.backlog, q.backlogSet = n, true }
}

// NewDeferredQueue ports DeferredQueue(size, backlog): an empty queue with
// the limits given, none by default.
func NewDeferredQueue(opts ...QueueOption) *DeferredQueue {
	q := &DeferredQueue{}
	for _, o := range opts {
		o(q)
	}
	return q
}

// Put ports put: v goes to the oldest waiting Get, whose Deferred fires
// with it before Put returns, or, when none waits, joins the queue. A queue
// at its size returns [ErrQueueOverflow] and keeps nothing.
func (q *DeferredQueue) Put(v any) error {
	switch {
	case q.waiting.len() > 0:
		_ = q.waiting.pop().Callback(v)
	case !q.sizeSet || len(q.pending) < q.size:
		q.pending = append(q.pending, v)
	default:
		return ErrQueueOverflow
	}
	return nil
}

// Get ports get: a Deferred fired with the oldest value in the queue,
// already fired when there is one, else fired by a later Put. Cancelling
// a Get still waiting takes it out of the line and fails it with
// [ErrCancelled], so the next value goes to the next Get. An empty queue
// with its backlog of Gets already waiting returns [ErrQueueUnderflow] and
// no Deferred, as Twisted raises.
func (q *DeferredQueue) Get() (*Deferred, error) {
	switch {
	case len(q.pending) > 0:
		v := q.pending[0]
		q.pending[0] = nil
		q.pending = q.pending[1:]
		return Succeed(v), nil
	case !q.backlogSet || q.waiting.len() < q.backlog:
		d := NewDeferred(q.cancelGet)
		q.waiting.push(d)
		return d, nil
	}
	return nil, ErrQueueUnderflow
}

func (q *DeferredQueue) cancelGet(d *Deferred) { q.waiting.remove(d) }

// Pending returns how many values wait in the queue for a Get (the length
// of Twisted's pending list).
func (q *DeferredQueue) Pending() int { return len(q.pending) }

// Waiting returns how many Gets wait for a value (the length of Twisted's
// waiting list).
func (q *DeferredQueue) Waiting() int { return q.waiting.len() }
