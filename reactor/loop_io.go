package reactor

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Selectable is a file descriptor the reactor watches (Twisted's
// IFileDescriptor). Fileno returns the descriptor, or -1 once closed.
// ConnectionLost is called once the reactor drops the descriptor because a
// handler reported an error, the peer hung up, or the reactor shut down.
type Selectable interface {
	Fileno() int
	ConnectionLost(reason *Failure)
}

// ReadDescriptor ports IReadDescriptor: DoRead is called when Fileno is
// readable. Returning a non-nil error ([ErrConnectionDone] for an orderly end)
// makes the reactor remove the descriptor and call ConnectionLost with it.
type ReadDescriptor interface {
	Selectable
	DoRead() error
}

// WriteDescriptor ports IWriteDescriptor: DoWrite is called when Fileno is
// writable; its error is handled as DoRead's.
type WriteDescriptor interface {
	Selectable
	DoWrite() error
}

// HalfCloseableDescriptor ports IHalfCloseableDescriptor: a descriptor that
// implements it gets ReadConnectionLost, instead of ConnectionLost, when its
// read side ends cleanly, and stays registered for writing.
type HalfCloseableDescriptor interface {
	ReadConnectionLost(reason *Failure)
}

// fdEntry is one registered descriptor number.
type fdEntry struct {
	fd     int
	gen    uint32
	reader ReadDescriptor
	writer WriteDescriptor
	kmask  uint32 // the events the poller has for fd
	// presumed: the writer is presumed writable (loop_presumed.go) and is
	// not registered with the poller for writing.
	presumed bool
	queued   bool // on r.presumed, for DoWrite after the next poll
	due      bool // on the list this pass's dispatch works through
	// polled holds this pass's reported events until they are dispatched.
	// lastPoll and polledOrder say in which poll the descriptor was last
	// reported (or its presumed writer called) and where in that pass's
	// order: its place in epoll's ready list at the next poll.
	polled      uint32
	polledOrder uint32
	lastPoll    uint64
}

// mask is the set of events the poller should have for the descriptor.
func (e *fdEntry) mask() uint32 {
	var m uint32
	if e.reader != nil {
		m |= pollIn
	}
	if e.writer != nil && !e.presumed {
		m |= pollOut
	}
	return m
}

// empty reports whether neither a reader nor a writer is left.
func (e *fdEntry) empty() bool { return e.reader == nil && e.writer == nil }

// AddReader ports addReader: r.DoRead runs whenever its descriptor is
// readable, until RemoveReader. Adding a reader that is already registered
// does nothing. It returns the kernel's error for a descriptor epoll refuses
// (closed, or a regular file), and [ErrDescriptorInUse] when another reader
// whose Fileno is the same number is registered.
//
// A registered descriptor whose Fileno no longer returns the number it was
// registered under (its fd was closed without RemoveReader, and the number
// may have been reused) is stale: adding a new one on that number drops it
// and tells it ConnectionLost([ErrConnectionFdescWentAway]). Twisted would
// silently ignore the new one, which then never hears of its events.
func (r *Reactor) AddReader(rd ReadDescriptor) error {
	if rd == nil {
		return errNilDescriptor
	}
	return r.add(rd.Fileno(), rd, nil)
}

// AddWriter ports addWriter: w.DoWrite runs whenever its descriptor is
// writable, until RemoveWriter. Errors and stale descriptors as AddReader.
func (r *Reactor) AddWriter(wr WriteDescriptor) error {
	if wr == nil {
		return errNilDescriptor
	}
	return r.add(wr.Fileno(), nil, wr)
}

var errNilDescriptor = fmt.Errorf("reactor: cannot watch a nil descriptor: %w", ErrConnectionFdescWentAway)

func (r *Reactor) add(fd int, rd ReadDescriptor, wr WriteDescriptor) error {
	if fd < 0 {
		return fmt.Errorf("reactor: cannot watch descriptor %d: %w", fd, ErrConnectionFdescWentAway)
	}
	if err := r.ensurePoller(); err != nil {
		return err
	}
	e, known := r.fds[fd]
	var stale []Selectable
	if known {
		var err error
		if stale, err = e.dropStale(rd, wr); err != nil {
			return err
		}
		if e.empty() {
			delete(r.fds, fd) // only stale occupants: start afresh
			known = false
		}
	}
	if !known {
		r.gen++
		e = &fdEntry{fd: fd, gen: r.gen}
	}
	prevR, prevW, prevPresumed := e.reader, e.writer, e.presumed
	if rd != nil {
		e.reader = rd
	}
	if wr != nil {
		if e.writer == nil {
			e.presumed = presumedWritable(wr)
		}
		e.writer = wr
	}
	if m := e.mask(); m != e.kmask || stale != nil {
		// A stale occupant means the number was closed and reused: the
		// kernel has forgotten it, so it is registered afresh (kqueue,
		// unlike epoll, would not tell a modification of a forgotten
		// descriptor from one of a live one).
		if err := r.poller.register(fd, m, e.gen, e.kmask != 0 && stale == nil); err != nil {
			e.reader, e.writer, e.presumed = prevR, prevW, prevPresumed
			r.tellStale(stale)
			return fmt.Errorf("reactor: watch descriptor %d: %w", fd, err)
		}
		e.kmask = m
	}
	r.fds[fd] = e
	if e.presumed {
		r.queuePresumed(e)
	}
	r.tellStale(stale)
	return nil
}

// dropStale removes from e the occupants other than rd and wr whose Fileno
// no longer names e's descriptor, and returns them. A different occupant
// that still claims the descriptor, in the role rd or wr would take, is an
// error, and then e is left as it was.
func (e *fdEntry) dropStale(rd ReadDescriptor, wr WriteDescriptor) ([]Selectable, error) {
	other := func(old Selectable) bool { return old != nil && old != Selectable(rd) && old != Selectable(wr) }
	var oldR, oldW Selectable
	if e.reader != nil {
		oldR = e.reader
	}
	if e.writer != nil {
		oldW = e.writer
	}
	staleR := other(oldR) && oldR.Fileno() != e.fd
	staleW := other(oldW) && oldW.Fileno() != e.fd
	switch {
	case rd != nil && other(oldR) && !staleR:
		return nil, fmt.Errorf("reactor: descriptor %d already has a reader: %w", e.fd, ErrDescriptorInUse)
	case wr != nil && other(oldW) && !staleW:
		return nil, fmt.Errorf("reactor: descriptor %d already has a writer: %w", e.fd, ErrDescriptorInUse)
	}
	var stale []Selectable
	if staleR {
		e.reader = nil
		stale = append(stale, oldR)
	}
	if staleW {
		e.writer = nil
		if oldW != oldR {
			stale = append(stale, oldW)
		}
	}
	return stale, nil
}

func (r *Reactor) tellStale(stale []Selectable) {
	for _, s := range stale {
		r.protect(func() { s.ConnectionLost(failureWithoutStack(ErrConnectionFdescWentAway)) }, "connectionLost")
	}
}

// RemoveReader ports removeReader; removing one that is not registered does
// nothing. A descriptor whose Fileno is already -1 is found by identity.
func (r *Reactor) RemoveReader(rd ReadDescriptor) {
	if rd == nil {
		return
	}
	if e := r.lookup(rd.Fileno(), rd); e != nil && e.reader == rd {
		e.reader = nil
		r.update(e)
	}
}

// RemoveWriter ports removeWriter; removing one that is not registered does nothing.
func (r *Reactor) RemoveWriter(wr WriteDescriptor) {
	if wr == nil {
		return
	}
	if e := r.lookup(wr.Fileno(), wr); e != nil && e.writer == wr {
		e.writer, e.presumed, e.due = nil, false, false
		r.update(e)
	}
}

func (r *Reactor) lookup(fd int, s Selectable) *fdEntry {
	if fd >= 0 {
		return r.fds[fd]
	}
	for _, e := range r.fds {
		if Selectable(e.reader) == s || Selectable(e.writer) == s {
			return e
		}
	}
	return nil
}

// update brings the poller in line with e after a reader or writer left
// (or a presumed writer turned out not to be writable), and forgets e once
// it is empty. The poller is only called when its events change.
func (r *Reactor) update(e *fdEntry) {
	if e.empty() {
		delete(r.fds, e.fd)
	}
	m := e.mask()
	if m == e.kmask {
		return
	}
	err := r.poller.register(e.fd, m, e.gen, e.kmask != 0)
	switch {
	case err == nil:
		e.kmask = m
	case m == 0:
		e.kmask = 0 // a removal can only fail for a descriptor the kernel dropped already
	default:
		r.LogError(NewFailure(fmt.Errorf("reactor: update descriptor %d: %w", e.fd, err)), "epoll_ctl")
	}
}

// GetReaders ports getReaders: the registered readers, ordered by descriptor.
func (r *Reactor) GetReaders() []ReadDescriptor {
	var out []ReadDescriptor
	for _, e := range r.sortedEntries() {
		if e.reader != nil {
			out = append(out, e.reader)
		}
	}
	return out
}

// GetWriters ports getWriters: the registered writers, ordered by descriptor.
func (r *Reactor) GetWriters() []WriteDescriptor {
	var out []WriteDescriptor
	for _, e := range r.sortedEntries() {
		if e.writer != nil {
			out = append(out, e.writer)
		}
	}
	return out
}

// RemoveAll ports removeAll: every reader and writer is removed, and the
// distinct descriptors are returned (the reactor's own wake-up descriptor is
// never included).
func (r *Reactor) RemoveAll() []Selectable {
	var out []Selectable
	seen := make(map[Selectable]bool)
	for _, e := range r.sortedEntries() {
		for _, s := range []Selectable{e.reader, e.writer} {
			if s != nil && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		e.reader, e.writer, e.presumed, e.due = nil, nil, false, false
		r.update(e)
	}
	return out
}

func (r *Reactor) sortedEntries() []*fdEntry {
	es := make([]*fdEntry, 0, len(r.fds))
	for _, e := range r.fds {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].fd < es[j].fd })
	return es
}

// disconnectAll is the reactor's own 'during shutdown' trigger: every
// descriptor is removed and told ConnectionLost.
func (r *Reactor) disconnectAll() *Deferred {
	for _, s := range r.RemoveAll() {
		r.protect(func() { s.ConnectionLost(NewFailure(ErrConnectionLost)) }, "connectionLost")
	}
	return nil
}

// doIteration polls once (R-03 steps 6 and 7) and dispatches what is ready;
// it reports whether any descriptor (not the wake-up eventfd) was handled.
func (r *Reactor) doIteration(timeout time.Duration) (dispatched bool) {
	if len(r.presumed) > 0 {
		timeout = 0 // their poll would find them writable at once
	}
	if timeout != 0 {
		// Announce the sleep, then look at the thread-call queue once more:
		// a call queued before the announcement is seen here and the poll
		// does not block; one queued after it finds sleeping set and writes
		// the eventfd (CallFromThread).
		r.sleeping.Store(true)
		r.threadMu.Lock()
		queued := len(r.threadCalls) > 0
		r.threadMu.Unlock()
		if queued {
			timeout = 0
		}
	}
	evs, err := r.poller.wait(timeout)
	r.sleeping.Store(false)
	if err != nil {
		r.LogError(NewFailure(fmt.Errorf("reactor: poll: %w", err)), "poll")
		return false
	}
	r.polls, r.polledOrder = r.polls+1, 0
	for _, ev := range evs {
		if e := r.fds[ev.fd]; e != nil && e.gen == ev.gen {
			e.polled = ev.events
		}
	}
	// The order of epoll's ready list (loop_presumed.go): descriptors the
	// last poll reported, then the writers presumed writable, then the
	// descriptors that have become ready since.
	due := r.takePresumed()
	dispatched = r.dispatchLeftovers(evs, due)
	if r.dispatchPresumed(due) {
		dispatched = true
	}
	for _, ev := range evs {
		if e := r.fds[ev.fd]; e != nil && e.gen == ev.gen && e.polled != 0 {
			r.dispatchPolled(e)
			dispatched = true
		}
	}
	return dispatched
}

// dispatchLeftovers dispatches, in the order the previous pass dispatched
// them, the descriptors that pass's poll reported too: those this poll
// reports and the due presumed writers among them.
func (r *Reactor) dispatchLeftovers(evs []readyEvent, due []*fdEntry) (dispatched bool) {
	prev := r.polls - 1 // 0 on the first poll: nothing was reported before it
	left := r.leftovers[:0]
	for _, ev := range evs {
		if e := r.fds[ev.fd]; e != nil && e.gen == ev.gen && prev != 0 && e.lastPoll == prev {
			left = append(left, e)
		}
	}
	for _, e := range due {
		if e.due && e.polled == 0 && prev != 0 && e.lastPoll == prev && r.fds[e.fd] == e {
			left = append(left, e)
		}
	}
	slices.SortFunc(left, func(a, b *fdEntry) int { return cmp.Compare(a.polledOrder, b.polledOrder) })
	for i, e := range left {
		left[i] = nil
		if r.fds[e.fd] == e && (e.polled != 0 || e.due && e.writer != nil) {
			r.dispatchPolled(e)
			dispatched = true
		}
	}
	r.leftovers = left[:0]
	return dispatched
}

// dispatchPolled dispatches e's reported events, with pollOut for a due
// presumed writer, and notes its place in this pass's order.
func (r *Reactor) dispatchPolled(e *fdEntry) {
	events := e.polled
	if e.due && e.writer != nil {
		events |= pollOut // as the poll would have reported it
	}
	e.due, e.polled = false, 0
	e.lastPoll, e.polledOrder = r.polls, r.polledOrder
	r.polledOrder++
	r.dispatch(e, events)
}

// dispatch ports _doReadOrWrite: a hang-up with nothing left to read ends
// the descriptor (cleanly if it was being read); otherwise DoRead, then
// DoWrite if the descriptor is still there and DoRead did not end it.
func (r *Reactor) dispatch(e *fdEntry, events uint32) {
	var why error
	var lost Selectable
	inRead := false
	if events&pollDisconnected != 0 && events&pollIn == 0 {
		if e.reader != nil {
			inRead, why, lost = true, ErrConnectionDone, e.reader
		} else {
			why, lost = ErrConnectionLost, e.writer
		}
	} else {
		lost, inRead, why = r.doReadOrWrite(e, events)
	}
	if why != nil && lost != nil {
		r.disconnectSelectable(lost, why, inRead)
	}
}

func (r *Reactor) doReadOrWrite(e *fdEntry, events uint32) (lost Selectable, inRead bool, why error) {
	defer func() {
		if v := recover(); v != nil {
			f := FailureFromPanic(v)
			r.LogError(f, "I/O handler")
			why = f
		}
	}()
	if rd := e.reader; rd != nil && events&pollIn != 0 {
		lost, inRead = rd, true
		if rd.Fileno() == -1 {
			return rd, true, ErrConnectionFdescWentAway
		}
		if why = rd.DoRead(); why != nil {
			return rd, true, why
		}
	}
	if wr := e.writer; wr != nil && events&pollOut != 0 && r.fds[e.fd] == e {
		lost, inRead = wr, false
		if wr.Fileno() == -1 {
			return wr, false, ErrConnectionFdescWentAway
		}
		why = wr.DoWrite()
	}
	return lost, inRead, why
}

// disconnectSelectable ports _disconnectSelectable: a clean end of a
// half-closeable reader only stops reading; anything else removes the
// descriptor entirely and calls ConnectionLost.
func (r *Reactor) disconnectSelectable(s Selectable, why error, inRead bool) {
	rd, _ := s.(ReadDescriptor)
	wr, _ := s.(WriteDescriptor)
	if rd != nil {
		r.RemoveReader(rd)
	}
	reason := failureWithoutStack(why)
	if hc, ok := s.(HalfCloseableDescriptor); ok && inRead && errors.Is(why, ErrConnectionDone) {
		r.protect(func() { hc.ReadConnectionLost(reason) }, "readConnectionLost")
		return
	}
	if wr != nil {
		r.RemoveWriter(wr)
	}
	r.protect(func() { s.ConnectionLost(reason) }, "connectionLost")
}
