package reactor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TR-11 (E-02): the fake Clock.
func TestClock_TR11(t *testing.T) {
	t.Run("starts at 0 and moves only with Advance; the zero Clock works", func(t *testing.T) {
		var c Clock
		if c.Seconds() != 0 {
			t.Errorf("Seconds = %v", c.Seconds())
		}
		ran := false
		c.CallLater(time.Second, func() { ran = true })
		c.Advance(1500 * time.Millisecond)
		if !ran || c.Seconds() != 1.5 {
			t.Errorf("ran=%v Seconds=%v", ran, c.Seconds())
		}
	})
	t.Run("equal times FIFO; nested CallLater(0) runs in the same Advance", func(t *testing.T) {
		c := NewClock()
		var ev events
		for i := range 12 {
			name := fmt.Sprint(i)
			c.CallLater(time.Second, ev.adder(name))
		}
		c.CallLater(0, func() { ev.add("f"); c.CallLater(0, ev.adder("nested0")) })
		c.CallLater(-time.Second, ev.adder("negative delay"))
		c.Advance(0)
		ev.add("advance(1s)")
		c.Advance(time.Second)
		want := events{"negative delay", "f", "nested0", "advance(1s)", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a panic escapes Advance; the call is consumed, later ones wait", func(t *testing.T) {
		c := NewClock()
		var ev events
		c.CallLater(time.Second, func() { ev.add("boom"); panic("boom") })
		c.CallLater(time.Second, ev.adder("after boom"))
		func() {
			defer func() {
				if v := recover(); v != "boom" {
					t.Errorf("recovered %v, want the call's panic", v)
				}
			}()
			c.Advance(time.Second)
		}()
		ev.add("advance(0)")
		c.Advance(0)
		if diff := cmp.Diff(events{"boom", "advance(0)", "after boom"}, ev); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("Pump, GetDelayedCalls and cancel", func(t *testing.T) {
		c := NewClock()
		var ev events
		a := c.CallLater(time.Second, ev.adder("1s"))
		b := c.CallLater(3*time.Second, ev.adder("3s"))
		gone := c.CallLater(2*time.Second, ev.adder("cancelled"))
		_ = gone.Cancel()
		if got := c.GetDelayedCalls(); len(got) != 2 {
			t.Errorf("GetDelayedCalls = %d calls, want 2", len(got))
		}
		c.Pump(time.Second, time.Second, time.Second)
		if diff := cmp.Diff(events{"1s", "3s"}, ev); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !a.Called() || !b.Called() || len(c.GetDelayedCalls()) != 0 {
			t.Errorf("after Pump: %v", c.GetDelayedCalls())
		}
		if got := b.GetTime(); got != 3 {
			t.Errorf("GetTime = %v", got)
		}
	})
	t.Run("String names the function, and where it was scheduled when recording call sites", func(t *testing.T) {
		for _, sites := range []bool{false, true} {
			c := NewClock()
			c.callSites = sites
			call := c.CallLater(99*time.Second, clockTestTarget)
			s := call.String()
			for _, part := range []string{"[99.000s]", "called=0 cancelled=0", "reactor.clockTestTarget()"} {
				if !strings.Contains(s, part) {
					t.Errorf("call sites %v: String() = %q, lacks %q", sites, s, part)
				}
			}
			if got := strings.Contains(s, "scheduled at") && strings.Contains(s, "clock_test.go:"); got != sites {
				t.Errorf("call sites %v: String() = %q names the scheduling line: %v", sites, s, got)
			}
		}
	})
}

func clockTestTarget() {}

// R-05 on a Clock, as Twisted 22.4's task.Clock does it: ties run in the
// order of its list, which CallLater and Advance sort stably by time while
// Reset and Delay leave a moved call where it was. (Expected orders
// printed by task.Clock for the same steps.)
func TestClock_TiesInTwistedListOrder_R05(t *testing.T) {
	s := time.Second
	cases := []struct {
		name  string
		steps func(c *Clock, call func(name string, d time.Duration) *DelayedCall)
		want  []string
	}{
		{"a call reset later keeps its place ahead", func(c *Clock, call func(string, time.Duration) *DelayedCall) {
			call("A", 5*s)
			call("B", 3*s).Reset(5 * s)
		}, []string{"B", "A"}},
		{"a call moved later and back keeps its place", func(c *Clock, call func(string, time.Duration) *DelayedCall) {
			call("A", 0)
			b := call("B", 0)
			call("C", 0)
			_ = b.Reset(3 * s)
			_ = b.Reset(0)
		}, []string{"A", "B", "C"}},
		{"a call delayed past others is sorted after them by the next CallLater", func(c *Clock, call func(string, time.Duration) *DelayedCall) {
			a := call("A", 0)
			_ = a.Delay(3 * s)
			call("B", 0)
			call("C", 0)
			_ = a.Reset(0)
		}, []string{"B", "C", "A"}},
	}
	for _, tc := range cases {
		c := NewClock()
		var got []string
		tc.steps(c, func(name string, d time.Duration) *DelayedCall {
			return c.CallLater(d, func() { got = append(got, name) })
		})
		c.Advance(10 * s)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
