package reactor

import "time"

// The reactor's interfaces, Twisted's IReactor* split with Go names: drop
// the I, and drop "Reactor" where the package name says it (IReactorTime is
// reactor.Time; IReactorTCP, which needs protocol's types, is
// protocol.ReactorTCP). Code that needs "the reactor" takes the narrowest
// one, so that the real reactor and an in-memory fake both serve it. The
// core *Reactor satisfies all of them; braid.Reactor adds TCP and
// processes.

// Core ports IReactorCore: running the loop and its system events.
type Core interface {
	// Run fires the startup event and loops until Stop or Crash.
	Run() error
	// Stop ends Run after firing the shutdown event.
	Stop() error
	// Crash ends Run at the end of the current pass, without shutdown.
	Crash()
	// Iterate runs one pass, waiting at most delay for I/O.
	Iterate(delay time.Duration)
	// Running reports whether the reactor is between startup and shutdown.
	Running() bool
	// CallWhenRunning runs f now if running, else once started.
	CallWhenRunning(f func())
	// AddSystemEventTrigger adds f to a phase of an event.
	AddSystemEventTrigger(phase Phase, event string, f func() *Deferred) (TriggerID, error)
	// RemoveSystemEventTrigger removes a trigger AddSystemEventTrigger added.
	RemoveSystemEventTrigger(id TriggerID) error
	// FireSystemEvent runs an event's triggers, phase by phase.
	FireSystemEvent(event string)
}

// Time ports IReactorTime: scheduling work in time. *Reactor and *Clock
// both satisfy it, so code written against it (AddTimeout, [DeferLater],
// [LoopingCall], a protocol's timeouts) runs on a real reactor in production
// and on a Clock, moved by hand, in tests.
type Time interface {
	// Seconds returns the current time in seconds.
	Seconds() float64
	// CallLater runs f once, delay from now.
	CallLater(delay time.Duration, f func()) *DelayedCall
	// GetDelayedCalls returns the calls still pending.
	GetDelayedCalls() []*DelayedCall
}

// FromThreads ports IReactorFromThreads: the one way other goroutines hand
// work to the reactor goroutine.
type FromThreads interface {
	// CallFromThread runs f on the reactor goroutine; safe from any goroutine.
	CallFromThread(f func())
}

// InThreads ports IReactorInThreads: running work on goroutines of the
// reactor's pool.
type InThreads interface {
	// CallInThread runs f on a pool goroutine; it returns an error once the
	// pool has stopped.
	CallInThread(f func()) error
}

// Threads ports IReactorThreads: handing work both ways between the
// reactor goroutine and its pool, and sizing the pool. [DeferToThread]
// needs one.
type Threads interface {
	FromThreads
	InThreads
	// SuggestThreadPoolSize sets how many pool goroutines may run at once.
	SuggestThreadPoolSize(size int) error
}

// FDSet ports IReactorFDSet: watching file descriptors for readiness.
type FDSet interface {
	AddReader(rd ReadDescriptor) error
	AddWriter(wr WriteDescriptor) error
	RemoveReader(rd ReadDescriptor)
	RemoveWriter(wr WriteDescriptor)
	RemoveAll() []Selectable
	GetReaders() []ReadDescriptor
	GetWriters() []WriteDescriptor
}

// ErrorLogger is where code hands errors that nobody else will see: what
// Twisted sends to log.err, which braid keeps per reactor (see
// [WithErrorObserver]).
type ErrorLogger interface {
	// LogError records f; why says where it happened.
	LogError(f *Failure, why string)
}

var (
	_ Core        = (*Reactor)(nil)
	_ Time        = (*Reactor)(nil)
	_ FromThreads = (*Reactor)(nil)
	_ Threads     = (*Reactor)(nil)
	_ FDSet       = (*Reactor)(nil)
	_ ErrorLogger = (*Reactor)(nil)
	_ Time        = (*Clock)(nil)
)
