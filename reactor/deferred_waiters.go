package reactor

import "slices"

// waitList is the first-in, first-out list of unfired Deferreds that
// DeferredLock, DeferredSemaphore and DeferredQueue keep (Twisted's
// waiting list). Lists stay short, so removal by search is enough, as in
// Twisted.
type waitList struct {
	ds []*Deferred
}

func (w *waitList) len() int { return len(w.ds) }

func (w *waitList) push(d *Deferred) { w.ds = append(w.ds, d) }

// pop removes and returns the oldest waiter; the list must not be empty.
func (w *waitList) pop() *Deferred {
	d := w.ds[0]
	w.ds[0] = nil // let the fired Deferred go
	w.ds = w.ds[1:]
	if len(w.ds) == 0 {
		w.ds = nil // start again at the front of a new array
	}
	return d
}

// remove takes d out of the list: its acquire or get was cancelled (a
// canceller runs only on an unfired Deferred, so d is still listed).
func (w *waitList) remove(d *Deferred) {
	for i, x := range w.ds {
		if x == d {
			w.ds = slices.Delete(w.ds, i, i+1) // it clears the vacated slot
			return
		}
	}
}
