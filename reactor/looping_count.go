package reactor

import (
	"fmt"
	"time"
)

// NewLoopingCallWithCount ports LoopingCall.withCount: a [LoopingCall] whose
// function is told how many intervals have passed since its last call. The
// count is normally 1; it is more when intervals were skipped — the
// scheduler ran late, f's Deferred took longer than an interval, or f itself
// did — so that an animation, say, can advance by the frames it missed.
//
// Counting follows Twisted: intervals are numbered from the loop's start
// (or last Reset), and the count is the number of the interval now minus
// that of the last call. A call that finds the count 0 (the loop was
// rescheduled within the interval it last ran in) does not call f. With an
// interval of 0 the count is always 1. As in Twisted, the time of the last
// call is kept across Stop and Start, so the first count after a restart
// counts from the last call of the previous run. Times are integer
// nanoseconds, so counts never suffer from the float rounding Twisted
// guards against.
func NewLoopingCallWithCount(s Time, f func(count int) (any, error)) *LoopingCall {
	lc := &LoopingCall{s: s, counted: f}
	if f != nil {
		lc.f = lc.countThenCall
	}
	return lc
}

// countThenCall is the function a counting loop calls: Twisted's counter.
func (lc *LoopingCall) countThenCall() (any, error) {
	now := lc.now()
	if lc.interval == 0 {
		lc.lastCall, lc.calledOnce = now, true
		return lc.counted(1)
	}
	last := lc.lastCall
	if !lc.calledOnce {
		last = lc.start
		if lc.runAtStart {
			last -= int64(lc.interval)
		}
	}
	count := lc.intervalOf(now) - lc.intervalOf(last)
	if count <= 0 {
		return nil, nil
	}
	lc.lastCall, lc.calledOnce = now, true
	return lc.counted(int(count))
}

// intervalOf numbers the interval t falls in, counted from the start and
// truncated toward zero as Python's int() does.
func (lc *LoopingCall) intervalOf(t int64) int64 {
	return (t - lc.start) / int64(lc.interval)
}

// SetInterval changes the interval of a loop, as assigning Twisted's
// interval attribute does: it takes effect when the next call is scheduled
// (the call already scheduled keeps its time), and a counting loop counts
// in the new interval from then on. It returns [ErrNegativeInterval] for
// an interval below 0.
func (lc *LoopingCall) SetInterval(interval time.Duration) error {
	if interval < 0 {
		return fmt.Errorf("%w: %v", ErrNegativeInterval, interval)
	}
	lc.interval = interval
	return nil
}
