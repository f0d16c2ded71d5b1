// Package tracking keeps, per reactor, what braid tracks about Deferreds,
// which have no reactor of their own: Failures left unhandled, suspended
// InlineCallbacks bodies, and the debugging switches. When a Deferred needs
// its reactor (its chain came to rest on a Failure, say) Current finds it:
// the reactor of the calling goroutine, which by the threading contract is
// the one the Deferred belongs to.
//
// Finding it is cheap while at most one reactor is live in the process (a
// program, or a test, with one reactor): it is that one. With several live
// at once (tests running in parallel) the calling goroutine's identity
// decides, which costs a stack read of a few microseconds; only the rare
// events above pay it, never a Deferred's ordinary path.
//
// Package reactor owns the Scopes; trial reads its reactor's through Of.
// Nothing here is part of braid's public API.
package tracking

import (
	"runtime"
	"sync"
	"sync/atomic"
	"weak"
)

// Scope is one reactor's share of the tracking. Its methods are safe from
// any goroutine: garbage-collector cleanups report through them.
type Scope struct {
	// Debugging is the reactor's WithDebugging: Deferreds made while its
	// reactor is current record where they were made and first fired.
	// Fixed before Register.
	Debugging bool
	// CallSites makes the reactor's CallLater record its caller, for
	// DelayedCall.String. trial sets it before the reactor runs, on the
	// reactor's goroutine.
	CallSites bool
	// Collected is told, on the collector's cleanup goroutine, that a
	// Deferred of this Scope was garbage collected while still unhandled.
	// The entry stays tracked, marked collected, until TakeCollected or
	// Flush takes it: so a Flush right after runtime.GC still finds it.
	// Set before Register.
	Collected func()

	goid atomic.Uint64 // the goroutine that made, or last ran, the reactor
	loop atomic.Uint64 // the goroutine inside the reactor's Run now, or 0
	key  any           // weak.Pointer of the reactor, its key in the registry

	mu        sync.Mutex
	unhandled map[*Entry]struct{}
	pending   map[Body]struct{}
}

// Entry is one Deferred whose chain rests on an unhandled Failure.
type Entry struct {
	// Failure is the unhandled *reactor.Failure.
	Failure error
	// Cleanup is the garbage-collection backstop that reports Failure if
	// the Deferred is dropped unhandled; Untrack and Flush stop it.
	Cleanup runtime.Cleanup
	// Scope owns the entry; nil when no reactor was current.
	Scope *Scope

	collected bool // the Deferred was garbage collected (guarded by Scope.mu)
}

// Body is a suspended InlineCallbacks body.
type Body interface {
	Abandon()
	String() string
}

// scopes is the process's registry of live Scopes.
type scopes struct {
	mu      sync.Mutex
	live    map[*Scope]struct{}
	byOwner map[any]*Scope    // weak.Pointer of the owning reactor -> its Scope
	aliases map[uint64]*Scope // coroutine goroutines -> the Scope of their body

	n     atomic.Int32 // len(live)
	sole  atomic.Pointer[Scope]
	debug atomic.Int32 // live Scopes with Debugging set
}

var registry scopes

// Register makes s live for the reactor owner, which was made on the
// calling goroutine. owner is held only weakly.
func Register[T any](owner *T, s *Scope) {
	s.goid.Store(goid())
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.live == nil {
		registry.live = make(map[*Scope]struct{})
		registry.byOwner = make(map[any]*Scope)
		registry.aliases = make(map[uint64]*Scope)
	}
	s.key = weak.Make(owner)
	registry.live[s] = struct{}{}
	registry.byOwner[s.key] = s
	if s.Debugging {
		registry.debug.Add(1)
	}
	registry.updateLocked()
}

// Release takes s out of the registry, so that Current and Of no longer
// find it; what it still tracks stays with it. Releasing twice is harmless,
// and Release needs no reference to the reactor, so a cleanup run after
// the reactor was collected can call it.
func (s *Scope) Release() {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if _, ok := registry.live[s]; !ok {
		return
	}
	delete(registry.byOwner, s.key)
	delete(registry.live, s)
	for g, a := range registry.aliases {
		if a == s {
			delete(registry.aliases, g)
		}
	}
	if s.Debugging {
		registry.debug.Add(-1)
	}
	registry.updateLocked()
}

func (r *scopes) updateLocked() {
	r.n.Store(int32(len(r.live)))
	var sole *Scope
	if len(r.live) == 1 {
		for s := range r.live {
			sole = s
		}
	}
	r.sole.Store(sole)
}

// Of returns the Scope registered for owner, or nil once it is released.
func Of[T any](owner *T) *Scope {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.byOwner[weak.Make(owner)]
}

// Running records that the calling goroutine now runs s's reactor.
func (s *Scope) Running() {
	g := goid()
	s.goid.Store(g)
	s.loop.Store(g)
}

// Stopped records that the reactor's Run has returned.
func (s *Scope) Stopped() { s.loop.Store(0) }

// InLoop reports whether the calling goroutine is inside the reactor's Run,
// or is a coroutine (an InlineCallbacks body, a Cooperator's iterator) that
// the goroutine inside Run made and waits on: code that must never block
// waiting for the reactor. It reads stacks (see OnGoroutine), so only
// blocking calls, which wait anyway, use it.
func (s *Scope) InLoop() bool { return runsFor(s.loop.Load()) }

// Current returns the Scope of the reactor the calling goroutine belongs
// to, or nil when none can be told: no reactor is live, or several are and
// none runs on this goroutine.
func Current() *Scope {
	switch registry.n.Load() {
	case 0:
		return nil
	case 1:
		if s := registry.sole.Load(); s != nil {
			return s
		}
	}
	return currentByGoroutine()
}

func currentByGoroutine() *Scope {
	if s := GoroutineScope(); s != nil {
		return s
	}
	return registry.sole.Load()
}

// GoroutineScope returns the Scope whose reactor was made or last run on the
// calling goroutine (or whose InlineCallbacks body the goroutine runs), or
// nil: Current without its one-reactor shortcut. It always reads the
// goroutine's id, so only debugging checks use it.
func GoroutineScope() *Scope {
	g := goid()
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if s := registry.aliases[g]; s != nil {
		return s
	}
	for s := range registry.live {
		if s.goid.Load() == g {
			return s
		}
	}
	return nil
}

// AnyDebugging reports whether some live Scope has Debugging set: the one
// check a new Deferred makes before it looks for its Scope.
func AnyDebugging() bool { return registry.debug.Load() > 0 }

// EnterCoroutine tells Current that the calling goroutine, a coroutine
// running an InlineCallbacks body, belongs to s. It does nothing (and
// costs nothing) while Current needs no goroutine identity and s is not
// debugging. Call the returned function when the coroutine ends.
func EnterCoroutine(s *Scope) (leave func()) {
	if s == nil || registry.n.Load() < 2 && !s.Debugging {
		return func() {}
	}
	g := goid()
	registry.mu.Lock()
	registry.aliases[g] = s
	registry.mu.Unlock()
	return func() {
		registry.mu.Lock()
		delete(registry.aliases, g)
		registry.mu.Unlock()
	}
}

// Track records e as unhandled in its Scope. An entry without a Scope is
// left to its Cleanup alone.
func Track(e *Entry) {
	s := e.Scope
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.unhandled == nil {
		s.unhandled = make(map[*Entry]struct{})
	}
	s.unhandled[e] = struct{}{}
	s.mu.Unlock()
}

// Untrack forgets e and stops its Cleanup. It reports whether e was still
// tracked (not yet flushed or untracked).
func Untrack(e *Entry) bool {
	e.Cleanup.Stop()
	s := e.Scope
	if s == nil {
		return true
	}
	s.mu.Lock()
	_, ok := s.unhandled[e]
	delete(s.unhandled, e)
	s.mu.Unlock()
	return ok
}

// Collected is the Cleanup's work: e's Deferred was garbage collected. An
// entry without a Scope is dropped and reported true: the caller logs it.
// An entry of a Scope stays tracked, marked collected, and the Scope's
// Collected hook is told; Collected then reports false.
func Collected(e *Entry) bool {
	s := e.Scope
	if s == nil {
		return true
	}
	s.mu.Lock()
	_, ok := s.unhandled[e]
	if ok {
		e.collected = true
	}
	s.mu.Unlock()
	if ok && s.Collected != nil {
		s.Collected()
	}
	return false
}

// TakeCollected removes the entries whose Deferreds were garbage collected
// and returns their Failures.
func (s *Scope) TakeCollected() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []error
	for e := range s.unhandled {
		if e.collected {
			delete(s.unhandled, e)
			out = append(out, e.Failure)
		}
	}
	return out
}

// Flush removes the entries whose Failure match accepts (all of them for a
// nil match), stops their Cleanups and returns their Failures.
func (s *Scope) Flush(match func(failure error) bool) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []error
	for e := range s.unhandled {
		if match != nil && !match(e.Failure) {
			continue
		}
		delete(s.unhandled, e)
		e.Cleanup.Stop()
		out = append(out, e.Failure)
	}
	return out
}

// AddPending lists b as suspended.
func (s *Scope) AddPending(b Body) {
	s.mu.Lock()
	if s.pending == nil {
		s.pending = make(map[Body]struct{})
	}
	s.pending[b] = struct{}{}
	s.mu.Unlock()
}

// RemovePending unlists b.
func (s *Scope) RemovePending(b Body) {
	s.mu.Lock()
	delete(s.pending, b)
	s.mu.Unlock()
}

// Pending returns the suspended bodies, in no particular order.
func (s *Scope) Pending() []Body {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Body, 0, len(s.pending))
	for b := range s.pending {
		out = append(out, b)
	}
	return out
}
