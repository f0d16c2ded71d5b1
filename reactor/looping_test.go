package reactor

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// loopTimes starts a LoopingCall on a Clock that records when it is called.
func loopTimes(t *testing.T, c *Clock, interval time.Duration, now bool, f func() (any, error)) (*LoopingCall, *Deferred, *[]float64) {
	t.Helper()
	var times []float64
	lc := NewLoopingCall(c, func() (any, error) {
		times = append(times, c.Seconds())
		if f != nil {
			return f()
		}
		return nil, nil
	})
	d, err := lc.Start(interval, now)
	if err != nil {
		t.Fatal(err)
	}
	return lc, d, &times
}

// TR-12 (E-08): calls aligned to start + k·interval; after a 3.5 s jump one
// late call at 6.5, then the next aligned time, 7.0.
func TestLoopingCall_AlignedSkipsMissed_E08_TR12(t *testing.T) {
	c := NewClock()
	lc, d, times := loopTimes(t, c, time.Second, true, nil)
	c.Pump(time.Second, time.Second, time.Second)
	c.Advance(3500 * time.Millisecond)
	c.Advance(500 * time.Millisecond)
	if diff := cmp.Diff([]float64{0, 1, 2, 3, 6.5, 7}, *times); diff != "" {
		t.Errorf("call times (-want +got):\n%s", diff)
	}
	if err := lc.Stop(); err != nil {
		t.Fatal(err)
	}
	if d.Result() != lc {
		t.Errorf("Start's Deferred = %v, want the LoopingCall", d.Result())
	}
	if lc.Running() || len(c.GetDelayedCalls()) != 0 {
		t.Errorf("after Stop: running=%v pending=%d", lc.Running(), len(c.GetDelayedCalls()))
	}
}

// TR-12: now=false waits one interval; interval 0 calls again at once (on a
// Clock within the same Advance, until f stops it); Reset restarts the
// alignment from now.
func TestLoopingCall_NowFalseZeroIntervalReset_TR12(t *testing.T) {
	c := NewClock()
	_, _, times := loopTimes(t, c, 2*time.Second, false, nil)
	c.Pump(time.Second, time.Second, time.Second, time.Second)
	if diff := cmp.Diff([]float64{2, 4}, *times); diff != "" {
		t.Errorf("now=false (-want +got):\n%s", diff)
	}

	z := NewClock()
	var lc *LoopingCall
	n := 0
	lc = NewLoopingCall(z, func() (any, error) {
		if n++; n == 3 {
			_ = lc.Stop()
		}
		return nil, nil
	})
	d, _ := lc.Start(0, false)
	z.Advance(0)
	if n != 3 || !d.Called() {
		t.Errorf("interval 0: %d calls, fired %v; want 3 and fired", n, d.Called())
	}

	r := NewClock()
	rl, _, rtimes := loopTimes(t, r, time.Second, true, nil)
	r.Advance(500 * time.Millisecond)
	if err := rl.Reset(); err != nil {
		t.Fatal(err)
	}
	r.Pump(time.Second, time.Second)
	if diff := cmp.Diff([]float64{0, 1.5, 2.5}, *rtimes); diff != "" {
		t.Errorf("Reset at 0.5 (-want +got):\n%s", diff)
	}
}

// TR-12 (E-08): f returning a Deferred: no further call until it fires, then
// the next aligned time; Stop while it is pending fires Start's Deferred
// when it fires.
func TestLoopingCall_DeferredResult_E08_TR12(t *testing.T) {
	c := NewClock()
	var inner *Deferred
	lc, d, times := loopTimes(t, c, time.Second, true, func() (any, error) {
		inner = NewDeferred(nil)
		return inner, nil
	})
	c.Advance(5500 * time.Millisecond)
	_ = inner.Callback(nil)
	c.Advance(500 * time.Millisecond)
	if diff := cmp.Diff([]float64{0, 6}, *times); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// At 6.0 f ran again and its Deferred is pending: Stop waits for it.
	if err := lc.Stop(); err != nil {
		t.Fatal(err)
	}
	if d.Called() {
		t.Error("fired while f's Deferred was pending")
	}
	if _, err := lc.Start(time.Second, true); !errors.Is(err, ErrLoopingCallRunning) {
		t.Errorf("Start while the last call's Deferred is pending: err = %v", err)
	}
	_ = inner.Callback(nil)
	if d.Result() != lc || len(c.GetDelayedCalls()) != 0 {
		t.Errorf("after the pending Deferred fired: result %v, %d calls pending", d.Result(), len(c.GetDelayedCalls()))
	}
}

// TR-12 (E-08): f failing - an error, a panic or a failing Deferred - stops
// the loop and errbacks Start's Deferred with that failure.
func TestLoopingCall_FailureStops_E08_TR12(t *testing.T) {
	boom := errors.New("boom")
	cases := map[string]func() (any, error){
		"error":            func() (any, error) { return nil, boom },
		"panic":            func() (any, error) { panic(boom) },
		"failing Deferred": func() (any, error) { return Fail(boom), nil },
	}
	for name, fail := range cases {
		t.Run(name, func(t *testing.T) {
			c := NewClock()
			calls := 0
			lc, d, _ := loopTimes(t, c, time.Second, true, func() (any, error) {
				if calls++; calls == 2 {
					return fail()
				}
				return nil, nil
			})
			c.Pump(time.Second, time.Second)
			if lc.Running() || calls != 2 || len(c.GetDelayedCalls()) != 0 {
				t.Errorf("running=%v calls=%d pending=%d", lc.Running(), calls, len(c.GetDelayedCalls()))
			}
			var got *Failure
			d.AddErrback(func(f *Failure) (any, error) { got = f; return nil, nil })
			if !errors.Is(got, boom) {
				t.Errorf("Start's Deferred got %v, want boom", got)
			}
		})
	}
}

// TR-12: Twisted's assertions and ValueError become errors.
func TestLoopingCall_Errors_TR12(t *testing.T) {
	c := NewClock()
	lc := NewLoopingCall(c, func() (any, error) { return nil, nil })
	if err := lc.Stop(); !errors.Is(err, ErrLoopingCallNotRunning) {
		t.Errorf("Stop when not running: %v", err)
	}
	if err := lc.Reset(); !errors.Is(err, ErrLoopingCallNotRunning) {
		t.Errorf("Reset when not running: %v", err)
	}
	if _, err := lc.Start(-time.Second, true); !errors.Is(err, ErrNegativeInterval) {
		t.Errorf("negative interval: %v", err)
	}
	if lc.Running() {
		t.Error("running after a refused Start")
	}
	if _, err := lc.Start(time.Second, false); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.Start(time.Second, false); !errors.Is(err, ErrLoopingCallRunning) {
		t.Errorf("double Start: %v", err)
	}
	if got := lc.String(); got != "LoopingCall<1s>(reactor.TestLoopingCall_Errors_TR12.func1)" {
		t.Errorf("String() = %q", got)
	}
	if lc.Interval() != time.Second {
		t.Errorf("Interval = %v", lc.Interval())
	}
	_ = lc.Stop()
	for _, bad := range []*LoopingCall{NewLoopingCall(nil, lc.f), NewLoopingCall(c, nil)} {
		if _, err := bad.Start(time.Second, true); err == nil {
			t.Errorf("%v started without a scheduler or function", bad)
		}
	}
}

// TR-12 on a real reactor: a 10 ms loop runs, stays aligned, and stops.
func TestLoopingCall_OnReactor_TR12(t *testing.T) {
	r, log := newReactor(t)
	var lc *LoopingCall
	var at []float64
	lc = NewLoopingCall(r, func() (any, error) {
		at = append(at, r.Seconds())
		if len(at) == 5 {
			_ = lc.Stop()
		}
		return nil, nil
	})
	var result any
	r.CallWhenRunning(func() {
		d, err := lc.Start(10*time.Millisecond, true)
		if err != nil {
			t.Error(err)
		}
		d.AddCallback(func(v any) (any, error) { result = v; return nil, r.Stop() })
	})
	run(t, r, 10*time.Second)
	if result != lc || len(at) != 5 || len(log.evs) != 0 {
		t.Fatalf("result %v, %d calls, logged %v", result, len(at), log.whys())
	}
	// Each call lands at or after its aligned time start + k·10ms.
	for k, s := range at {
		if late := s - (at[0] + float64(k)*0.010); late < -1e-6 {
			t.Errorf("call %d ran %.6fs early", k, -late)
		}
	}
	t.Logf("call times after start: %v", func() (out []string) {
		for _, s := range at {
			out = append(out, fmt.Sprintf("%.2fms", (s-at[0])*1000))
		}
		return out
	}())
}
