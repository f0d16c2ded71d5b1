package procmon

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// StartService ports startService: the monitor runs, and every process not
// running yet is started, in the order added.
func (m *ProcessMonitor) StartService() {
	m.running = true
	for _, name := range append([]string(nil), m.names...) {
		_ = m.StartProcess(name) // every name is known
	}
}

// StopService ports stopService: the monitor stops running, pending
// restarts are cancelled, and every process is stopped as StopProcess stops
// it (an error signalling one is logged and the others are still stopped).
// Ready Deferreds waiting for a process that is not running fail with
// ErrServiceStopped.
//
// Beyond Twisted, whose stopService returns nothing, the Deferred returned
// fires (with nil) once no monitored process is running any more: after
// SIGTERM, or SIGKILL KillTime later. Wait for it before stopping the
// reactor, so that no server outlives the program.
func (m *ProcessMonitor) StopService() *reactor.Deferred {
	m.running = false
	for _, dc := range m.restart {
		if dc.Active() {
			_ = dc.Cancel()
		}
	}
	for _, name := range append([]string(nil), m.names...) {
		if err := m.StopProcess(name); err != nil {
			m.r.LogError(reactor.NewFailure(err), "procmon: StopService")
		}
	}
	for _, name := range append([]string(nil), m.names...) {
		if m.protocols[name] == nil {
			m.failWaiters(name, ErrServiceStopped)
		}
	}
	if len(m.protocols) == 0 {
		return reactor.Succeed(nil)
	}
	d := reactor.NewDeferred(nil)
	m.stopWaiters = append(m.stopWaiters, d)
	return d
}

// StartProcess ports startProcess: it starts the named process unless it
// is running already, which is not an error. An unknown name gives an error
// wrapping ErrUnknownProcess.
//
// Twisted reports a process that cannot be executed as one that exits 1;
// braid's SpawnProcess returns the error instead (see protocol.SpawnError).
// StartProcess treats it alike: it logs the error through the reactor and
// handles it as a death at once — restarted after MinRestartDelay, then
// doubling, while the monitor runs — and Ready Deferreds waiting fail with
// it. So StartProcess returns no spawn error.
func (m *ProcessMonitor) StartProcess(name string) error {
	p := m.processes[name]
	if p == nil {
		return unknown(name)
	}
	if m.protocols[name] != nil {
		return nil
	}
	proto := &LoggingProtocol{Name: name, m: m}
	m.protocols[name] = proto
	m.timeStarted[name] = m.r.Seconds()
	if _, err := m.r.SpawnProcess(proto, p.Args[0], p.Args, p.spawnOptions()); err != nil {
		m.r.LogError(reactor.NewFailure(err), fmt.Sprintf("procmon: starting process %q", name))
		m.processEnded(proto, reactor.NewFailure(err))
		return nil
	}
	m.spawned(proto, p.Options.Ready)
	return nil
}

// StopProcess ports stopProcess: it sends SIGTERM to the named process and
// schedules SIGKILL for KillTime later, cancelled when the process ends. A
// process that is not running, or has exited already, needs nothing. A
// second StopProcess sends SIGTERM again but keeps the SIGKILL already
// scheduled (Twisted schedules another, and the earlier one still fires).
//
// An unknown name gives an error wrapping ErrUnknownProcess; an error
// other than protocol.ErrProcessExitedAlready from the signal (EPERM, for
// a child that changed user) is returned, and no SIGKILL is scheduled.
func (m *ProcessMonitor) StopProcess(name string) error {
	if m.processes[name] == nil {
		return unknown(name)
	}
	proto := m.protocols[name]
	if proto == nil || proto.Transport == nil {
		return nil
	}
	err := proto.Transport.SignalProcess(syscall.SIGTERM)
	switch {
	case errors.Is(err, protocol.ErrProcessExitedAlready):
		return nil
	case err != nil:
		return fmt.Errorf("procmon: stopping process %q: %w", name, err)
	}
	if dc := m.murder[name]; dc != nil && dc.Active() {
		return nil
	}
	m.murder[name] = m.r.CallLater(m.KillTime, func() { m.forceStop(proto) })
	return nil
}

// forceStop ports _forceStopProcess: SIGKILL, where "exited already" is
// fine and any other error is logged.
func (m *ProcessMonitor) forceStop(proto *LoggingProtocol) {
	err := proto.Transport.SignalProcess(syscall.SIGKILL)
	if err != nil && !errors.Is(err, protocol.ErrProcessExitedAlready) {
		m.r.LogError(reactor.NewFailure(err), fmt.Sprintf("procmon: killing process %q", proto.Name))
	}
}

// RestartAll ports restartAll: it stops every process as StopProcess does
// (an error is logged and the others are still stopped), and the monitor,
// if running, restarts each when it has ended, as after any death.
func (m *ProcessMonitor) RestartAll() {
	for _, name := range append([]string(nil), m.names...) {
		if err := m.StopProcess(name); err != nil {
			m.r.LogError(reactor.NewFailure(err), "procmon: RestartAll")
		}
	}
}

// processEnded ports connectionLost(name), called when a run has ended: the
// pending SIGKILL is cancelled, the run forgotten, the restart delay worked
// out, and the restart scheduled while the monitor runs and the process is
// still monitored. A run that is not the current one (a protocol ended
// twice by hand, in tests) changes nothing.
func (m *ProcessMonitor) processEnded(proto *LoggingProtocol, reason *reactor.Failure) {
	name := proto.Name
	if m.protocols[name] != proto {
		return
	}
	if dc := m.murder[name]; dc != nil {
		if dc.Active() {
			_ = dc.Cancel()
		}
		delete(m.murder, name)
	}
	delete(m.protocols, name)

	var next time.Duration
	if m.r.Seconds()-m.timeStarted[name] < m.Threshold.Seconds() {
		// Died too soon: wait, and wait twice as long next time.
		next = m.delay[name]
		m.delay[name] = min(m.delay[name]*2, m.MaxRestartDelay)
	} else {
		m.delay[name] = m.MinRestartDelay
	}
	if m.running && m.processes[name] != nil {
		m.restart[name] = m.r.CallLater(next, func() { _ = m.StartProcess(name) })
	}

	// Tell the waiters last, once the state is settled: their callbacks
	// may call the monitor.
	m.runEnded(proto, reason)
	if len(m.protocols) == 0 {
		waiters := m.stopWaiters
		m.stopWaiters = nil
		for _, d := range waiters {
			_ = d.Callback(nil)
		}
	}
}
