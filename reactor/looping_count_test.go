package reactor

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Ports of test_task.py's LoopingCall.withCount tests (LoopTests and
// ReactorLoopTests), on a Clock.

type countedCall struct {
	At    float64
	Count int
}

// countLoop starts a counting loop on c that records when it is called and
// with what count; then, if set, returns what body returns.
func countLoop(t *testing.T, c *Clock, interval time.Duration, now bool, body func(calls int) (any, error)) (*LoopingCall, *Deferred, *[]countedCall) {
	t.Helper()
	var got []countedCall
	lc := NewLoopingCallWithCount(c, func(count int) (any, error) {
		got = append(got, countedCall{c.Seconds(), count})
		if body != nil {
			return body(len(got))
		}
		return nil, nil
	})
	d, err := lc.Start(interval, now)
	if err != nil {
		t.Fatal(err)
	}
	return lc, d, &got
}

func checkCounts(t *testing.T, step string, want []countedCall, got []countedCall) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: calls (-want +got):\n%s", step, diff)
	}
}

// test_reactorTimeCountSkips: a call that comes more than one interval late
// is told how many intervals passed; advancing by 0 calls nothing.
func TestLoopingCallWithCount_CountsSkippedIntervals(t *testing.T) {
	c := NewClock()
	const interval, late = 500 * time.Millisecond, 10 * time.Millisecond
	_, _, got := countLoop(t, c, interval, true, nil)
	checkCounts(t, "start", []countedCall{{0, 1}}, *got)
	c.Advance(interval + late)
	checkCounts(t, "one interval", []countedCall{{0, 1}, {0.51, 1}}, *got)
	c.Advance(3*interval + late)
	want := []countedCall{{0, 1}, {0.51, 1}, {2.02, 3}}
	checkCounts(t, "three intervals", want, *got)
	c.Advance(0)
	checkCounts(t, "advance 0", want, *got)
}

// test_countLengthyIntervalCounts: a call late by less than a whole
// interval still counts 1, as does the punctual one after it.
func TestLoopingCallWithCount_LateButSameInterval(t *testing.T) {
	c := NewClock()
	const interval, late = 500 * time.Millisecond, 10 * time.Millisecond
	_, _, got := countLoop(t, c, interval, true, nil)
	c.Advance(interval + late)
	c.Advance(interval * 7 / 4)
	c.Advance(interval / 4)
	checkCounts(t, "", []countedCall{{0, 1}, {0.51, 1}, {1.385, 1}, {1.51, 1}}, *got)
}

// test_withCountFloatingPointBoundary: a tenth of a second is not exact in
// floating point, but braid counts in nanoseconds: ten intervals of 100 ms
// give counts summing to 10, none of them 0.
func TestLoopingCallWithCount_TenthsSumExactly(t *testing.T) {
	c := NewClock()
	_, _, got := countLoop(t, c, 100*time.Millisecond, false, nil)
	for range 10 {
		c.Advance(100 * time.Millisecond)
	}
	sum := 0
	for _, call := range *got {
		if call.Count == 0 {
			t.Errorf("a call was given count 0: %v", *got)
		}
		sum += call.Count
	}
	if sum != 10 {
		t.Errorf("counts sum to %d, want 10: %v", sum, *got)
	}
}

// test_withCountIntervalZero: with interval 0 every call counts 1; on a
// Clock the loop runs within one Advance until it stops itself.
func TestLoopingCallWithCount_IntervalZero(t *testing.T) {
	c := NewClock()
	var lc *LoopingCall
	lc, d, got := countLoop(t, c, 0, false, func(calls int) (any, error) {
		if calls > 4 {
			return nil, lc.Stop()
		}
		return nil, nil
	})
	c.Advance(0)
	if !d.Called() || d.Result() != lc {
		t.Errorf("Start's Deferred: called=%v result=%v", d.Called(), d.Result())
	}
	checkCounts(t, "", []countedCall{{0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}}, *got)
}

// test_withCountIntervalZeroDelay: a Deferred returned at interval 0 holds
// the loop however long it takes, and the calls after it still count 1.
func TestLoopingCallWithCount_IntervalZeroWaitsForDeferred(t *testing.T) {
	c := NewClock()
	wait := NewDeferred(nil)
	var lc *LoopingCall
	lc, _, got := countLoop(t, c, 0, false, func(calls int) (any, error) {
		switch {
		case calls == 2:
			return wait, nil
		case calls > 4:
			return nil, lc.Stop()
		}
		return nil, nil
	})
	c.Advance(0)
	c.Advance(2 * time.Second)
	checkCounts(t, "waiting", []countedCall{{0, 1}, {0, 1}}, *got)
	_ = wait.Callback(nil)
	c.Advance(0)
	checkCounts(t, "after", []countedCall{{0, 1}, {0, 1}, {2, 1}, {2, 1}, {2, 1}}, *got)
}

// test_withCountIntervalZeroDelayThenNonZeroInterval: the time of the last
// call is kept at interval 0, so after SetInterval the next count covers
// the intervals since that call.
func TestLoopingCallWithCount_IntervalZeroThenSetInterval(t *testing.T) {
	c := NewClock()
	wait := NewDeferred(nil)
	lc, _, got := countLoop(t, c, 0, false, func(calls int) (any, error) {
		if calls == 2 {
			return wait, nil
		}
		return nil, nil
	})
	c.Advance(10 * time.Second)
	counts := func() []int {
		var n []int
		for _, call := range *got {
			n = append(n, call.Count)
		}
		return n
	}
	if diff := cmp.Diff([]int{1, 1}, counts()); diff != "" {
		t.Errorf("waiting (-want +got):\n%s", diff)
	}
	if err := lc.SetInterval(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	_ = wait.Callback(nil)
	for _, step := range []struct {
		advance time.Duration
		want    []int
	}{
		{7 * time.Second, []int{1, 1, 3}},
		{2 * time.Second, []int{1, 1, 3, 1}},
		{4 * time.Second, []int{1, 1, 3, 1, 2}},
	} {
		c.Advance(step.advance)
		if diff := cmp.Diff(step.want, counts()); diff != "" {
			t.Errorf("after %v (-want +got):\n%s", step.advance, diff)
		}
	}
	if err := lc.SetInterval(-time.Second); err == nil {
		t.Error("SetInterval(-1s) succeeded")
	}
}

// test_deferredWithCount: while the first call's Deferred is pending no
// call is made, and the call after it counts the intervals it missed.
func TestLoopingCallWithCount_PendingDeferredCountsMissed(t *testing.T) {
	c := NewClock()
	wait := NewDeferred(nil)
	_, _, got := countLoop(t, c, 200*time.Millisecond, false, func(calls int) (any, error) {
		if calls == 1 {
			return wait, nil
		}
		return nil, nil
	})
	if len(*got) != 0 {
		t.Fatalf("called before the first interval: %v", *got)
	}
	c.Pump(200*time.Millisecond, 400*time.Millisecond)
	if len(*got) != 1 {
		t.Fatalf("calls while pending = %v, want one", *got)
	}
	_ = wait.Callback(nil)
	c.Pump(200 * time.Millisecond)
	checkCounts(t, "", []countedCall{{0.2, 1}, {0.8, 3}}, *got)
}

// A nil function is refused at Start, as for NewLoopingCall; String names
// the counting function.
func TestLoopingCallWithCount_NilAndString(t *testing.T) {
	if _, err := NewLoopingCallWithCount(NewClock(), nil).Start(time.Second, true); err == nil {
		t.Error("Start with a nil function succeeded")
	}
	lc := NewLoopingCallWithCount(NewClock(), countedTick)
	if got, want := lc.String(), "LoopingCall<0s>(reactor.countedTick)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func countedTick(int) (any, error) { return nil, nil }
