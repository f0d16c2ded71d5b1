package reactor

import (
	"errors"
	"fmt"
)

// ErrBlockingCallOnReactor is returned by [BlockingCallFromThread] called
// on the reactor's own goroutine (or in an InlineCallbacks body or a
// Cooperator's iterator it runs), which would wait for itself for ever.
// Twisted deadlocks.
var ErrBlockingCallOnReactor = kind("BlockingCallFromThread called on the reactor goroutine, which it would wait for", nil)

// errDeferredFromThread is what DeferToThread fails with when f returns a
// *Deferred, which belongs to the reactor goroutine and cannot be made in
// a pool goroutine.
var errDeferredFromThread = errors.New("reactor: DeferToThread: the function returned a *Deferred; it runs off the reactor goroutine and must return a plain result")

// poolWithRefusal is what the reactor's own pool offers DeferToThread: a
// way to fail the Deferred if the pool stops before f runs.
type poolWithRefusal interface {
	callInThreadOr(f func(), refuse func(error)) error
}

// DeferToThread ports threads.deferToThread: f runs on r's pool (see
// CallInThread), and the Deferred returned fires on the reactor goroutine
// with f's result, or fails with its error or panic. If the pool refuses
// the call (it has stopped), the Deferred has failed already with
// [ErrThreadPoolStopped]. f must not touch the reactor or its Deferreds; it
// may not return a *Deferred. A nil r or f panics, naming it.
//
// As in Twisted, a call still running when the reactor shuts down delivers
// its result to a reactor that no longer runs: the Deferred fires only if
// the reactor iterates again.
func DeferToThread(r Threads, f func() (any, error)) *Deferred {
	if r == nil {
		panic("reactor: DeferToThread: nil reactor")
	}
	if f == nil {
		panic("reactor: DeferToThread: nil function")
	}
	d := NewDeferred(nil)
	work := func() {
		v, err := callInPool(f)
		r.CallFromThread(func() {
			if err != nil {
				_ = d.Errback(err)
				return
			}
			_ = d.Callback(v)
		})
	}
	var err error
	if p, ok := r.(poolWithRefusal); ok {
		err = p.callInThreadOr(work, func(err error) { _ = d.Errback(err) })
	} else {
		err = r.CallInThread(work)
	}
	if err != nil {
		_ = d.Errback(err)
	}
	return d
}

// callInPool runs f on a pool goroutine, making any error a Failure there,
// so that its stack is f's.
func callInPool(f func() (any, error)) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, FailureFromPanic(p)
		}
	}()
	v, err = f()
	switch {
	case err != nil:
		if _, ok := err.(*Failure); !ok {
			err = NewFailure(err)
		}
		return nil, err
	case isDeferred(v):
		return nil, NewFailure(errDeferredFromThread)
	}
	return v, nil
}

// reactorGoroutine is what BlockingCallFromThread finds on the reactor's
// own types: whether the caller is the reactor goroutine, and when to stop
// waiting.
type reactorGoroutine interface {
	onReactorGoroutine() bool
	haltedChan() <-chan struct{}
}

func (r *Reactor) onReactorGoroutine() bool    { return r.scope.OnGoroutine() }
func (r *Reactor) haltedChan() <-chan struct{} { return r.halted.wait() }

// BlockingCallFromThread ports threads.blockingCallFromThread, for code on
// other goroutines: f runs on r's goroutine (through CallFromThread), and
// the call waits for its result — if f returns a *Deferred, for that
// Deferred's result — and returns it, or f's error, or the Failure the
// Deferred failed with (errors.Is and errors.As see through it).
//
// Where Twisted would wait for ever, braid returns an error. Called on the
// reactor goroutine itself (or in an InlineCallbacks body or a
// Cooperator's iterator, which the reactor goroutine waits on while they
// run) it returns [ErrBlockingCallOnReactor] at once, without running f.
// When r shuts down, or is closed, before the result is known, it returns
// [ErrReactorShutDown]. Both checks need braid's reactor; with another
// [FromThreads] (a test double) the call waits until that reactor runs f
// and the Deferred fires. Run before the reactor starts, the call waits
// for it to start; a reactor that was crashed may run again, so the call
// waits for that too. A nil r or f panics, naming it.
func BlockingCallFromThread(r FromThreads, f func() (any, error)) (any, error) {
	if r == nil {
		panic("reactor: BlockingCallFromThread: nil reactor")
	}
	if f == nil {
		panic("reactor: BlockingCallFromThread: nil function")
	}
	var halted <-chan struct{}
	if own, ok := r.(reactorGoroutine); ok {
		if own.onReactorGoroutine() {
			return nil, ErrBlockingCallOnReactor
		}
		halted = own.haltedChan()
	}
	type outcome struct {
		v   any
		err error
	}
	results := make(chan outcome, 1)
	r.CallFromThread(func() {
		MaybeDeferred(f).AddBoth(func(v any) (any, error) {
			if fail, ok := v.(*Failure); ok {
				results <- outcome{nil, fail}
			} else {
				results <- outcome{v, nil}
			}
			return nil, nil
		})
	})
	select {
	case o := <-results:
		return o.v, o.err
	case <-halted:
		select {
		case o := <-results: // the result came with the shutdown
			return o.v, o.err
		default:
			return nil, fmt.Errorf("reactor: BlockingCallFromThread: %w before the call had a result", ErrReactorShutDown)
		}
	}
}
