package reactor_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/braid-go/braid/reactor"
)

// TestReactor_CollectedReactorLeavesOthersDescriptors pins a fix: a reactor
// that was run and stopped has released its epoll set and eventfd; when it
// is later garbage-collected, its cleanup must not close those descriptor
// numbers again, because a newer reactor may have been given them.
func TestReactor_CollectedReactorLeavesOthersDescriptors(t *testing.T) {
	old, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	old.CallWhenRunning(func() { _ = old.Stop() })
	if err := old.Run(); err != nil {
		t.Fatal(err)
	}
	collected := make(chan struct{})
	runtime.AddCleanup(old, func(ch chan struct{}) { close(ch) }, collected)
	old = nil

	var logged []reactor.ErrorEvent
	r, err := reactor.New(reactor.WithErrorObserver(func(e reactor.ErrorEvent) { logged = append(logged, e) }))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for done := false; !done; {
		runtime.GC()
		select {
		case <-collected:
			done = true
		case <-time.After(10 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("the stopped reactor was never collected")
			}
		}
	}
	runtime.GC()
	time.Sleep(20 * time.Millisecond) // let the poller's own cleanup run too

	r.CallLater(time.Millisecond, func() { _ = r.Stop() })
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	for _, e := range logged {
		t.Errorf("new reactor logged %s: %v", e.Why, e.Failure.ErrorMessage())
	}
}
