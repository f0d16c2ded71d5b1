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

func (r *Reactor) event(name string) *systemEvent {
	e := r.events[name]
	if e == nil {
		e = &systemEvent{}
		r.events[name] = e
	}
	return e
}

// AddSystemEventTrigger ports addSystemEventTrigger: f runs in the
// given phase when event fires ("startup" and "shutdown" are the reactor's;
// any other name can be fired with FireSystemEvent). A 'before' trigger may
// return a Deferred: the 'during' phase waits for all of them, while the
// reactor keeps running timers and I/O. Return nil when there is nothing to
// wait for. A panic in f is logged. An unknown phase gives ErrUnknownPhase.
func (r *Reactor) AddSystemEventTrigger(phase Phase, event string, f func() *Deferred) (TriggerID, error) {
	e := r.event(event)
	list := e.phase(phase)
	if list == nil {
		return 0, fmt.Errorf("%w %q", ErrUnknownPhase, phase)
	}
	r.triggerSeq++
	*list = append(*list, trigger{id: r.triggerSeq, f: f})
	return TriggerID(r.triggerSeq), nil
}

// RemoveSystemEventTrigger ports removeSystemEventTrigger. Removing a
// 'before' trigger that already ran in the current firing does nothing (as
// Twisted, which only warns); an id that is not registered gives
// ErrUnknownTrigger.
func (r *Reactor) RemoveSystemEventTrigger(id TriggerID) error {
	for _, e := range r.events {
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

// FireSystemEvent ports fireSystemEvent: runs the event's triggers, phase by
// phase. The reactor fires "startup" from Run and "shutdown" after Stop.
func (r *Reactor) FireSystemEvent(event string) {
	e := r.events[event]
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
		if d := r.runTrigger(t, event); d != nil {
			waits = append(waits, d)
		}
	}
	if len(waits) == 0 {
		r.continueFiring(e, event)
		return
	}
	DeferredList(waits, DLOptions{}).AddCallback(func(any) (any, error) {
		r.continueFiring(e, event)
		return nil, nil
	})
}

func (r *Reactor) continueFiring(e *systemEvent, event string) {
	e.firing = false
	e.finishedBefore = e.finishedBefore[:0]
	for _, list := range []*[]trigger{&e.during, &e.after} {
		for len(*list) > 0 {
			t := (*list)[0]
			*list = (*list)[1:]
			r.runTrigger(t, event)
		}
	}
}

func (r *Reactor) runTrigger(t trigger, event string) (d *Deferred) {
	defer func() {
		if v := recover(); v != nil {
			r.LogError(FailureFromPanic(v), "system event trigger for "+event)
			d = nil
		}
	}()
	if t.f == nil {
		return nil
	}
	return t.f()
}
