package braidtest

import (
	"slices"
	"sync"

	"github.com/braid-go/braid/reactor"
)

// EventLoggingObserver ports twisted.internet.testing.EventLoggingObserver:
// it keeps the error events a reactor logs, for the test to look at. In
// Twisted it observes a log publisher; braid's reactors hand their logged
// errors to one error observer each (reactor.WithErrorObserver), which
// Option installs:
//
//	obs := braidtest.NewEventLoggingObserver()
//	r, err := braid.New(obs.Option())
//
// Twisted's createWithCleanup removes the observer after the test; here it
// lives as long as the reactor. Its methods are safe from any goroutine, so a
// test may read the events while the reactor runs elsewhere. The zero value
// is ready to use.
type EventLoggingObserver struct {
	mu     sync.Mutex
	events []reactor.ErrorEvent
}

// NewEventLoggingObserver returns an observer with no events; the zero
// value is equally usable.
func NewEventLoggingObserver() *EventLoggingObserver { return &EventLoggingObserver{} }

// Observe records e; it is the function to give reactor.WithErrorObserver
// (Twisted's __call__).
func (o *EventLoggingObserver) Observe(e reactor.ErrorEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, e)
}

// Option returns reactor.WithErrorObserver(o.Observe), to pass to
// reactor.New or braid.New.
func (o *EventLoggingObserver) Option() reactor.Option { return reactor.WithErrorObserver(o.Observe) }

// Len returns the number of events recorded (Twisted's len).
func (o *EventLoggingObserver) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.events)
}

// Events returns a copy of the events recorded, in order (Twisted's
// iteration and indexing).
func (o *EventLoggingObserver) Events() []reactor.ErrorEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}
