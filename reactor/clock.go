package reactor

import "time"

// Clock ports twisted.internet.task.Clock: a [Time] whose clock moves only
// when Advance is called, for deterministic tests of timeouts and retries.
//
// Two differences from a Reactor, both Twisted's (TR-11): a call scheduled
// with CallLater(0) from inside a call that Advance runs also runs within
// the same Advance; and a panic in a call propagates out of Advance (that
// call is consumed, later due calls stay pending). Negative delays are
// accepted. Calls due at the same time run in task.Clock's order: a call
// comes after those already scheduled for its time, and one that Reset or
// Delay moves keeps the place it had when calls were last sorted (by a
// CallLater or an Advance; see clockOrder).
//
// The zero value is ready to use, with time 0. A Clock is not safe for
// concurrent use.
type Clock struct {
	q         timerQueue
	now       int64 // nanoseconds since the Clock's zero
	callSites bool  // CallLater records its caller (package tests only)
}

// NewClock returns a Clock at time 0; the zero Clock is equally usable.
func NewClock() *Clock { return &Clock{} }

func (c *Clock) queue() *timerQueue {
	if c.q.now == nil {
		c.q.clock = new(clockOrder)
		c.q.callSites = &c.callSites
		c.q.now = func() int64 { return c.now }
		c.q.seconds = func(t int64) float64 { return float64(t) / 1e9 }
	}
	return &c.q
}

// Seconds ports seconds: the Clock's time, starting at 0.
func (c *Clock) Seconds() float64 { return float64(c.now) / 1e9 }

// CallLater ports callLater: f runs when Advance moves time to delay from
// now. A nil f schedules a call that does nothing.
func (c *Clock) CallLater(delay time.Duration, f func()) *DelayedCall {
	var site *[3]uintptr
	if c.callSites {
		site = callSite()
	}
	return c.queue().schedule(delay, f, site)
}

// GetDelayedCalls ports getDelayedCalls: the calls still pending.
func (c *Clock) GetDelayedCalls() []*DelayedCall { return c.queue().calls() }

// Advance ports advance: time moves forward by d, then every call due at or
// before the new time runs, earliest first, including calls scheduled by
// those calls when they too are due.
func (c *Clock) Advance(d time.Duration) {
	q := c.queue()
	c.now = addDelay(c.now, d) // saturates rather than wrap past the largest time
	for {
		q.clock.sorted(q)
		call := q.popDue(c.now)
		if call == nil {
			return
		}
		call.run()
	}
}

// Pump ports pump: Advance by each duration in turn.
func (c *Clock) Pump(ds ...time.Duration) {
	for _, d := range ds {
		c.Advance(d)
	}
}
