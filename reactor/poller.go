package reactor

// The reactor waits for descriptors through a poller, one per platform:
// epoll on Linux (poller_linux.go), kqueue on macOS and the BSDs
// (poller_kqueue.go), and a descriptor-less poller elsewhere, Windows among
// them (poller_nofd.go), which runs timers and CallFromThread only. Each
// provides:
//
//	newPoller() (*poller, error)
//	(*poller).close()                              idempotent
//	(*poller).register(fd int, mask, gen uint32, known bool) error
//	(*poller).wait(timeout time.Duration) ([]readyEvent, error)
//	(*poller).wake()                               safe from any goroutine
//	(*poller).tightTimers() bool                   sub-millisecond waits are exact
//
// and the bits pollIn, pollOut and pollDisconnected. Watching is level
// triggered: a descriptor is reported on every wait while it stays ready.
// register with mask 0 stops watching fd; known says fd was watched before
// with a non-empty mask. wait returns each ready descriptor once, with the
// gen it was registered under, and never the poller's own wake-up
// descriptor: a wake-up only makes wait return early. A timeout below zero
// waits until a descriptor is ready or wake is called.

// readyEvent is one ready descriptor: what it is ready for (pollIn,
// pollOut, pollDisconnected) and the generation it was registered with, so
// that an event for a descriptor removed and replaced earlier in the same
// turn can be recognised as stale.
type readyEvent struct {
	fd     int
	gen    uint32
	events uint32
}
