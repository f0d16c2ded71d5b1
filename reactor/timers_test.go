package reactor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// the timer queue (an in-order run beside a heap) hands
// out calls exactly as one sorted list would — by due time, then scheduling
// order — through random schedules, cancels, resets, delays, deferred adds
// and pops. Each seed is one random program; a failure names it.
func TestTimerQueue_MatchesSortedList_R05_R07_R09(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			checkTimerQueue(t, rand.New(rand.NewPCG(seed, 7)), 3000)
		})
	}
}

func checkTimerQueue(t *testing.T, rng *rand.Rand, steps int) {
	t.Helper()
	var now int64
	q := &timerQueue{now: func() int64 { return now }, seconds: func(w int64) float64 { return float64(w) }}
	var live []*DelayedCall // the model: every call neither run nor cancelled
	order := func(a, b *DelayedCall) int {
		if a.when != b.when {
			if a.when < b.when {
				return -1
			}
			return 1
		}
		return int(a.seq) - int(b.seq)
	}
	drop := func(c *DelayedCall) { live = slices.DeleteFunc(live, func(x *DelayedCall) bool { return x == c }) }
	pick := func() *DelayedCall { return live[rng.IntN(len(live))] }
	// Delays cluster on a few values so that equal due times are common.
	delay := func() time.Duration {
		switch rng.IntN(6) {
		case 0:
			return 0
		case 1:
			return -time.Duration(rng.IntN(5))
		case 2:
			return time.Duration(rng.IntN(3)) * 10
		default:
			return time.Duration(rng.IntN(200))
		}
	}
	for i := range steps {
		switch op := rng.IntN(10); {
		case op < 4:
			live = append(live, q.schedule(delay(), nil, nil))
		case op == 4 && len(live) > 0:
			c := pick()
			if err := c.Cancel(); err != nil {
				t.Fatalf("step %d: Cancel of a live call: %v", i, err)
			}
			drop(c)
		case op == 5 && len(live) > 0:
			if err := pick().Reset(delay()); err != nil {
				t.Fatalf("step %d: Reset: %v", i, err)
			}
		case op == 6 && len(live) > 0:
			if err := pick().Delay(time.Duration(rng.IntN(50))); err != nil {
				t.Fatalf("step %d: Delay: %v", i, err)
			}
		case op == 7:
			q.deferAdds = !q.deferAdds
			if !q.deferAdds {
				q.flushPending()
			}
		default:
			now += int64(rng.IntN(40))
			q.flushPending() // as a pass begins
			q.deferAdds = false
			slices.SortFunc(live, order)
			for {
				c := q.popDue(now)
				var want *DelayedCall
				if len(live) > 0 && live[0].when <= now {
					want = live[0]
				}
				if c != want {
					t.Fatalf("step %d: popDue(%d) = %v, want %v", i, now, c, want)
				}
				if c == nil {
					break
				}
				c.run()
				live = live[1:]
			}
		}
		got := q.calls()
		if len(got) != len(live) {
			t.Fatalf("step %d: %d calls queued, want %d", i, len(got), len(live))
		}
		for _, c := range live {
			if !slices.Contains(got, c) {
				t.Fatalf("step %d: live call %v missing from calls()", i, c)
			}
		}
		queued := slices.DeleteFunc(slices.Concat(q.heap, q.run), func(c *DelayedCall) bool { return c == nil })
		when, ok := q.next()
		if ok != (len(queued) > 0) || ok && when != slices.MinFunc(queued, order).when {
			t.Fatalf("step %d: next() = %d, %v; queued %v", i, when, ok, queued)
		}
	}
}

// A delay too long to add to the clock comes never, not at once.
func TestTimerQueue_HugeDelaySaturates(t *testing.T) {
	c := NewClock()
	c.Advance(time.Second)
	far := c.CallLater(math.MaxInt64, nil)
	near := c.CallLater(math.MinInt64, nil)
	c.Advance(time.Hour)
	if far.Called() || !near.Called() {
		t.Errorf("after an hour: far called=%v (want false), near called=%v (want true)", far.Called(), near.Called())
	}
	if got := far.GetTime(); got < 9e9 {
		t.Errorf("far GetTime = %v, want the end of time", got)
	}
}

// Reset, Delay and Advance saturate at the largest time, as CallLater
// does, instead of wrapping to a time in the past (which would fire the
// call at once).
func TestTimers_HugeDelaysSaturate(t *testing.T) {
	cases := []struct {
		name string
		move func(c *Clock, call *DelayedCall)
	}{
		{"Reset(MaxInt64)", func(c *Clock, call *DelayedCall) { _ = call.Reset(math.MaxInt64) }},
		{"Delay(MaxInt64)", func(c *Clock, call *DelayedCall) { _ = call.Delay(math.MaxInt64) }},
		{"Delay(MaxInt64) twice", func(c *Clock, call *DelayedCall) {
			_ = call.Delay(math.MaxInt64)
			_ = call.Delay(math.MaxInt64)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClock()
			c.Advance(time.Second) // a started clock: now + huge overflows
			ran := false
			call := c.CallLater(time.Second, func() { ran = true })
			tc.move(c, call)
			c.Advance(time.Hour)
			if ran || !call.Active() {
				t.Fatalf("the call ran (or is not active): ran=%v active=%v", ran, call.Active())
			}
		})
	}
	t.Run("Advance past the largest time", func(t *testing.T) {
		c := NewClock()
		c.Advance(time.Second)
		ran := 0
		c.CallLater(time.Hour, func() { ran++ })
		c.Advance(math.MaxInt64)
		c.Advance(math.MaxInt64)
		if ran != 1 {
			t.Errorf("the call ran %d times, want 1", ran)
		}
		if s := c.Seconds(); s < 9e9 {
			t.Errorf("Seconds() = %v after advancing to the end of time: it wrapped", s)
		}
		late := false
		c.CallLater(time.Second, func() { late = true })
		c.Advance(0)
		if !late {
			t.Error("a call scheduled at the end of time never runs")
		}
	})
}
