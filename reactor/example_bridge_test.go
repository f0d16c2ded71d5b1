package reactor_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/braid-go/braid/reactor"
)

// Ordinary Go code on another goroutine waits for a Deferred of a running
// reactor, with a context: Twisted's blockingCallFromThread pattern.
func ExampleWait() {
	r, _ := reactor.New()
	d := reactor.DeferLater(r, 10*time.Millisecond, func() (any, error) { return "pong", nil })
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		v, err := reactor.Wait(ctx, r, d)
		fmt.Println(v, err)
		r.CallFromThread(func() { _ = r.Stop() })
	}()
	_ = r.Run()
	<-done
	// Output:
	// pong <nil>
}

// WaitAs asserts the type of what it waits for.
func ExampleWaitAs() {
	r, _ := reactor.New()
	d := reactor.DeferLater(r, 0, func() (any, error) { return 6 * 7, nil })
	go func() {
		n, err := reactor.WaitAs[int](context.Background(), r, d)
		fmt.Println(n+1, err)
		_, err = reactor.WaitAs[string](context.Background(), r, reactor.Succeed(1))
		fmt.Println(err)
		r.CallFromThread(func() { _ = r.Stop() })
	}()
	_ = r.Run()
	// Output:
	// 43 <nil>
	// reactor: result has type int, want string
}

// A context that ends cancels the Deferred, and the failure names both
// the cancellation and the context's reason.
func ExampleWithContext() {
	r, _ := reactor.New()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	never := reactor.NewDeferred(nil)
	reactor.WithContext(ctx, r, never).AddErrback(func(f *reactor.Failure) (any, error) {
		fmt.Println(f)
		fmt.Println(errors.Is(f, reactor.ErrCancelled), errors.Is(f, context.DeadlineExceeded))
		return nil, r.Stop()
	})
	_ = r.Run()
	// Output:
	// deferred was cancelled: context deadline exceeded
	// true true
}

// Go runs blocking Go code on a goroutine and fires a Deferred with its
// result on the reactor goroutine.
func ExampleGo() {
	r, _ := reactor.New()
	r.CallWhenRunning(func() {
		d := reactor.Go(r, func(ctx context.Context) (any, error) {
			return nil, &fs.PathError{Op: "open", Path: "/nowhere", Err: fs.ErrNotExist}
		})
		d.AddErrback(func(f *reactor.Failure) (any, error) {
			fmt.Println(f, errors.Is(f, fs.ErrNotExist))
			return nil, r.Stop()
		})
	})
	_ = r.Run()
	// Output:
	// open /nowhere: file does not exist true
}

// Chan gives a Deferred's result to a select.
func ExampleChan() {
	r, _ := reactor.New()
	ch := reactor.Chan(reactor.DeferLater(r, 5*time.Millisecond, func() (any, error) { return "fired", nil }))
	go func() {
		select {
		case res := <-ch:
			fmt.Println(res.Value, res.Err)
		case <-time.After(5 * time.Second):
			fmt.Println("too slow")
		}
		r.CallFromThread(func() { _ = r.Stop() })
	}()
	_ = r.Run()
	// Output:
	// fired <nil>
}

// ResultAs is a callback's type assertion with an error instead of a
// panic.
func ExampleResultAs() {
	d := reactor.Succeed([]byte("hello"))
	d.AddCallback(func(v any) (any, error) {
		b, err := reactor.ResultAs[[]byte](v)
		if err != nil {
			return nil, err
		}
		return len(b), nil
	})
	d.AddCallback(func(v any) (any, error) { return reactor.ResultAs[string](v) })
	d.AddErrback(func(f *reactor.Failure) (any, error) {
		fmt.Println(f)
		return nil, nil
	})
	// Output:
	// reactor: result has type int, want string
}

// AddCallbackAs is addCallback with a typed argument.
func ExampleAddCallbackAs() {
	d := reactor.NewDeferred(nil)
	reactor.AddCallbackAs(d, func(n int) (any, error) {
		fmt.Println("doubled:", 2*n)
		return nil, nil
	})
	_ = d.Callback(21)
	// Output:
	// doubled: 42
}

// AddErrbackAs handles one error type, as an errback beginning with
// failure.trap does; other failures pass on.
func ExampleAddErrbackAs() {
	d := reactor.Fail(&fs.PathError{Op: "stat", Path: "/etc/nothing", Err: fs.ErrNotExist})
	reactor.AddErrbackAs(d, func(e *fs.PathError) (any, error) {
		fmt.Println("missing:", e.Path)
		return "default", nil
	})
	d.AddCallback(func(v any) (any, error) {
		fmt.Println("then:", v)
		return nil, nil
	})
	// Output:
	// missing: /etc/nothing
	// then: default
}
