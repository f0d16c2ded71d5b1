package reactor

import "slices"

// clockOrder gives a Clock's calls the order of Twisted's task.Clock among
// calls due at the same time. task.Clock keeps its calls in a list that it
// sorts by due time, stably, when a call is added and before and after each
// call that advance runs; Reset and Delay change a call's time but not its
// place in the list. So ties run in the list's order as of its last sort,
// which is what seq records: sort renumbers it, and a move leaves it alone.
type clockOrder struct {
	scratch []*DelayedCall
}

// sort renumbers seq in the queue's current order. It changes no call's
// place relative to another (the order is (when, seq) before and after),
// so the heap and run stay valid; it fixes the order that later moves
// leave in place.
func (o *clockOrder) sort(q *timerQueue) {
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
