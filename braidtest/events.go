package braidtest

import "github.com/braid-go/braid/reactor"

// MemoryReactor's system events follow the real reactor's rules,
// being kept by the same reactor.SystemEvents: triggers run once each, in
// the order added, phase by phase; the 'during' phase waits for the
// Deferreds 'before' triggers return. Twisted's double records triggers
// and fires none, and cannot remove them.

// systemEvents returns the reactor's triggers. The first call registers
// the reactor's own 'during' steps for startup and shutdown, so that they
// run before any trigger the test adds, as the real reactor's do.
func (m *MemoryReactor) systemEvents() *reactor.SystemEvents {
	if !m.ownTriggers {
		m.ownTriggers = true
		_, _ = m.events.Add(reactor.During, "startup", m.reallyStartRunning)
		_, _ = m.events.Add(reactor.During, "shutdown", func() *reactor.Deferred {
			m.running, m.stopping, m.stopped = false, false, true
			return nil
		})
	}
	return &m.events
}

// reallyStartRunning is the reactor's own 'during startup' step; a Run
// after Crash adds it again, as the real reactor's Crash does.
func (m *MemoryReactor) reallyStartRunning() *reactor.Deferred {
	m.starting, m.running = false, true
	return nil
}

// AddSystemEventTrigger ports addSystemEventTrigger: f runs in the given
// phase when event fires ("startup" from Run, "shutdown" from Stop, any
// name from FireSystemEvent). A 'before' trigger may return a Deferred,
// which the 'during' phase waits for. An unknown phase gives an error
// wrapping reactor.ErrUnknownPhase.
func (m *MemoryReactor) AddSystemEventTrigger(phase reactor.Phase, event string, f func() *reactor.Deferred) (reactor.TriggerID, error) {
	return m.systemEvents().Add(phase, event, f)
}

// RemoveSystemEventTrigger ports removeSystemEventTrigger (Twisted's
// double does not implement it): the trigger will not run. Removing a
// 'before' trigger that already ran in the current firing does nothing; an
// id that is not registered gives reactor.ErrUnknownTrigger.
func (m *MemoryReactor) RemoveSystemEventTrigger(id reactor.TriggerID) error {
	return m.systemEvents().Remove(id)
}

// FireSystemEvent ports fireSystemEvent (Twisted's double does not
// implement it): the event's 'before' triggers run, then, once the
// Deferreds they returned have all fired (at once, if they have), its
// 'during' and 'after' triggers. A panic in a trigger is logged to
// LoggedErrors.
func (m *MemoryReactor) FireSystemEvent(event string) { m.systemEvents().Fire(event, m) }
