package reactor_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/braid-go/braid/reactor"
)

// DeferToThread runs blocking work on the reactor's pool and fires on the
// reactor goroutine with its result.
func ExampleDeferToThread() {
	r, _ := reactor.New()
	r.CallWhenRunning(func() {
		d := reactor.DeferToThread(r, func() (any, error) {
			return strings.ToUpper("computed off the reactor"), nil // or a blocking call
		})
		d.AddBoth(func(v any) (any, error) {
			fmt.Println(v)
			return nil, r.Stop()
		})
	})
	_ = r.Run()
	// Output:
	// COMPUTED OFF THE REACTOR
}

// CallInThread only runs work; the work hands results back with
// CallFromThread. After shutdown the pool refuses work with an error.
func ExampleReactor_CallInThread() {
	r, _ := reactor.New()
	_ = r.SuggestThreadPoolSize(4)
	r.CallWhenRunning(func() {
		_ = r.CallInThread(func() {
			sum := 0
			for i := 1; i <= 100; i++ {
				sum += i
			}
			r.CallFromThread(func() {
				fmt.Println("sum:", sum)
				_ = r.Stop()
			})
		})
	})
	_ = r.Run()
	err := r.CallInThread(func() {})
	fmt.Println(errors.Is(err, reactor.ErrThreadPoolStopped))
	// Output:
	// sum: 5050
	// true
}

// BlockingCallFromThread lets a goroutine use the reactor and wait for the
// result, here of a Deferred. On the reactor goroutine it fails instead of
// waiting for itself.
func ExampleBlockingCallFromThread() {
	r, _ := reactor.New()
	r.CallWhenRunning(func() {
		_, err := reactor.BlockingCallFromThread(r, func() (any, error) { return nil, nil })
		fmt.Println("on the reactor:", err)
		_ = r.CallInThread(func() {
			v, err := reactor.BlockingCallFromThread(r, func() (any, error) {
				return reactor.DeferLater(r, 0, func() (any, error) { return "answer", nil }), nil
			})
			fmt.Println("from the pool:", v, err)
			r.CallFromThread(func() { _ = r.Stop() })
		})
	})
	_ = r.Run()
	// Output:
	// on the reactor: BlockingCallFromThread called on the reactor goroutine, which it would wait for
	// from the pool: answer <nil>
}
