package braidtest

import (
	"slices"
	"sync"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// MemoryReactor ports twisted.internet.testing.MemoryReactor: a reactor
// that does no I/O and runs no loop, but records what it is asked, so that a
// test can look at what the code under test did and play the outcome by
// hand. It implements reactor.Core, FDSet, FromThreads, Threads and
// ErrorLogger, and protocol.ReactorTCP, ReactorUNIX, ReactorUDP,
// ReactorMulticast, ReactorSSL and ReactorProcess; for
// reactor.Time as well, use MemoryReactorClock.
//
//   - ListenTCP, ConnectTCP and SpawnProcess are recorded in TCPServers,
//     TCPClients and Processes; ListenUNIX, ConnectUNIX, ListenUDP and
//     ListenMulticast in UNIXServers, UNIXClients, UDPPorts and
//     MulticastPorts; ListenSSL and ConnectSSL in
//     SSLServers and SSLClients. No connection is ever made: a test plays
//     one with the record's MakeConnection and a StringTransport.
//     SpawnProcess connects the protocol to a
//     FakeProcessTransport, which the test drives as the child.
//   - Run fires the startup event, then stops as Twisted's double does, so
//     it returns at once. Stop fires the shutdown event. System events follow
//     the real reactor's rules (R-11..R-13), synchronously.
//   - Readers and writers are kept in sets and never polled.
//   - CallFromThread queues; Iterate runs the queue. CallInThread runs its
//     function at once, on the calling goroutine.
//   - LogError appends to LoggedErrors.
//
// Panics in triggers and thread calls are logged, as the real reactor logs
// them; panics in protocol and factory methods propagate to the test.
//
// The zero value is ready to use. A MemoryReactor must not be copied after
// first use.
type MemoryReactor struct {
	// TCPServers records each ListenTCP call, in order (Twisted's
	// tcpServers).
	TCPServers []TCPServer
	// TCPClients records each ConnectTCP call, in order (Twisted's
	// tcpClients and connectors).
	TCPClients []TCPClient
	// Processes records each SpawnProcess call, in order. Beyond Twisted.
	Processes []Process
	// UNIXServers and UNIXClients record each ListenUNIX and ConnectUNIX
	// call (Twisted's unixServers and unixClients).
	UNIXServers []UNIXServer
	UNIXClients []UNIXClient
	// UDPPorts records each ListenUDP call (Twisted's udpServers).
	UDPPorts []UDPPort
	// MulticastPorts records each ListenMulticast call. Beyond Twisted.
	MulticastPorts []MulticastPort
	// SSLServers and SSLClients record each ListenSSL and ConnectSSL call,
	// in order (Twisted's sslServers and sslClients).
	SSLServers []SSLServer
	SSLClients []SSLClient

	// OnSpawn, when not nil, is called by SpawnProcess with each new
	// transport before the protocol's MakeConnection: the place to set its
	// pid (SetPid) and how it answers signals (OnSignal), also for processes
	// the code under test spawns again by itself.
	OnSpawn func(t *FakeProcessTransport)

	// LoggedErrors is every error logged with LogError, in order; panics
	// in triggers and thread calls are logged there too.
	LoggedErrors []reactor.ErrorEvent

	// HasRun, HasStopped and HasCrashed become true at the first call of
	// Run, Stop and Crash. HasStopped is set even by a Stop that fails
	// because the reactor is not running, so that a test can see that the
	// code asked. (Twisted's double starts all three true.)
	HasRun     bool
	HasStopped bool
	HasCrashed bool

	running  bool // from startup 'during' to shutdown 'during'
	starting bool // startup is firing
	stopping bool // shutdown is firing
	stopped  bool // shutdown has reached 'during': Run may not run again
	crashed  bool // Crash was called: the next Run re-adds the startup step

	events      reactor.SystemEvents
	ownTriggers bool // systemEvents has registered the reactor's own steps

	readers []reactor.ReadDescriptor
	writers []reactor.WriteDescriptor

	mu          sync.Mutex // guards threadCalls
	threadCalls []func()

	// ThreadPoolSize is the size last given to SuggestThreadPoolSize
	// (0 until then). Beyond Twisted.
	ThreadPoolSize int

	pids int // the last pid SpawnProcess gave
}

var (
	_ reactor.Core            = (*MemoryReactor)(nil)
	_ reactor.FDSet           = (*MemoryReactor)(nil)
	_ reactor.FromThreads     = (*MemoryReactor)(nil)
	_ reactor.Threads         = (*MemoryReactor)(nil)
	_ reactor.ErrorLogger     = (*MemoryReactor)(nil)
	_ protocol.ReactorTCP     = (*MemoryReactor)(nil)
	_ protocol.ReactorProcess = (*MemoryReactor)(nil)
	_ protocol.ReactorUNIX    = (*MemoryReactor)(nil)
	_ protocol.ReactorUDP     = (*MemoryReactor)(nil)
)

// NewMemoryReactor returns a MemoryReactor; the zero value is equally
// usable.
func NewMemoryReactor() *MemoryReactor { return &MemoryReactor{} }

// Run ports run: it sets HasRun and fires the "startup" event — 'before'
// triggers, then 'during' (the reactor becomes running), then 'after',
// where the functions given to CallWhenRunning are — and then calls Stop,
// as Twisted's double does, so that Run returns once the shutdown event has
// fired. Thread calls and timed calls are not run (see Iterate).
//
// It returns reactor.ErrReactorAlreadyRunning while running or starting,
// and reactor.ErrReactorNotRestartable after a Stop, as the real reactor
// does; Twisted's double allows a second run. If a 'before startup'
// trigger returned a Deferred that has not fired, Run returns with startup
// pending: the reactor becomes running when that Deferred fires, and stays
// running.
func (m *MemoryReactor) Run() error {
	switch {
	case m.running || m.starting:
		return reactor.ErrReactorAlreadyRunning
	case m.stopped:
		return reactor.ErrReactorNotRestartable
	}
	m.HasRun = true
	m.starting = true
	if m.crashed {
		// The own startup step ran in the crashed run; this run needs it
		// again (the real reactor's Crash adds it back).
		m.crashed = false
		_, _ = m.systemEvents().Add(reactor.During, "startup", m.reallyStartRunning)
	}
	m.FireSystemEvent("startup")
	if m.running && !m.stopping {
		_ = m.Stop()
	}
	return nil
}

// Stop ports stop: it sets HasStopped and fires the "shutdown" event, at
// once rather than at the end of a loop pass: 'before' triggers, then
// 'during' (the reactor stops running), then 'after'. Readers and writers
// are left registered, and nothing is told ConnectionLost. It returns
// reactor.ErrReactorNotRunning when the reactor is not running or already
// stopping, as the real reactor does (Twisted's double never fails).
func (m *MemoryReactor) Stop() error {
	m.HasStopped = true
	if !m.running || m.stopping {
		return reactor.ErrReactorNotRunning
	}
	m.stopping = true
	m.FireSystemEvent("shutdown")
	return nil
}

// Crash ports crash: it sets HasCrashed and the reactor stops running,
// without any shutdown trigger; it may be run again.
func (m *MemoryReactor) Crash() {
	m.HasCrashed = true
	m.running, m.stopping = false, false
	m.crashed = true
}

// Iterate runs the functions queued by CallFromThread before it was called,
// in order; delay is ignored, as there is no I/O to wait for. Twisted's
// double does not implement iterate. MemoryReactorClock's also runs the
// timed calls that are due.
func (m *MemoryReactor) Iterate(delay time.Duration) {
	m.mu.Lock()
	calls := m.threadCalls
	m.threadCalls = nil
	m.mu.Unlock()
	for _, f := range calls {
		m.protect(f, "thread call")
	}
}

// Running ports the running attribute: true from the startup event's
// 'during' phase until the shutdown event's, or until Crash.
func (m *MemoryReactor) Running() bool { return m.running }

// CallWhenRunning ports callWhenRunning: f runs at once if the reactor is
// running, else as an 'after startup' trigger, which Run fires. A nil f is
// ignored. (Twisted's double keeps a list that run calls.)
func (m *MemoryReactor) CallWhenRunning(f func()) {
	switch {
	case f == nil:
	case m.running:
		f()
	default:
		_, _ = m.AddSystemEventTrigger(reactor.After, "startup", func() *reactor.Deferred {
			f()
			return nil
		})
	}
}

// CallFromThread ports callFromThread, and is safe from any goroutine: f is
// queued, and runs on the test's goroutine at its next Iterate (Run does not
// run the queue). Running f at once would run it on the calling goroutine,
// which the reactor's threading contract forbids. A nil f is ignored; a
// panic in f is logged to LoggedErrors.
func (m *MemoryReactor) CallFromThread(f func()) {
	if f == nil {
		return
	}
	m.mu.Lock()
	m.threadCalls = append(m.threadCalls, f)
	m.mu.Unlock()
}

// LogError records f and why in LoggedErrors; a nil f is ignored, as the
// real reactor ignores it.
func (m *MemoryReactor) LogError(f *reactor.Failure, why string) {
	if f == nil {
		return
	}
	m.LoggedErrors = append(m.LoggedErrors, reactor.ErrorEvent{Failure: f, Why: why})
}

// protect runs f, logging a panic as the real reactor does.
func (m *MemoryReactor) protect(f func(), why string) {
	defer func() {
		if v := recover(); v != nil {
			m.LogError(reactor.FailureFromPanic(v), why)
		}
	}()
	f()
}

// AddReader ports addReader: rd joins the set of readers (once, however
// often it is added). It never fails and never reads.
func (m *MemoryReactor) AddReader(rd reactor.ReadDescriptor) error {
	if !slices.Contains(m.readers, rd) {
		m.readers = append(m.readers, rd)
	}
	return nil
}

// AddWriter ports addWriter: wr joins the set of writers.
func (m *MemoryReactor) AddWriter(wr reactor.WriteDescriptor) error {
	if !slices.Contains(m.writers, wr) {
		m.writers = append(m.writers, wr)
	}
	return nil
}

// RemoveReader ports removeReader; removing a reader that is not in the
// set does nothing.
func (m *MemoryReactor) RemoveReader(rd reactor.ReadDescriptor) {
	if i := slices.Index(m.readers, rd); i >= 0 {
		m.readers = slices.Delete(m.readers, i, i+1)
	}
}

// RemoveWriter ports removeWriter; removing a writer that is not in the
// set does nothing.
func (m *MemoryReactor) RemoveWriter(wr reactor.WriteDescriptor) {
	if i := slices.Index(m.writers, wr); i >= 0 {
		m.writers = slices.Delete(m.writers, i, i+1)
	}
}

// GetReaders ports getReaders: the readers, in the order they were added.
func (m *MemoryReactor) GetReaders() []reactor.ReadDescriptor { return slices.Clone(m.readers) }

// GetWriters ports getWriters: the writers, in the order they were added.
func (m *MemoryReactor) GetWriters() []reactor.WriteDescriptor { return slices.Clone(m.writers) }

// RemoveAll ports removeAll: both sets are emptied, and the distinct
// descriptors they held are returned (readers first, in order), as the real
// reactor returns them; Twisted's double returns nothing. No descriptor is
// told ConnectionLost.
func (m *MemoryReactor) RemoveAll() []reactor.Selectable {
	var all []reactor.Selectable
	for _, rd := range m.readers {
		all = append(all, rd)
	}
	for _, wr := range m.writers {
		if !slices.Contains(all, reactor.Selectable(wr)) {
			all = append(all, wr)
		}
	}
	m.readers, m.writers = nil, nil
	return all
}
