package reactor_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/braid-go/braid/reactor"
)

// A reactor runs until something stops it; shutdown triggers run on the way
// out.
func ExampleNew() {
	r, err := reactor.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = r.AddSystemEventTrigger(reactor.During, "shutdown", func() *reactor.Deferred {
		fmt.Println("shutting down")
		return nil
	})
	r.CallWhenRunning(func() {
		fmt.Println("running:", r.Running())
		_ = r.Stop()
	})
	if err := r.Run(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("Run returned; running:", r.Running())
	fmt.Println("Run again:", r.Run())
	// Output:
	// running: true
	// shutting down
	// Run returned; running: false
	// Run again: reactor is not restartable
}

// CallLater schedules a function; a call scheduled while timed calls run
// waits for the next pass, and a DelayedCall can be moved or cancelled.
func ExampleReactor_CallLater() {
	r, _ := reactor.New()
	r.CallLater(20*time.Millisecond, func() {
		fmt.Println("second")
		_ = r.Stop()
	})
	first := r.CallLater(time.Hour, func() { fmt.Println("first") })
	_ = first.Reset(10 * time.Millisecond)
	never := r.CallLater(5*time.Millisecond, func() { fmt.Println("never") })
	_ = never.Cancel()
	fmt.Println("cancel again:", never.Cancel())
	_ = r.Run()
	// Output:
	// cancel again: tried to cancel an already-cancelled event
	// first
	// second
}

// A Deferred chain: an error goes to the next errback, which can recover;
// a callback returning a Deferred makes the chain wait for it.
func ExampleDeferred() {
	d := reactor.NewDeferred(nil)
	inner := reactor.NewDeferred(nil)
	d.AddCallback(func(v any) (any, error) {
		return nil, fmt.Errorf("cannot use %v", v)
	}).AddErrback(func(f *reactor.Failure) (any, error) {
		fmt.Println("recovering from:", f.ErrorMessage())
		return inner, nil
	}).AddCallback(func(v any) (any, error) {
		fmt.Println("inner gave:", v)
		return v, nil
	})
	_ = d.Callback(42)
	fmt.Println("waiting:", d.Result() == inner)
	_ = inner.Callback("later value")
	fmt.Println("second Callback:", d.Callback(1))
	// Output:
	// recovering from: cannot use 42
	// waiting: true
	// inner gave: later value
	// second Callback: deferred has already been called
}

// DeferredList collects its members' outcomes in their order.
func ExampleDeferredList() {
	a, b := reactor.NewDeferred(nil), reactor.NewDeferred(nil)
	reactor.DeferredList([]*reactor.Deferred{a, b}, reactor.DLOptions{ConsumeErrors: true}).
		AddCallback(func(v any) (any, error) {
			for i, res := range v.([]reactor.DLResult) {
				fmt.Printf("%d: ok=%v %v\n", i, res.OK, res.Value)
			}
			return nil, nil
		})
	_ = b.Errback(errors.New("b failed"))
	_ = a.Callback("a value")
	// Output:
	// 0: ok=true a value
	// 1: ok=false b failed
}

// A Clock is a Time whose time moves only when told to, for testing
// timeouts without waiting.
func ExampleClock() {
	clock := reactor.NewClock()
	d := reactor.NewDeferred(nil)
	d.AddTimeout(5*time.Second, clock, nil)
	d.AddErrback(func(f *reactor.Failure) (any, error) {
		fmt.Printf("at %.1fs: %v\n", clock.Seconds(), f)
		return nil, nil
	})
	clock.Advance(4900 * time.Millisecond)
	fmt.Println("fired at 4.9s:", d.Called())
	clock.Advance(100 * time.Millisecond)
	fmt.Println("pending calls:", len(clock.GetDelayedCalls()))
	// Output:
	// fired at 4.9s: false
	// at 5.0s: deferred timed out after 5s
	// pending calls: 0
}

// A LoopingCall runs at aligned intervals and skips the ones it missed.
func ExampleLoopingCall() {
	clock := reactor.NewClock()
	lc := reactor.NewLoopingCall(clock, func() (any, error) {
		fmt.Printf("tick at %.1fs\n", clock.Seconds())
		return nil, nil
	})
	done, _ := lc.Start(time.Second, true)
	done.AddCallback(func(any) (any, error) {
		fmt.Println("stopped")
		return nil, nil
	})
	clock.Pump(time.Second, time.Second)
	clock.Advance(2500 * time.Millisecond) // misses 3 and 4: one late tick
	clock.Advance(500 * time.Millisecond)  // back on the grid
	_ = lc.Stop()
	// Output:
	// tick at 0.0s
	// tick at 1.0s
	// tick at 2.0s
	// tick at 4.5s
	// tick at 5.0s
	// stopped
}

// A LogCapture keeps what one reactor logs, for a test to read: here an
// error logged with LogError and a plain message, in Twisted's text form.
func ExampleLogCapture() {
	capture := reactor.NewLogCapture()
	r, err := reactor.New(capture.Option())
	if err != nil {
		panic(err)
	}
	defer r.Close()
	r.LogError(reactor.NewFailure(errors.New("disk full")), "saving state")
	r.Logger().Info("listening", "port", 8080)

	for _, ev := range capture.ErrorEvents() {
		fmt.Println(ev.Why+":", ev.Failure.ErrorMessage())
	}
	fmt.Println(capture.Texts()[1])
	// Output:
	// saving state: disk full
	// listening port=8080
}
