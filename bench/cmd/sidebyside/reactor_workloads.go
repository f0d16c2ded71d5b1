package main

// The reactor group: the core operations of issue 2, each done the same way
// by braid, by Twisted (bench/twisted/reactor_*.py) and, where Go has a
// natural equivalent, by plain Go.

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
)

func init() {
	register(Workload{
		Group:   "reactor",
		Name:    "Deferred: create, 10 callbacks, fire",
		Unit:    "chain",
		N:       200000, // a braid sample of some 25 ms: shorter ones were at the mercy of the neighbours' bursts
		Braid:   braidDeferredChain,
		Twisted: []string{"reactor_deferred.py"},
	})
	register(Workload{
		Group:   "reactor",
		Name:    "CallLater(0): schedule + fire, 1000 per turn",
		Unit:    "call",
		N:       100000,
		Braid:   func(n int) (time.Duration, error) { return braidCallLaterFire(n, 1000) },
		PlainGo: func(n int) (time.Duration, error) { return goAfterFuncFire(n, 1000) },
		Twisted: []string{"reactor_calllater.py", "fire", "-batch", "1000"},
		Note:    "one reactor turn schedules 1000 zero-delay calls, the next turn runs them; plain Go: time.AfterFunc(0), 1000 at a time.",
	})
	register(Workload{
		Group:   "reactor",
		Name:    "CallLater(0): schedule + fire, one per turn",
		Unit:    "call",
		N:       20000,
		Braid:   func(n int) (time.Duration, error) { return braidCallLaterFire(n, 1) },
		PlainGo: func(n int) (time.Duration, error) { return goAfterFuncFire(n, 1) },
		Twisted: []string{"reactor_calllater.py", "fire", "-batch", "1"},
		Note:    "each call schedules the next, so each costs a whole reactor turn (a zero-timeout epoll wait included).",
	})
	register(Workload{
		Group:   "reactor",
		Name:    "CallLater(1h): schedule + cancel",
		Unit:    "call",
		N:       100000,
		Braid:   braidCallLaterCancel,
		PlainGo: goAfterFuncStop,
		Twisted: []string{"reactor_calllater.py", "cancel", "-batch", "1000"},
		Note:    "on the running reactor, 1000 per turn; plain Go: time.AfterFunc(time.Hour).Stop().",
	})
	register(Workload{
		Group:   "reactor",
		Name:    "CallFromThread: round trip from another thread",
		Unit:    "trip",
		N:       5000,
		Braid:   braidCallFromThread,
		PlainGo: goChannelRoundTrip,
		Twisted: []string{"reactor_callfromthread.py"},
		Note: "a goroutine (Twisted: a thread) queues a call and waits until the reactor has run it; " +
			"plain Go: a request and a reply over unbuffered channels to a serving goroutine. " +
			"This table shows the mean; `go test -bench CallFromThread ./reactor/` reports the median.",
	})
	register(Workload{
		Group:   "reactor",
		Name:    "Clock: CallLater(1s) + Advance(1s)",
		Unit:    "call",
		N:       100000,
		Braid:   braidClockAdvance,
		Twisted: []string{"reactor_clock.py"},
	})
}

// passThrough is the callback of the chain workload; a package-level func
// costs no allocation per AddCallback (Twisted's script uses a plain def).
func passThrough(r any) (any, error) { return r, nil }

var errChain = errors.New("deferred chain did not end with its input")

func braidDeferredChain(n int) (time.Duration, error) {
	var last any
	t0 := time.Now()
	for range n {
		d := reactor.NewDeferred(nil)
		for range 10 {
			d.AddCallback(passThrough)
		}
		if err := d.Callback(1); err != nil {
			return 0, err
		}
		last = d.Result()
	}
	el := time.Since(t0)
	if last != 1 {
		return 0, fmt.Errorf("%w: got %v", errChain, last)
	}
	return el, nil
}

// runOnReactor runs a fresh reactor on this goroutine until start (its first
// call) and what it schedules call stop; it returns what stop was given.
func runOnReactor(start func(r *braid.Reactor, stop func(time.Duration))) (time.Duration, error) {
	r, err := braid.New()
	if err != nil {
		return 0, err
	}
	var el time.Duration
	r.CallWhenRunning(func() {
		start(r, func(d time.Duration) {
			el = d
			_ = r.Stop()
		})
	})
	if err := r.Run(); err != nil {
		return 0, err
	}
	return el, nil
}

// braidCallLaterFire mirrors reactor_calllater.py fire: a turn schedules
// batch zero-delay calls; the last of them to run schedules the next batch.
func braidCallLaterFire(n, batch int) (time.Duration, error) {
	return runOnReactor(func(r *braid.Reactor, stop func(time.Duration)) {
		left, inBatch := n, 0
		t0 := time.Now()
		var fire, scheduleBatch func()
		fire = func() {
			left--
			inBatch--
			switch {
			case left == 0:
				stop(time.Since(t0))
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
		scheduleBatch()
	})
}

// goAfterFuncFire is the plain-Go counterpart: time.AfterFunc(0) runs each f
// on a goroutine of its own; the last of a batch starts the next.
func goAfterFuncFire(n, batch int) (time.Duration, error) {
	done := make(chan struct{})
	var left, inBatch atomic.Int64
	left.Store(int64(n))
	t0 := time.Now()
	var fire func()
	scheduleBatch := func() {
		k := min(int64(batch), left.Load())
		inBatch.Store(k)
		for range k {
			time.AfterFunc(0, fire)
		}
	}
	fire = func() {
		l := left.Add(-1)
		b := inBatch.Add(-1)
		switch {
		case l == 0:
			close(done)
		case b == 0:
			scheduleBatch()
		}
	}
	scheduleBatch()
	<-done
	return time.Since(t0), nil
}

func nothing() {}

// braidCallLaterCancel mirrors reactor_calllater.py cancel: a turn schedules
// and cancels batch calls, then yields one turn.
func braidCallLaterCancel(n int) (time.Duration, error) {
	var cancelErr error
	el, err := runOnReactor(func(r *braid.Reactor, stop func(time.Duration)) {
		left := n
		t0 := time.Now()
		var runBatch func()
		runBatch = func() {
			k := min(1000, left)
			for range k {
				if err := r.CallLater(time.Hour, nothing).Cancel(); err != nil {
					cancelErr = err
				}
			}
			left -= k
			if left == 0 {
				stop(time.Since(t0))
				return
			}
			r.CallLater(0, runBatch)
		}
		runBatch()
	})
	return el, errors.Join(err, cancelErr)
}

func goAfterFuncStop(n int) (time.Duration, error) {
	t0 := time.Now()
	for range n {
		if !time.AfterFunc(time.Hour, nothing).Stop() {
			return 0, errors.New("time.AfterFunc: Stop found the timer already fired")
		}
	}
	return time.Since(t0), nil
}

// braidCallFromThread times n round trips from this goroutine into a reactor
// running on another: CallFromThread, then wait for the call to signal back.
func braidCallFromThread(n int) (time.Duration, error) {
	r, err := braid.New()
	if err != nil {
		return 0, err
	}
	running := make(chan struct{})
	r.CallWhenRunning(func() { close(running) })
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = r.Run() })
	<-running

	done := make(chan struct{})
	ping := func() { done <- struct{}{} }
	t0 := time.Now()
	for range n {
		r.CallFromThread(ping)
		<-done
	}
	el := time.Since(t0)
	r.CallFromThread(func() { _ = r.Stop() })
	wg.Wait()
	return el, runErr
}

// goChannelRoundTrip is the plain-Go floor for a hop to another goroutine and
// back: a request and a reply over unbuffered channels.
func goChannelRoundTrip(n int) (time.Duration, error) {
	req, reply := make(chan struct{}), make(chan struct{})
	go func() {
		for range req {
			reply <- struct{}{}
		}
	}()
	defer close(req)
	t0 := time.Now()
	for range n {
		req <- struct{}{}
		<-reply
	}
	return time.Since(t0), nil
}

func braidClockAdvance(n int) (time.Duration, error) {
	c := reactor.NewClock()
	ran := 0
	f := func() { ran++ }
	t0 := time.Now()
	for range n {
		c.CallLater(time.Second, f)
		c.Advance(time.Second)
	}
	el := time.Since(t0)
	if ran != n {
		return 0, fmt.Errorf("clock ran %d calls, want %d", ran, n)
	}
	return el, nil
}
