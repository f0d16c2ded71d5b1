// Package backoff holds the retry rule that braid's helpers use while they
// wait for a spawned server to listen (conchtest's Hardening.Backoff,
// procmon's Readiness): the pause grows with the time already waited, so a
// fast server is found within a millisecond and a slow one costs a few
// connects a second.
package backoff

import "time"

// Defaults of the rule's three knobs.
const (
	DefaultInitial = time.Millisecond
	DefaultMax     = 100 * time.Millisecond
	DefaultGrowth  = 1.0 / 200
)

// Next is the pause before the next attempt: growth times waited (the time
// since the spawn), at least initial and at most most. A knob that is not
// positive takes its default.
func Next(waited, initial, most time.Duration, growth float64) time.Duration {
	if initial <= 0 {
		initial = DefaultInitial
	}
	if most <= 0 {
		most = DefaultMax
	}
	if growth <= 0 {
		growth = DefaultGrowth
	}
	return min(max(time.Duration(float64(waited)*growth), initial), most)
}
