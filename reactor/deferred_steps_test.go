package reactor

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"
	"weak"

	"github.com/google/go-cmp/cmp"
)

// D-04, D-07, D-09: chains longer than one block of stored steps run in
// order, whether the steps are added before the Deferred fires, from inside
// its own callbacks, or while it waits on another Deferred; every step runs
// exactly once and a drained Deferred holds no block.
func TestDeferred_LongChainsAcrossStepBlocks_D04_D07_D09(t *testing.T) {
	sizes := []int{1, stepBlockLen - 1, stepBlockLen, stepBlockLen + 1, 2*stepBlockLen + 3, 100}
	cases := []struct {
		name  string
		waits bool // the chain waits on another Deferred half way
		run   func(n int, ev *events) *Deferred
	}{
		{"added before firing", false, func(n int, ev *events) *Deferred {
			d := NewDeferred(nil)
			for i := range n {
				d.AddCallback(stepAppender(ev, i))
			}
			_ = d.Callback(0)
			return d
		}},
		{"each step adds the next while running", false, func(n int, ev *events) *Deferred {
			d := NewDeferred(nil)
			var add func(i int)
			add = func(i int) {
				d.AddCallback(func(v any) (any, error) {
					ev.add(fmt.Sprint("step ", i))
					if i+1 < n {
						add(i + 1)
					}
					return v.(int) + 1, nil
				})
			}
			add(0)
			_ = d.Callback(0)
			return d
		}},
		{"a wait half way, with steps stored after it and more added while waiting", true, func(n int, ev *events) *Deferred {
			d, inner := NewDeferred(nil), NewDeferred(nil)
			for i := range n {
				if i == n/2 {
					d.AddCallback(func(v any) (any, error) {
						ev.add("wait")
						inner.AddCallback(func(any) (any, error) { return v, nil })
						return inner, nil
					})
				}
				if i < n-n/4 {
					d.AddCallback(stepAppender(ev, i))
				}
			}
			_ = d.Callback(0)
			for i := n - n/4; i < n; i++ {
				d.AddCallback(stepAppender(ev, i))
			}
			ev.add("fire inner")
			_ = inner.Callback(nil)
			return d
		}},
		{"fired first, then steps added one by one", false, func(n int, ev *events) *Deferred {
			d := Succeed(0)
			for i := range n {
				d.AddCallback(stepAppender(ev, i))
			}
			return d
		}},
	}
	for _, c := range cases {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%s/%d steps", c.name, n), func(t *testing.T) {
				var ev events
				d := c.run(n, &ev)
				var want events
				for i := range n {
					if c.waits && i == n/2 {
						want = append(want, "wait", "fire inner")
					}
					want = append(want, fmt.Sprint("step ", i))
				}
				if diff := cmp.Diff(want, ev); diff != "" {
					t.Errorf("steps (-want +got):\n%s", diff)
				}
				if d.Result() != n {
					t.Errorf("result %v, want %d", d.Result(), n)
				}
				if d.steps != nil {
					t.Errorf("a drained Deferred still holds a step block")
				}
			})
		}
	}
}

// stepAppender is a callback that notes step i and adds one to the result.
func stepAppender(ev *events, i int) Callback {
	return func(v any) (any, error) {
		ev.add(fmt.Sprint("step ", i))
		return v.(int) + 1, nil
	}
}

// D-05: a panicking callback in the middle of a long chain becomes a
// Failure for the rest of the chain, which goes on to the errbacks after it
// in order, however many blocks the chain spans.
func TestDeferred_PanicMidLongChain_D05(t *testing.T) {
	var ev events
	d := NewDeferred(nil)
	for i := range 2*stepBlockLen + 2 {
		switch {
		case i == stepBlockLen-1:
			d.AddCallback(func(any) (any, error) { ev.add("panic"); panic("mid-chain") })
		case i > stepBlockLen-1 && i%2 == 0:
			d.AddErrback(func(f *Failure) (any, error) { ev.add("errback " + f.ErrorMessage()); return nil, f })
		default:
			d.AddCallback(func(v any) (any, error) { ev.add("callback"); return v, nil })
		}
	}
	d.AddErrback(func(*Failure) (any, error) { ev.add("recovered"); return "ok", nil })
	_ = d.Callback(nil)
	want := events{}
	for range stepBlockLen - 1 {
		want = append(want, "callback")
	}
	want = append(want, "panic")
	for i := stepBlockLen; i < 2*stepBlockLen+2; i++ {
		if i%2 == 0 {
			want = append(want, "errback panic: mid-chain")
		}
	}
	want = append(want, "recovered")
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if d.Result() != "ok" {
		t.Errorf("result %v, want ok", d.Result())
	}
}

// The Deferred is allocated once per operation, and allocation here costs
// in proportion to its size class: keep it at 48 bytes (see Deferred.flags).
// A stepBlock must stay within the 512-byte class (see stepBlockLen).
func TestDeferred_SizeClasses(t *testing.T) {
	if got := unsafe.Sizeof(Deferred{}); got > 48 {
		t.Errorf("Deferred is %d bytes, want at most 48", got)
	}
	if got := unsafe.Sizeof(stepBlock{}); got > 512 {
		t.Errorf("stepBlock is %d bytes, want at most 512", got)
	}
}

// D-09: a Deferred waiting on another holds no callback that has already
// run (Twisted drops each as it runs it), so what such a callback captured
// can be collected during the wait.
func TestDeferred_WaitingReleasesRunCallbacks_D09(t *testing.T) {
	outer, inner := NewDeferred(nil), NewDeferred(nil)
	holding := func(p *[1 << 16]byte) Callback {
		return func(v any) (any, error) { _ = p[0]; return v, nil }
	}
	captured := new([1 << 16]byte)
	gone := weak.Make(captured)
	outer.AddCallback(holding(captured))
	outer.AddCallback(func(any) (any, error) { return inner, nil })
	outer.AddCallback(func(v any) (any, error) { return v, nil })
	_ = outer.Callback(1)
	runtime.GC()
	if gone.Value() != nil {
		t.Error("a callback that ran is still reachable from the waiting Deferred")
	}
	_ = inner.Callback(2)
	if outer.Result() != 2 {
		t.Errorf("outer result = %v, want 2", outer.Result())
	}
}
