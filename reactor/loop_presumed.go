package reactor

import "github.com/braid-go/braid/internal/writeready"

// Presumed writers. Twisted registers a writer with its poller and calls
// doWrite when a poll reports the descriptor writable; for a socket with
// room in its kernel buffer that is the very next poll. A writer that says
// it has room (writeready.Presumable) is therefore not registered: it goes
// on r.presumed, the next poll does not block, and that pass calls its
// DoWrite after the poll, at the point where Twisted would have — together
// with DoRead when the poll reports the descriptor readable too. Only a
// writer that DoWrite leaves registered (its kernel buffer filled up) is
// then registered to wait for room.
//
// "The point where Twisted would have" is a place in epoll's ready list,
// which Twisted's poll returns in order. A level-triggered descriptor a
// poll reports goes back on the list as that poll returns, so the next
// poll reports it first, whatever happened since; a descriptor that
// becomes ready later joins the list then, and a writer registered on a
// socket with room joins it at once. So a pass dispatches the descriptors
// the previous poll reported too (in the kernel's order), then the
// presumed writers (in the order they were added), then the descriptors
// that became ready since. The first group keeps the order of the pass
// before, which is the kernel's: its presumed writers that this poll does
// not report (they are not readable now) take their places in it too. The one place this can differ from Twisted is
// within that last group: a descriptor made ready by another process
// between the previous poll and the writer's Write comes after the writer
// here and before it in Twisted, a race no test can pin.
//
// A writer added from DataReceived is added after the pass's poll, so its
// DoWrite comes in the next pass, after that pass's timed calls: the order
// Twisted gives (an AbortConnection from CallLater(0) drops those bytes).

// presumedWritable asks wr whether it may skip registering for writability.
func presumedWritable(wr WriteDescriptor) bool {
	p, ok := wr.(writeready.Presumable)
	return ok && p.WritablePresumed()
}

// queuePresumed puts e on the list for the next poll, once.
func (r *Reactor) queuePresumed(e *fdEntry) {
	if !e.queued {
		e.queued = true
		r.presumed = append(r.presumed, e)
	}
}

// takePresumed hands this pass the writers queued before its poll and
// starts a fresh list for the ones its callbacks add.
func (r *Reactor) takePresumed() []*fdEntry {
	due := r.presumed
	r.presumed = r.presumedSpare[:0]
	for _, e := range due {
		e.queued = false
		e.due = e.presumed // RemoveWriter since: nothing to do
	}
	return due
}

// dispatchPresumed calls DoWrite for the due writers not dispatched yet
// in this pass, with DoRead first for those the poll reported readable,
// then registers with the poller every one that DoWrite left waiting for
// room. It reports whether any dispatch ran.
func (r *Reactor) dispatchPresumed(due []*fdEntry) (dispatched bool) {
	for _, e := range due {
		if e.due && r.fds[e.fd] == e && e.writer != nil {
			r.dispatchPolled(e)
			dispatched = true
		}
	}
	for i, e := range due {
		e.due = false
		if r.fds[e.fd] == e && e.writer != nil && e.presumed && !e.queued {
			e.presumed = false
			r.update(e)
		}
		due[i] = nil
	}
	r.presumedSpare = due[:0]
	return dispatched
}
