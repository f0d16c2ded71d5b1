package reactor

import "slices"

// clockOrder gives a Clock's calls the order of Twisted's task.Clock among
// calls due at the same time. task.Clock keeps its calls in a list that it
// sorts by due time, stably, when a call is added and before and after each
// call that advance runs; Reset and Delay change a call's time but not its
// place in the list. So ties run in the list's order as of its last sort,
// which is what seq records: renumbering sets it to the rank in the list,
// and a move leaves it alone.
//
// Renumbering is needed only around moves. Until a call moves, the list's
// order is (when, seq) order: a new call comes after the calls due at its
// time and has the largest seq. So the ranks are fixed just before the
// first move after a sort (beforeMove), and again at the next sort
// (sorted), which is when Twisted's list would take the moved calls' new
// times into account; CallLater and Advance on an unmoved Clock cost
// nothing extra.
type clockOrder struct {
	dirty   bool // a call has moved since the list was last sorted
	scratch []*DelayedCall
}

// sorted is called where task.Clock sorts its list.
func (o *clockOrder) sorted(q *timerQueue) {
	if o.dirty {
		o.dirty = false
		o.renumber(q)
	}
}

// beforeMove is called before a call's time changes.
func (o *clockOrder) beforeMove(q *timerQueue) {
	if !o.dirty {
		o.dirty = true
		o.renumber(q)
	}
}

// renumber sets seq to each call's rank in (when, seq) order. It changes
// no call's place relative to another, so the heap and run stay valid.
func (o *clockOrder) renumber(q *timerQueue) {
	all := append(o.scratch[:0], q.heap...)
	for _, c := range q.run[q.head:] {
		if c != nil {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b *DelayedCall) int {
		switch {
		case before(a, b):
			return -1
		case before(b, a):
			return 1
		}
		return 0
	})
	for i, c := range all {
		c.seq = int64(i)
	}
	q.seq = int64(len(all))
	clear(all)
	o.scratch = all[:0]
}
