package braidtest

import (
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// MemoryReactorClock ports twisted.internet.testing.MemoryReactorClock: a
// MemoryReactor that is also a reactor.Time, through an embedded
// reactor.Clock (Twisted's task.Clock), so that code needing time as well as
// TCP and processes runs on it. Time moves only when the test calls Advance
// (or Pump); Iterate also runs the timed calls already due.
//
// The Clock is embedded by value, so the zero value is ready to use, at time
// 0; &r.Clock is the *reactor.Clock. It must not be copied after first use.
type MemoryReactorClock struct {
	MemoryReactor
	reactor.Clock
}

var (
	_ reactor.Core                  = (*MemoryReactorClock)(nil)
	_ reactor.Time                  = (*MemoryReactorClock)(nil)
	_ reactor.FDSet                 = (*MemoryReactorClock)(nil)
	_ reactor.FromThreads           = (*MemoryReactorClock)(nil)
	_ reactor.Threads               = (*MemoryReactorClock)(nil)
	_ reactor.ErrorLogger           = (*MemoryReactorClock)(nil)
	_ protocol.ReactorTCP           = (*MemoryReactorClock)(nil)
	_ protocol.ReactorProcess       = (*MemoryReactorClock)(nil)
	_ protocol.ClientCreatorReactor = (*MemoryReactorClock)(nil)
)

// NewMemoryReactorClock returns a MemoryReactorClock at time 0; the zero
// value is equally usable.
func NewMemoryReactorClock() *MemoryReactorClock { return &MemoryReactorClock{} }

// Iterate runs the functions queued by CallFromThread, then the timed calls
// due at the current time (Advance(0)), as one pass of the real loop does.
// Time does not move: delay is ignored.
func (m *MemoryReactorClock) Iterate(delay time.Duration) {
	m.MemoryReactor.Iterate(delay)
	m.Advance(0)
}
