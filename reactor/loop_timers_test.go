package reactor

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// timed calls, thread calls, triggers and Deferred callbacks fired by
// the reactor all run on the goroutine that called Run.
func TestReactor_OneGoroutineRunsEverything_R01(t *testing.T) {
	r, _ := newReactor(t)
	runner := goid()
	seen := map[string]int{}
	d := NewDeferred(nil)
	d.AddCallback(func(any) (any, error) { seen["deferred callback"] = goid(); return nil, nil })
	r.CallWhenRunning(func() { seen["callWhenRunning"] = goid() })
	r.CallLater(time.Millisecond, func() {
		seen["timed call"] = goid()
		_ = d.Callback(nil)
		go r.CallFromThread(func() {
			seen["callFromThread"] = goid()
			_ = r.Stop()
		})
	})
	run(t, r, 5*time.Second)
	want := map[string]int{"deferred callback": runner, "callWhenRunning": runner, "timed call": runner, "callFromThread": runner}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("goroutines (-want +got):\n%s", diff)
	}
}

// CallLater returns a DelayedCall due at Seconds()+delay.
func TestReactor_CallLaterDueTime_R02(t *testing.T) {
	r, _ := newReactor(t)
	before := r.Seconds()
	c := r.CallLater(90*time.Second, nil)
	after := r.Seconds()
	if got := c.GetTime(); got < before+90 || got > after+90 {
		t.Errorf("GetTime = %f, want within [%f, %f]", got, before+90, after+90)
	}
	if wall := float64(time.Now().UnixNano()) / 1e9; math.Abs(r.Seconds()-wall) > 1 {
		t.Errorf("Seconds = %f, wall clock %f", r.Seconds(), wall)
	}
	if !c.Active() {
		t.Error("a new DelayedCall is not active")
	}
	_ = c.Cancel()
}

// TR-06: DelayedCall.String names the function; when the reactor records
// call sites (trial's do, and WithDebugging) also the line that scheduled
// the call, the first one outside this package for a call DeferLater makes.
func TestReactor_CallSitesNameTheLine_TR06(t *testing.T) {
	r, _ := newReactor(t)
	cases := []struct {
		name  string
		sites bool
		make  func() *DelayedCall
	}{
		{"CallLater, sites off", false, func() *DelayedCall { return r.CallLater(time.Hour, clockTestTarget) }},
		{"CallLater, sites on", true, func() *DelayedCall { return r.CallLater(time.Hour, clockTestTarget) }},
		{"DeferLater, sites on", true, func() *DelayedCall {
			DeferLater(r, time.Hour, nil)
			calls := r.GetDelayedCalls()
			return calls[len(calls)-1]
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r.scope.CallSites = c.sites
			call := c.make()
			defer func() { _ = call.Cancel() }()
			s := call.String()
			if !strings.Contains(s, "called=0 cancelled=0 reactor.") {
				t.Errorf("String() = %q does not name the function", s)
			}
			if got := strings.Contains(s, "scheduled at ") && strings.Contains(s, "loop_timers_test.go:"); got != c.sites {
				t.Errorf("String() = %q names this file's line: %v, want %v", s, got, c.sites)
			}
		})
	}
}

// R-03 and R-04 (E-01): calls made while a pass runs due calls - directly, or
// from a Deferred callback a timed call fired - run in the next pass.
// WithDebugging records call sites too.
func TestReactor_WithDebuggingRecordsCallSites(t *testing.T) {
	r, err := New(WithDebugging())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	call := r.CallLater(time.Hour, clockTestTarget)
	defer call.Cancel()
	if s := call.String(); !strings.Contains(s, "loop_timers_test.go:") {
		t.Errorf("String() = %q does not name the scheduling line", s)
	}
}

func TestReactor_PassOrder_E01_R03_R04(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	r.CallLater(0, func() {
		ev.add("A")
		r.CallLater(0, ev.adder("C"))
		d := NewDeferred(nil)
		d.AddCallback(func(any) (any, error) {
			r.CallLater(0, func() { ev.add("D"); _ = r.Stop() })
			return nil, nil
		})
		_ = d.Callback(nil)
	})
	r.CallLater(0, ev.adder("B"))
	want := events{"A", "B"}
	for i := range 20 {
		name := fmt.Sprintf("tie%d", i)
		r.CallLater(0, ev.adder(name))
		want = append(want, name)
	}
	want = append(want, "C", "D")
	run(t, r, 5*time.Second)
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// R-04 (E-02): pass by pass, with Iterate: f and g in pass 1, the call f
// made in pass 2.
func TestReactor_NestedCallLaterRunsNextPass_E02_R04(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	r.CallLater(0, func() { ev.add("f"); r.CallLater(0, ev.adder("nested0")) })
	r.CallLater(0, ev.adder("g"))
	var passes []events
	for range 2 {
		ev = nil
		r.Iterate(0)
		passes = append(passes, ev)
	}
	if diff := cmp.Diff([]events{{"f", "g"}, {"nested0"}}, passes); diff != "" {
		t.Errorf("passes (-want +got):\n%s", diff)
	}
}

// R-03 step 1 and R-10: a pass runs the thread calls queued when it began
// (before timed calls); one queued by them waits for the next pass, while a
// CallLater(0) they make is due in this pass's step 3.
func TestReactor_ThreadCallsBeforeTimersOnlyThoseQueued_R03_R10(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	r.CallLater(0, ev.adder("timer"))
	r.CallFromThread(func() {
		ev.add("thread A")
		r.CallFromThread(ev.adder("thread B"))
		r.CallLater(0, ev.adder("later from A"))
	})
	var passes []events
	for range 2 {
		ev = nil
		r.Iterate(0)
		passes = append(passes, ev)
	}
	want := []events{{"thread A", "timer", "later from A"}, {"thread B"}}
	if diff := cmp.Diff(want, passes); diff != "" {
		t.Errorf("passes (-want +got):\n%s", diff)
	}
}

// R-05 (E-02, braid's deviation): with the clock frozen, twelve calls due at
// the same instant run in the order they were scheduled. Twisted's heap gave
// [0,2,6,11,10,9,8,5,7,4,1,3].
func TestReactor_EqualTimesRunFIFO_R05(t *testing.T) {
	r, _ := newReactor(t)
	frozen := r.timers.now()
	r.timers.now = func() int64 { return frozen }
	var got, want []int
	for i := range 12 {
		r.CallLater(0, func() { got = append(got, i) })
		want = append(want, i)
	}
	r.Iterate(0)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tie order (-want +got):\n%s", diff)
	}
}

// R-06 (E-01): a panic in a timed call is logged and the pass goes on.
func TestReactor_PanicInTimedCallLoggedPassContinues_R06(t *testing.T) {
	r, log := newReactor(t)
	var ev events
	r.CallLater(0, func() { ev.add("boom"); panic(errors.New("boom")) })
	r.CallLater(0, ev.adder("after boom still runs"))
	r.Iterate(0)
	if diff := cmp.Diff(events{"boom", "after boom still runs"}, ev); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"timed call"}, log.whys()); diff != "" {
		t.Fatalf("logged (-want +got):\n%s", diff)
	}
	if p, ok := errors.AsType[*PanicError](log.evs[0].Failure); !ok || fmt.Sprint(p.Value) != "boom" {
		t.Errorf("logged failure = %v, want the panic value", log.evs[0].Failure)
	}
}

// Cancel, Reset and Delay refuse a call that ran or was cancelled,
// including from inside the call itself, where Active is already false.
func TestDelayedCall_CancelResetDelayErrors_R07(t *testing.T) {
	r, _ := newReactor(t)
	type result struct {
		Active                    bool
		Cancel, Reset, Delay, Get string
	}
	name := func(err error) string {
		switch {
		case err == nil:
			return "nil"
		case errors.Is(err, ErrDelayedCallAlreadyCalled):
			return "AlreadyCalled"
		case errors.Is(err, ErrDelayedCallAlreadyCancelled):
			return "AlreadyCancelled"
		}
		return err.Error()
	}
	var inside result
	var self *DelayedCall
	self = r.CallLater(0, func() {
		inside = result{Active: self.Active(), Cancel: name(self.Cancel()), Reset: name(self.Reset(time.Second)), Delay: name(self.Delay(time.Second))}
	})
	r.Iterate(0)
	after := result{Active: self.Active(), Cancel: name(self.Cancel()), Reset: name(self.Reset(time.Second)), Delay: name(self.Delay(time.Second))}

	c := r.CallLater(time.Hour, nil)
	first := name(c.Cancel())
	cancelled := result{Active: c.Active(), Cancel: name(c.Cancel()), Reset: name(c.Reset(time.Second)), Delay: name(c.Delay(time.Second))}

	called := result{Cancel: "AlreadyCalled", Reset: "AlreadyCalled", Delay: "AlreadyCalled"}
	want := []any{called, called, "nil", result{Cancel: "AlreadyCancelled", Reset: "AlreadyCancelled", Delay: "AlreadyCancelled"}}
	if diff := cmp.Diff(want, []any{inside, after, first, cancelled}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !self.Called() || self.Cancelled() || !c.Cancelled() || c.Called() {
		t.Errorf("flags: ran called=%v cancelled=%v; cancelled called=%v cancelled=%v",
			self.Called(), self.Cancelled(), c.Called(), c.Cancelled())
	}
	// Twisted's AlreadyCalled and AlreadyCancelled messages, Go-cased.
	if got := ErrDelayedCallAlreadyCancelled.Error(); got != "tried to cancel an already-cancelled event" {
		t.Errorf("ErrDelayedCallAlreadyCancelled = %q", got)
	}
	if got := ErrDelayedCallAlreadyCalled.Error(); got != "tried to cancel an already-called event" {
		t.Errorf("ErrDelayedCallAlreadyCalled = %q", got)
	}
}

// GetDelayedCalls lists pending calls, including ones scheduled during
// the current pass, and not those that ran or were cancelled.
func TestReactor_GetDelayedCalls_R08(t *testing.T) {
	r, _ := newReactor(t)
	keep := r.CallLater(time.Hour, nil)
	gone := r.CallLater(time.Hour, nil)
	_ = gone.Cancel()
	var during []*DelayedCall
	var inPass *DelayedCall
	r.CallLater(0, func() {
		inPass = r.CallLater(time.Hour, nil)
		during = r.GetDelayedCalls()
	})
	r.Iterate(0)
	has := func(cs []*DelayedCall, c *DelayedCall) bool {
		for _, x := range cs {
			if x == c {
				return true
			}
		}
		return false
	}
	if len(during) != 2 || !has(during, keep) || !has(during, inPass) {
		t.Errorf("during the pass: %v, want keep and the call made in the pass", during)
	}
	if got := r.GetDelayedCalls(); len(got) != 2 {
		t.Errorf("after: %d calls, want 2 (the ran and cancelled ones gone)", len(got))
	}
	_ = keep.Cancel()
	_ = inPass.Cancel()
	if got := r.GetDelayedCalls(); len(got) != 0 {
		t.Errorf("after cancelling all: %v", got)
	}
}

// R-09 (E-01 figures) on a Clock: reset and delay, earlier and later.
func TestClock_ResetAndDelayFireTimes_E01_R09(t *testing.T) {
	c := NewClock()
	fired := map[string]float64{}
	at := func(name string) func() { return func() { fired[name] = c.Seconds() } }
	later := c.CallLater(100*time.Millisecond, at("0.1 reset(0.2)"))
	earlier := c.CallLater(500*time.Millisecond, at("0.5 reset(0.06)"))
	delayed := c.CallLater(100*time.Millisecond, at("0.1 delay(0.1)"))
	moved := c.CallLater(100*time.Millisecond, at("0.1, at 0.05 reset(0.2)"))
	for _, err := range []error{later.Reset(200 * time.Millisecond), earlier.Reset(60 * time.Millisecond), delayed.Delay(100 * time.Millisecond)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := delayed.GetTime(); math.Abs(got-0.2) > 1e-9 {
		t.Errorf("GetTime after Delay = %v, want 0.2", got)
	}
	c.Advance(50 * time.Millisecond)
	if err := moved.Reset(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		c.Advance(10 * time.Millisecond)
	}
	want := map[string]float64{"0.1 reset(0.2)": 0.2, "0.5 reset(0.06)": 0.06, "0.1 delay(0.1)": 0.2, "0.1, at 0.05 reset(0.2)": 0.25}
	if diff := cmp.Diff(want, fired, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
		t.Errorf("fire times (-want +got):\n%s", diff)
	}
}

// R-09 on the reactor: a call moved earlier with Reset runs before one that
// was scheduled sooner, and Delay pushes a call behind another.
func TestReactor_ResetAndDelayReorder_R09(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	r.CallLater(30*time.Millisecond, func() { ev.add("30ms"); _ = r.Stop() })
	slow := r.CallLater(time.Hour, ev.adder("hour reset to 10ms"))
	fast := r.CallLater(time.Millisecond, ev.adder("1ms delayed by 19ms"))
	if err := slow.Reset(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := fast.Delay(19 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	run(t, r, 5*time.Second)
	if diff := cmp.Diff(events{"hour reset to 10ms", "1ms delayed by 19ms", "30ms"}, ev); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// CallFromThread from many goroutines at once: every call runs, on the
// reactor goroutine, and each goroutine's calls in the order it made them.
func TestReactor_CallFromThreadFIFOFromManyGoroutines_R10(t *testing.T) {
	r, _ := newReactor(t)
	const goroutines, calls = 8, 200
	got := make([][]int, goroutines)
	total := 0
	var wg sync.WaitGroup
	r.CallWhenRunning(func() {
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range calls {
					r.CallFromThread(func() {
						got[g] = append(got[g], i)
						if total++; total == goroutines*calls {
							_ = r.Stop()
						}
					})
				}
			}()
		}
	})
	run(t, r, 10*time.Second)
	wg.Wait()
	want := make([]int, calls)
	for i := range want {
		want[i] = i
	}
	for g := range goroutines {
		if diff := cmp.Diff(want, got[g]); diff != "" {
			t.Errorf("goroutine %d (-want +got):\n%s", g, diff)
		}
	}
}

// a panic in a thread call is logged; the next one still runs.
func TestReactor_PanicInThreadCallLogged_R10(t *testing.T) {
	r, log := newReactor(t)
	var ev events
	r.CallFromThread(func() { panic("bad") })
	r.CallFromThread(ev.adder("next"))
	r.Iterate(0)
	if diff := cmp.Diff(events{"next"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"callFromThread"}, log.whys()); diff != "" {
		t.Errorf("logged (-want +got):\n%s", diff)
	}
}

// CallFromThread racing with the reactor releasing its poller (Close,
// as when Run returns) and reopening one (a later Iterate) neither races on
// the poller nor writes to a closed eventfd; every call still runs.
func TestReactor_CallFromThreadWhilePollerReleasedAndReopened_R10(t *testing.T) {
	r, _ := newReactor(t)
	const n = 300
	var ran atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			ack := make(chan struct{})
			r.CallFromThread(func() { ran.Add(1); close(ack) })
			<-ack // one at a time: each call finds the queue empty and wakes the loop
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for k := 0; ; k++ {
		select {
		case <-done:
			if got := ran.Load(); got != n {
				t.Errorf("%d of %d thread calls ran", got, n)
			}
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d thread calls ran", ran.Load(), n)
		}
		r.Iterate(50 * time.Microsecond)
		if k%3 == 0 {
			_ = r.Close()
		}
	}
}
