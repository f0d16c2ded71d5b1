package procmon

import (
	"slices"

	"github.com/braid-go/braid/reactor"
)

// Ready returns a Deferred that fires with the named process's
// *LoggingProtocol once the process is ready: for a process without a
// readiness check, once it has been spawned; with one, once its port has
// accepted a connection. If the process is running and ready, the Deferred
// has fired already; otherwise it waits for the current run, or for the
// next one when the process is not running (not started yet, or waiting to
// be restarted). Beyond Twisted.
//
// It fails with a [*NotReadyError] when that run ends before it was ready
// (Reason is the exit reason), cannot be spawned, or its check gives up (a
// Deadline passed, a connect failed other than by refusal); and when
// RemoveProcess removes the process, or StopService stops the monitor while
// the process is not running. An unknown name gives a failed Deferred
// wrapping ErrUnknownProcess. Each call returns a Deferred of its own;
// cancelling one stops its wait and leaves the others alone.
//
// Ready lets dependents start after their servers:
//
//	pm.Ready("db").AddCallback(func(any) (any, error) {
//		return nil, pm.AddProcess("app", appArgs, procmon.ProcessOptions{})
//	})
func (m *ProcessMonitor) Ready(name string) *reactor.Deferred {
	if m.processes[name] == nil {
		return reactor.Fail(unknown(name))
	}
	if p := m.protocols[name]; p != nil {
		switch {
		case p.ready:
			return reactor.Succeed(p)
		case p.notReady != nil:
			return reactor.Fail(p.notReady)
		}
	}
	var d *reactor.Deferred
	d = reactor.NewDeferred(func(*reactor.Deferred) {
		m.waiters[name] = slices.DeleteFunc(m.waiters[name], func(w *reactor.Deferred) bool { return w == d })
	})
	m.waiters[name] = append(m.waiters[name], d)
	return d
}

// spawned starts the new run's readiness check, or makes it ready at once
// when it has none.
func (m *ProcessMonitor) spawned(p *LoggingProtocol, check Readiness) {
	if p.done {
		return // ended inside SpawnProcess (possible with test doubles)
	}
	if check.Port == 0 {
		m.becameReady(p)
		return
	}
	p.probe = newProbe(m, p, check)
	p.probe.start()
}

// becameReady marks the run ready and fires its waiters.
func (m *ProcessMonitor) becameReady(p *LoggingProtocol) {
	p.ready = true
	waiters := m.waiters[p.Name]
	delete(m.waiters, p.Name)
	for _, d := range waiters {
		_ = d.Callback(p)
	}
}

// notReady fails the run's waiters with err, a *NotReadyError. The run
// remembers it, so that Ready fails at once while the process runs on.
func (m *ProcessMonitor) notReady(p *LoggingProtocol, err error) {
	p.notReady = err
	m.failAll(p.Name, err)
}

// failWaiters fails the waiters of a process that has no run to wait for.
func (m *ProcessMonitor) failWaiters(name string, reason error) {
	if len(m.waiters[name]) == 0 {
		return
	}
	err := &NotReadyError{Name: name, Reason: reason}
	if p := m.processes[name]; p != nil && p.Options.Ready.Port != 0 {
		err.Port, err.Host = p.Options.Ready.Port, p.Options.Ready.host()
	}
	m.failAll(name, err)
}

func (m *ProcessMonitor) failAll(name string, err error) {
	waiters := m.waiters[name]
	delete(m.waiters, name)
	for _, d := range waiters {
		_ = d.Errback(err)
	}
}

// runEnded settles readiness when the current run has ended: waiters fail
// with the exit reason unless it was ready, or its check had failed
// already.
func (m *ProcessMonitor) runEnded(p *LoggingProtocol, reason *reactor.Failure) {
	if p.ready || p.notReady != nil {
		return
	}
	err := &NotReadyError{Name: p.Name, Reason: reason}
	if p.probe != nil {
		err.Port, err.Host, err.Attempts = p.probe.check.Port, p.probe.check.host(), p.probe.attempts
	}
	p.notReady = err
	m.failAll(p.Name, err)
}

// stopProbe ends the run's readiness check, if any.
func (p *LoggingProtocol) stopProbe() {
	if p.probe != nil {
		p.probe.stop()
	}
}
