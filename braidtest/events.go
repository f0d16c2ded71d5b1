package braidtest

import (
	"fmt"
	"slices"

	"github.com/braid-go/braid/reactor"
)

// MemoryReactor's system events follow the real reactor's rules:
// triggers run once each, in the order added, phase by phase; the 'during'
// phase waits for the Deferreds 'before' triggers return. Twisted's double
// records triggers and fires none, and cannot remove them.

type memTrigger struct {
	id uint64
	f  func() *reactor.Deferred
}

// systemEvent is one event's pending triggers, as _ThreePhaseEvent keeps
// them.
type systemEvent struct {
	before, during, after []memTrigger
	firing                bool     // 'before' ran; waiting for its Deferreds
	finishedBefore        []uint64 // 'before' triggers run in this firing
	own                   func()   // the reactor's own 'during' step, run first
}

func (e *systemEvent) phase(p reactor.Phase) *[]memTrigger {
	switch p {
	case reactor.Before:
		return &e.before
	case reactor.During:
		return &e.during
	case reactor.After:
		return &e.after
	}
	return nil
}

func (m *MemoryReactor) event(name string) *systemEvent {
	if m.events == nil {
		m.events = make(map[string]*systemEvent)
	}
	e := m.events[name]
	if e == nil {
		e = &systemEvent{}
		m.events[name] = e
	}
	return e
}

// AddSystemEventTrigger ports addSystemEventTrigger: f runs in the given
// phase when event fires ("startup" from Run, "shutdown" from Stop, any
// name from FireSystemEvent). A 'before' trigger may return a Deferred,
// which the 'during' phase waits for. An unknown phase gives an error
// wrapping reactor.ErrUnknownPhase.
func (m *MemoryReactor) AddSystemEventTrigger(phase reactor.Phase, event string, f func() *reactor.Deferred) (reactor.TriggerID, error) {
	list := m.event(event).phase(phase)
	if list == nil {
		return 0, fmt.Errorf("braidtest: %w %q", reactor.ErrUnknownPhase, phase)
	}
	m.triggerSeq++
	*list = append(*list, memTrigger{id: m.triggerSeq, f: f})
	return reactor.TriggerID(m.triggerSeq), nil
}

// RemoveSystemEventTrigger ports removeSystemEventTrigger (Twisted's
// double does not implement it): the trigger will not run. Removing a
// 'before' trigger that already ran in the current firing does nothing; an
// id that is not registered gives reactor.ErrUnknownTrigger.
func (m *MemoryReactor) RemoveSystemEventTrigger(id reactor.TriggerID) error {
	for _, e := range m.events {
		if e.firing && slices.Contains(e.finishedBefore, uint64(id)) {
			return nil
		}
		for _, list := range []*[]memTrigger{&e.before, &e.during, &e.after} {
			for i, t := range *list {
				if t.id == uint64(id) {
					*list = slices.Delete(*list, i, i+1)
					return nil
				}
			}
		}
	}
	return reactor.ErrUnknownTrigger
}

// FireSystemEvent ports fireSystemEvent (Twisted's double does not
// implement it): the event's 'before' triggers run, then, once the
// Deferreds they returned have all fired (at once, if they have), its
// 'during' and 'after' triggers. A panic in a trigger is logged to
// LoggedErrors.
func (m *MemoryReactor) FireSystemEvent(event string) { m.fire(event, nil) }

// fire is FireSystemEvent with the reactor's own 'during' step, which runs
// before the triggers of that phase.
func (m *MemoryReactor) fire(event string, own func()) {
	e := m.event(event)
	e.firing = true
	if own != nil {
		e.own = own
	}
	e.finishedBefore = e.finishedBefore[:0]
	var waits []*reactor.Deferred
	for len(e.before) > 0 {
		t := e.before[0]
		e.before = e.before[1:]
		e.finishedBefore = append(e.finishedBefore, t.id)
		if d := m.runTrigger(t, event); d != nil {
			waits = append(waits, d)
		}
	}
	if len(waits) == 0 {
		m.continueFiring(e, event)
		return
	}
	reactor.DeferredList(waits, reactor.DLOptions{}).AddCallback(func(any) (any, error) {
		m.continueFiring(e, event)
		return nil, nil
	})
}

func (m *MemoryReactor) continueFiring(e *systemEvent, event string) {
	e.firing = false
	e.finishedBefore = e.finishedBefore[:0]
	if own := e.own; own != nil {
		e.own = nil
		own()
	}
	for _, list := range []*[]memTrigger{&e.during, &e.after} {
		for len(*list) > 0 {
			t := (*list)[0]
			*list = (*list)[1:]
			m.runTrigger(t, event)
		}
	}
}

func (m *MemoryReactor) runTrigger(t memTrigger, event string) (d *reactor.Deferred) {
	if t.f == nil {
		return nil
	}
	m.protect(func() { d = t.f() }, "system event trigger for "+event)
	return d
}
