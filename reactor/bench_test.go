package reactor_test

// Benchmarks for the reactor core (issue 2). Run them with
//
//	go test -run '^$' -bench . -benchmem ./reactor/
//
// bench/cmd/sidebyside runs the same workloads beside Twisted and plain Go.

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/braid-go/braid/reactor"
)

// benchPassThrough is the callback every chain benchmark adds: it hands the
// result on, so the chain's own cost is what is measured. A package-level
// func value costs no allocation per AddCallback.
func benchPassThrough(r any) (any, error) { return r, nil }

// BenchmarkDeferred10Callbacks creates a Deferred, adds ten callbacks and
// fires it: the common shape of a Deferred in a protocol.
func BenchmarkDeferred10Callbacks(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d := reactor.NewDeferred(nil)
		for range 10 {
			d.AddCallback(benchPassThrough)
		}
		if err := d.Callback(1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeferredFiredAddCallback adds ten callbacks to a Deferred that has
// already fired (Succeed), so each one runs as it is added (D-07).
func BenchmarkDeferredFiredAddCallback(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d := reactor.Succeed(1)
		for range 10 {
			d.AddCallback(benchPassThrough)
		}
	}
}

// runReactor runs r on this goroutine with start as its first call and
// fails the benchmark if Run does.
func runReactor(b *testing.B, r *reactor.Reactor, start func()) {
	b.Helper()
	r.CallWhenRunning(start)
	if err := r.Run(); err != nil {
		b.Fatal(err)
	}
}

func newBenchReactor(b *testing.B) *reactor.Reactor {
	b.Helper()
	r, err := reactor.New()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkCallLaterFire schedules b.N zero-delay calls and lets the running
// reactor fire them, per call. In "batch=1000" a pass schedules the next
// thousand calls (their due time is now, so the next pass runs them all);
// in "batch=1" each call schedules the next, so every call costs a full
// reactor turn (an epoll_pwait2 with a zero timeout included).
func BenchmarkCallLaterFire(b *testing.B) {
	for _, batch := range []int{1000, 1} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			b.ReportAllocs()
			r := newBenchReactor(b)
			left, inBatch := b.N, 0
			var fire, scheduleBatch func()
			fire = func() {
				left--
				inBatch--
				switch {
				case left == 0:
					b.StopTimer()
					_ = r.Stop()
				case inBatch == 0:
					scheduleBatch()
				}
			}
			scheduleBatch = func() {
				inBatch = min(batch, left)
				for range inBatch {
					r.CallLater(0, fire)
				}
			}
			b.ResetTimer()
			runReactor(b, r, scheduleBatch)
		})
	}
}

// BenchmarkCallLaterCancel schedules a call an hour away and cancels it.
func BenchmarkCallLaterCancel(b *testing.B) {
	b.ReportAllocs()
	r := newBenchReactor(b)
	defer r.Close()
	f := func() {}
	for b.Loop() {
		if err := r.CallLater(time.Hour, f).Cancel(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallLaterCancelLoaded is BenchmarkCallLaterCancel with 10,000
// other calls pending, so the heap has depth: Cancel removes from the middle.
func BenchmarkCallLaterCancelLoaded(b *testing.B) {
	b.ReportAllocs()
	r := newBenchReactor(b)
	defer r.Close()
	f := func() {}
	for i := range 10000 {
		r.CallLater(time.Hour+time.Duration(i)*time.Millisecond, f)
	}
	for b.Loop() {
		if err := r.CallLater(time.Hour+5*time.Second, f).Cancel(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallFromThreadRoundTrip measures the hop into the reactor from
// another goroutine: CallFromThread, the reactor wakes (eventfd), runs the
// call, which signals back on a channel. Besides the mean (ns/op) it reports
// the median round trip in µs, the figure issue 2 sets a target for.
func BenchmarkCallFromThreadRoundTrip(b *testing.B) {
	b.ReportAllocs()
	r := newBenchReactor(b)
	running := make(chan struct{})
	r.CallWhenRunning(func() { close(running) })
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(); err != nil {
			b.Error(err)
		}
	})
	<-running

	done := make(chan struct{}, 1)
	ping := func() { done <- struct{}{} }
	trips := make([]time.Duration, 0, 1024)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		r.CallFromThread(ping)
		<-done
		trips = append(trips, time.Since(t0))
	}
	b.StopTimer()
	r.CallFromThread(func() { _ = r.Stop() })
	wg.Wait()
	slices.Sort(trips)
	b.ReportMetric(float64(trips[len(trips)/2])/1e3, "median-µs")
	b.ReportMetric(float64(trips[len(trips)*99/100])/1e3, "p99-µs")
}

// BenchmarkClockAdvance schedules a call on a fake Clock and advances the
// Clock to fire it: what a ported test does for every timeout it exercises.
func BenchmarkClockAdvance(b *testing.B) {
	b.ReportAllocs()
	c := reactor.NewClock()
	n := 0
	f := func() { n++ }
	for b.Loop() {
		c.CallLater(time.Second, f)
		c.Advance(time.Second)
	}
	if n != b.N {
		b.Fatalf("clock ran %d calls, want %d", n, b.N)
	}
}

// BenchmarkClockAdvancePending advances a Clock holding 1,000 calls due one
// nanosecond apart by one nanosecond per op, so each op fires exactly one
// call and schedules its replacement at the back of the queue.
func BenchmarkClockAdvancePending(b *testing.B) {
	b.ReportAllocs()
	c := reactor.NewClock()
	const pending = 1000
	var f func()
	f = func() { c.CallLater(pending*time.Nanosecond, f) }
	for i := range pending {
		c.CallLater(time.Duration(i+1), f)
	}
	for b.Loop() {
		c.Advance(time.Nanosecond)
	}
	if got := len(c.GetDelayedCalls()); got != pending {
		b.Fatalf("clock holds %d calls, want %d", got, pending)
	}
}
