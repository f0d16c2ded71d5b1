package reactor_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/braid-go/braid/reactor"
)

// CallFromThread writes the eventfd only when the reactor has said it
// is about to block (Reactor.sleeping). A lost wake-up would leave a call
// queued behind a poll with no timeout, so here the reactor has nothing else
// to wake it: no timers, no descriptors. Several goroutines make many round
// trips at once; any trip that does not come back within seconds fails.
func TestReactor_CallFromThreadNeverLosesAWakeUp_R10(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	running := make(chan struct{})
	r.CallWhenRunning(func() { close(running) })
	stopped := make(chan error, 1)
	go func() { stopped <- r.Run() }()
	<-running

	const goroutines, trips = 3, 3000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			done := make(chan struct{}, 1)
			ping := func() { done <- struct{}{} }
			for i := range trips {
				r.CallFromThread(ping)
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					t.Errorf("goroutine %d: round trip %d never ran: a wake-up was lost", g, i)
					return
				}
				if i%7 == 0 {
					// Let the reactor spin out its idle spin and go back
					// to sleep, so that the next trip must wake it.
					time.Sleep(20 * time.Microsecond)
				}
			}
		})
	}
	wg.Wait()
	r.CallFromThread(func() { _ = r.Stop() })
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop queued with CallFromThread never ran")
	}
}

// a thread call queued while the reactor is awake writes no
// eventfd, so the poll that follows must look at the queue before it
// blocks. Here a thread call queues another from the reactor goroutine
// itself, during Iterate's pass; Iterate's poll must then not sleep its
// hour (Twisted's callFromThread always wakes the waker, with the same
// effect).
func TestReactor_IterateDoesNotSleepOnAQueuedThreadCall_R10(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	r.CallFromThread(func() { r.CallFromThread(func() { ran = true }) })
	returned := make(chan struct{})
	go func() {
		r.Iterate(time.Hour) // runs the first call; the second is queued
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		// The poll may sleep out its hour; leave it (and the reactor) be.
		t.Fatal("Iterate slept although a thread call was queued")
	}
	r.Iterate(0)
	if !ran {
		t.Error("the queued thread call did not run on the next Iterate")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// CallFromThread after the reactor was stopped and released keeps at most a
// bounded number of calls (for a late Iterate): a goroutine outliving its
// reactor cannot pile them up in memory.
func TestReactor_CallFromThreadAfterStopKeepsNothing_R10(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	r.CallWhenRunning(func() { _ = r.Stop() })
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100_000 {
		r.CallFromThread(func() {})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 512<<10 {
		t.Errorf("100,000 calls after Stop grew the heap by %d bytes: they are kept", grown)
	}
	runtime.KeepAlive(r)
}
