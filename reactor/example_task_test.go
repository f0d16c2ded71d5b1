package reactor_test

import (
	"fmt"
	"time"

	"github.com/braid-go/braid/reactor"
)

// A counting loop is told how many intervals passed since its last call:
// when the clock jumps, the next call makes up for the ones skipped.
func ExampleNewLoopingCallWithCount() {
	clock := reactor.NewClock()
	frame := 0
	lc := reactor.NewLoopingCallWithCount(clock, func(count int) (any, error) {
		frame += count
		fmt.Printf("t=%gs count=%d frame=%d\n", clock.Seconds(), count, frame)
		return nil, nil
	})
	_, _ = lc.Start(time.Second, true)
	clock.Advance(time.Second)
	clock.Advance(3500 * time.Millisecond) // three calls missed
	_ = lc.SetInterval(2 * time.Second)
	clock.Advance(2 * time.Second)
	_ = lc.Stop()
	// Output:
	// t=0s count=1 frame=1
	// t=1s count=1 frame=2
	// t=4.5s count=3 frame=5
	// t=6.5s count=1 frame=6
}

// countTo yields 1..n, one unit of work each, then says it is done.
func countTo(name string, n int) func(yield func(any) bool) {
	return func(yield func(any) bool) {
		for i := 1; i <= n; i++ {
			fmt.Println(name, i)
			if !yield(nil) {
				return
			}
		}
	}
}

// The tasks of a Cooperator take turns, one element each; a task can be
// paused and resumed, and waited for. A task is done at the unit after its
// last element, when its iterator says it has no more.
func ExampleCooperator() {
	clock := reactor.NewClock()
	coop := reactor.NewCooperator(clock, reactor.CooperatorOptions{
		// One unit of work per step, to show the turns.
		TerminationPredicateFactory: func() func() bool { return func() bool { return true } },
	})
	a := coop.Cooperate(countTo("a", 3))
	b := coop.Cooperate(countTo("b", 2))
	a.WhenDone().AddCallback(func(any) (any, error) { fmt.Println("a done"); return nil, nil })
	_ = b.Pause()
	for range 3 {
		clock.Advance(time.Millisecond)
	}
	_ = b.Resume()
	for range 3 {
		clock.Advance(time.Millisecond)
	}
	// Output:
	// a 1
	// a 2
	// a 3
	// b 1
	// a done
	// b 2
}

// Coiterate runs an iterator and fires when it ends; an element that is a
// Deferred makes the task wait for it, a failed one fails the task.
func ExampleCooperator_Coiterate() {
	clock := reactor.NewClock()
	coop := reactor.NewCooperator(clock, reactor.CooperatorOptions{})
	d := coop.Coiterate(func(yield func(any) bool) {
		fmt.Println("fetching")
		if !yield(reactor.DeferLater(clock, time.Second, nil)) {
			return
		}
		fmt.Println("fetched at", clock.Seconds())
		yield(reactor.Fail(fmt.Errorf("disk full")))
	})
	d.AddErrback(func(f *reactor.Failure) (any, error) {
		fmt.Println("failed:", f.ErrorMessage())
		return nil, nil
	})
	clock.Pump(time.Millisecond, time.Second, time.Millisecond)
	// Output:
	// fetching
	// fetched at 1.002
	// failed: disk full
}

// The reactor's own Cooperator is what task.cooperate used: tasks share
// the reactor with everything else it does.
func ExampleReactor_Cooperator() {
	r, _ := reactor.New()
	r.Cooperator().Coiterate(countTo("step", 2)).AddCallback(func(any) (any, error) {
		return nil, r.Stop()
	})
	_ = r.Run()
	// Output:
	// step 1
	// step 2
}
