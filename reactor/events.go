package reactor

import (
	"fmt"
	"slices"
)

// Phase is a system event phase (Twisted's 'before', 'during', 'after').
type Phase string

// The three phases of a system event, run in this order.
const (
	Before Phase = "before"
	During Phase = "during"
	After  Phase = "after"
)

// TriggerID identifies a trigger for RemoveSystemEventTrigger: an opaque
// number, unique within the reactor (or fake) that gave it out.
type TriggerID uint64

type trigger struct {
	id uint64
	f  func() *Deferred
}

// systemEvent ports _ThreePhaseEvent: 'before' triggers may return
// Deferreds, and 'during' starts only once all of those have fired.
// Triggers are consumed when they run, so each runs once.
type systemEvent struct {
	before, during, after []trigger
	firing                bool     // 'before' ran, waiting for its Deferreds
	finishedBefore        []uint64 // 'before' triggers already run this firing
}

func (e *systemEvent) phase(p Phase) *[]trigger {
	switch p {
	case Before:
		return &e.before
	case During:
		return &e.during
	case After:
		return &e.after
	}
	return nil
}

// SystemEvents keeps system event triggers and fires them by Twisted's
// rules: each event (Twisted's _ThreePhaseEvent, one per name) runs
// its 'before' triggers, waits for the Deferreds they returned, then runs
// its 'during' and 'after' triggers; each trigger runs once, in the order
// added. A Reactor keeps one; a fake implementing [Core] can keep one too
// and so fire its triggers exactly as the real reactor does, as
// braidtest.MemoryReactor does. The zero value is ready to use. Like the
// reactor, it belongs to one goroutine. Beyond Twisted, where the class is
// private.
type SystemEvents struct {
	events map[string]*systemEvent
	seq    uint64
}

func (s *SystemEvents) event(name string) *systemEvent {
	if s.events == nil {
		s.events = make(map[string]*systemEvent)
	}
	e := s.events[name]
	if e == nil {
		e = &systemEvent{}
		s.events[name] = e
	}
	return e
}

// Add adds a trigger: f runs in phase when event fires. A 'before' trigger
// may return a Deferred, which the 'during' phase waits for; nil means
// nothing to wait for. An unknown phase gives an error wrapping
// ErrUnknownPhase.
func (s *SystemEvents) Add(phase Phase, event string, f func() *Deferred) (TriggerID, error) {
	list := s.event(event).phase(phase)
	if list == nil {
		return 0, fmt.Errorf("%w %q", ErrUnknownPhase, phase)
	}
	s.seq++
	*list = append(*list, trigger{id: s.seq, f: f})
	return TriggerID(s.seq), nil
}

// Remove removes a trigger so that it does not run. Removing a 'before'
// trigger that already ran in the current firing does nothing (Twisted
// only warns); an id that is not registered gives ErrUnknownTrigger.
func (s *SystemEvents) Remove(id TriggerID) error {
	for _, e := range s.events {
		if e.firing && slices.Contains(e.finishedBefore, uint64(id)) {
			return nil
		}
		for _, list := range []*[]trigger{&e.before, &e.during, &e.after} {
			for i, t := range *list {
				if t.id == uint64(id) {
					*list = slices.Delete(*list, i, i+1)
					return nil
				}
			}
		}
	}
	return ErrUnknownTrigger
}

// Fire runs event's triggers, phase by phase. A panic in a trigger is
// contained and handed to log.
func (s *SystemEvents) Fire(event string, log ErrorLogger) {
	e := s.events[event]
	if e == nil {
		return
	}
	e.firing = true
	e.finishedBefore = e.finishedBefore[:0]
	var waits []*Deferred
	for len(e.before) > 0 {
		t := e.before[0]
		e.before = e.before[1:]
		e.finishedBefore = append(e.finishedBefore, t.id)
		if d := runTrigger(t, event, log); d != nil {
			waits = append(waits, d)
		}
	}
	if len(waits) == 0 {
		continueFiring(e, event, log)
		return
	}
	DeferredList(waits, DLOptions{}).AddCallback(func(any) (any, error) {
		continueFiring(e, event, log)
		return nil, nil
	})
}

func continueFiring(e *systemEvent, event string, log ErrorLogger) {
	e.firing = false
	e.finishedBefore = e.finishedBefore[:0]
	for _, list := range []*[]trigger{&e.during, &e.after} {
		for len(*list) > 0 {
			t := (*list)[0]
			*list = (*list)[1:]
			runTrigger(t, event, log)
		}
	}
}

func runTrigger(t trigger, event string, log ErrorLogger) (d *Deferred) {
	defer func() {
		if v := recover(); v != nil {
			log.LogError(FailureFromPanic(v), "system event trigger for "+event)
			d = nil
		}
	}()
	if t.f == nil {
		return nil
	}
	return t.f()
}

// AddSystemEventTrigger ports addSystemEventTrigger: f runs in the
// given phase when event fires ("startup" and "shutdown" are the reactor's;
// any other name can be fired with FireSystemEvent). A 'before' trigger may
// return a Deferred: the 'during' phase waits for all of them, while the
// reactor keeps running timers and I/O. Return nil when there is nothing to
// wait for. A panic in f is logged. An unknown phase gives ErrUnknownPhase.
func (r *Reactor) AddSystemEventTrigger(phase Phase, event string, f func() *Deferred) (TriggerID, error) {
	return r.events.Add(phase, event, f)
}

// RemoveSystemEventTrigger ports removeSystemEventTrigger. Removing a
// 'before' trigger that already ran in the current firing does nothing (as
// Twisted, which only warns); an id that is not registered gives
// ErrUnknownTrigger.
func (r *Reactor) RemoveSystemEventTrigger(id TriggerID) error { return r.events.Remove(id) }

// FireSystemEvent ports fireSystemEvent: runs the event's triggers, phase by
// phase. The reactor fires "startup" from Run and "shutdown" after Stop.
func (r *Reactor) FireSystemEvent(event string) { r.events.Fire(event, r) }
