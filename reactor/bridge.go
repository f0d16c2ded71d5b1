package reactor

import (
	"context"
	"fmt"
	"sync"
)

// Bridges between Deferreds, which belong to their reactor's goroutine, and
// ordinary Go code on other goroutines: blocking waits with a context,
// contexts that cancel Deferreds, goroutines whose results fire Deferreds,
// and channels. Twisted's analogues are its bridges to asyncio
// (Deferred.asFuture and Deferred.fromFuture) and to threads
// (blockingCallFromThread, deferToThread). Every crossing goes through
// CallFromThread, so the threading contract holds.

// Result is what a Deferred fired with, as [Chan] delivers it: Value on the
// success path, or Err, a *Failure, on the error path (Value is then nil).
type Result struct {
	Value any
	Err   error
}

// resultOf splits a chain's current result into a Result.
func resultOf(v any) Result {
	if f, ok := v.(*Failure); ok {
		return Result{Err: f}
	}
	return Result{Value: v}
}

// Chan returns a channel that receives d's result once, when d fires, and
// is then closed: the channel view of a Deferred, for a select in Go code,
// where Twisted's Deferred.asFuture gives asyncio a Future. Call it on the
// reactor goroutine (or before Run), as any method of d. The channel is
// buffered, so firing never blocks the reactor, even if nobody receives.
//
// Like asFuture, Chan takes the result: it adds a step at the end of d's
// chain that hands the result to the channel and leaves nil behind, so a
// Failure counts as handled (the receiver owns it) and steps added to d
// later see nil. Add them before calling Chan.
func Chan(d *Deferred) <-chan Result {
	if d == nil {
		panic("reactor: Chan: nil *Deferred")
	}
	ch := make(chan Result, 1)
	d.AddBoth(func(v any) (any, error) {
		ch <- resultOf(v)
		close(ch)
		return nil, nil
	})
	return ch
}

// Wait blocks the calling goroutine until d fires or ctx ends, and returns
// d's result: the value, or the *Failure as the error. It is for goroutines
// other than the reactor's: it attaches its step to d through
// r.CallFromThread, the reactor d belongs to. It replaces the waiting half
// of Twisted's blockingCallFromThread (a Deferred's result awaited by a
// thread) and `await d.asFuture(loop)`.
//
// When ctx ends first, Wait returns ctx.Err() and does not cancel d: d may
// be shared, and waiting is not owning. To cancel d with ctx as well, make
// it with [WithContext] on the reactor goroutine before handing it over. A
// result that arrives after Wait gave up stays in d's chain, as if Wait
// had never been called; a result Wait returns is taken from d, as [Chan]
// takes it.
//
// Called on the goroutine running r's Run (a callback, a timed call), or in
// an InlineCallbacks body or a Cooperator's iterator that it runs, Wait
// would wait for ever for the reactor it blocks: it returns
// [ErrWaitOnReactor] at once instead. The goroutine that sets r up before
// running it is r's too — a trial test function runs there, before the
// reactor does — but braid cannot tell it from one that has just started
// Run on another goroutine, so Wait there blocks until ctx ends: call Wait
// from goroutines of your own. When r (braid's reactor) shuts down or is
// closed before d fires, Wait returns [ErrReactorShutDown], as
// [BlockingCallFromThread] does: a CallInThread call waiting would
// otherwise hold up the shutdown, which waits for the pool. With another
// [FromThreads] that never runs the step, only ctx ends the wait; give ctx
// a deadline when that can happen. A nil ctx, r or d panics, naming it.
func Wait(ctx context.Context, r FromThreads, d *Deferred) (any, error) {
	if ctx == nil {
		panic("reactor: Wait: nil context.Context")
	}
	if r == nil {
		panic("reactor: Wait: nil FromThreads (pass the reactor d belongs to)")
	}
	if d == nil {
		panic("reactor: Wait: nil *Deferred")
	}
	if l, ok := r.(interface{ inLoop() bool }); ok && l.inLoop() {
		return nil, ErrWaitOnReactor
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var halted <-chan struct{}
	if own, ok := r.(reactorGoroutine); ok {
		halted = own.haltedChan()
	}
	w := &waiter{ch: make(chan Result, 1)}
	r.CallFromThread(func() {
		if !w.gone() {
			d.AddBoth(w.deliver)
		}
	})
	select {
	case res := <-w.ch:
		return res.Value, res.Err
	case <-ctx.Done():
		if res, ok := w.abandon(); ok {
			return res.Value, res.Err
		}
		return nil, ctx.Err()
	case <-halted:
		if res, ok := w.abandon(); ok {
			return res.Value, res.Err
		}
		return nil, fmt.Errorf("reactor: Wait: %w before the Deferred fired", ErrReactorShutDown)
	}
}

// WaitAs is [Wait] with the result asserted to T by [ResultAs]: a result
// of another type gives a *ResultTypeError.
func WaitAs[T any](ctx context.Context, r FromThreads, d *Deferred) (T, error) {
	v, err := Wait(ctx, r, d)
	if err != nil {
		var zero T
		return zero, err
	}
	return ResultAs[T](v)
}

// inLoop reports whether the calling goroutine is inside r's Run, or a
// coroutine Run waits on, where a blocking wait for the reactor could never
// end (see Wait).
func (r *Reactor) inLoop() bool { return r.scope.InLoop() }

// waiter is one Wait: the step it adds to the Deferred hands the result
// over unless the waiting goroutine has given up, and then leaves it in
// the chain.
type waiter struct {
	mu        sync.Mutex
	abandoned bool
	ch        chan Result
}

func (w *waiter) gone() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.abandoned
}

func (w *waiter) deliver(v any) (any, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.abandoned {
		return v, nil
	}
	w.ch <- resultOf(v)
	return nil, nil
}

// abandon gives up the wait, unless the result was handed over meanwhile.
func (w *waiter) abandon() (Result, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case res := <-w.ch:
		return res, true
	default:
		w.abandoned = true
		return Result{}, false
	}
}

// WithContext makes ctx's end cancel d, and returns d; call it on the
// reactor goroutine. When ctx is cancelled or its deadline passes before
// d's chain reaches the step WithContext adds, d.Cancel is called on the
// reactor goroutine (delivered through r.CallFromThread, on a later pass),
// and a resulting [ErrCancelled] failure is replaced by an error that
// matches both ErrCancelled and context.Cause(ctx) under errors.Is. It is
// [Deferred.AddTimeout] with a context for the clock, and the analogue of
// Twisted's Deferred.fromFuture, whose Deferred cancels the Future.
//
// As with AddTimeout, the steps added before WithContext are covered,
// including a Deferred they return, and a result that comes first passes
// unchanged. Once d's chain has reached the step, ctx is no longer watched
// (context.AfterFunc's stop), so nothing is left behind: no goroutine, no
// pending call. A ctx that can never end (context.Background) changes
// nothing. A nil ctx, r or d panics, naming it.
func WithContext(ctx context.Context, r FromThreads, d *Deferred) *Deferred {
	if ctx == nil {
		panic("reactor: WithContext: nil context.Context")
	}
	if r == nil {
		panic("reactor: WithContext: nil FromThreads (pass the reactor d belongs to)")
	}
	if d == nil {
		panic("reactor: WithContext: nil *Deferred")
	}
	if ctx.Done() == nil {
		return d
	}
	// Both flags are only touched on the reactor goroutine.
	reached, cancelled := false, false
	stop := context.AfterFunc(ctx, func() {
		r.CallFromThread(func() {
			if !reached {
				cancelled = true
				d.Cancel()
			}
		})
	})
	return d.AddBoth(func(v any) (any, error) {
		reached = true
		stop()
		if f, ok := v.(*Failure); ok && cancelled && f.Check(ErrCancelled) != nil {
			return nil, &contextCancelError{cause: context.Cause(ctx)}
		}
		return v, nil
	})
}

// contextCancelError is the failure of a Deferred that WithContext
// cancelled: it is an ErrCancelled that unwraps to the context's cause.
type contextCancelError struct{ cause error }

func (e *contextCancelError) Error() string {
	return "deferred was cancelled: " + e.cause.Error()
}

func (e *contextCancelError) Is(target error) bool { return target == ErrCancelled }

func (e *contextCancelError) Unwrap() error { return e.cause }

// Go runs f on a goroutine of its own and returns a Deferred, made on the
// calling goroutine (the reactor's, or before Run), that fires with f's
// result on the reactor goroutine through r.CallFromThread: the value, or
// the error as a Failure. A panic in f becomes a Failure wrapping a
// *PanicError, as in a callback. It replaces Twisted's deferToThread for
// Go code that blocks (one goroutine per call, no pool) and
// Deferred.fromFuture.
//
// Cancelling the Deferred cancels the context f gets and fails the
// Deferred with ErrCancelled at once; whatever f returns afterwards is
// dropped. The context is also cancelled once the Deferred has fired, so f
// may pass it to work it starts. f must not touch Deferreds or the
// reactor; a *Deferred it returns fails the Deferred with an error
// wrapping [ErrDeferredResult]. A nil r or f panics, naming it.
func Go(r FromThreads, f func(ctx context.Context) (any, error)) *Deferred {
	if r == nil {
		panic("reactor: Go: nil FromThreads (pass the reactor)")
	}
	if f == nil {
		panic("reactor: Go: nil func")
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := NewDeferred(func(*Deferred) { cancel() })
	go func() {
		res := callGo(ctx, f)
		r.CallFromThread(func() {
			cancel()
			if d.Called() {
				return // cancelled meanwhile
			}
			if res.Err != nil {
				_ = d.Errback(res.Err)
			} else {
				_ = d.Callback(res.Value)
			}
		})
	}()
	return d
}

// callGo runs Go's function, turning a panic and a returned *Deferred into
// failures made on f's goroutine.
func callGo(ctx context.Context, f func(context.Context) (any, error)) (res Result) {
	defer func() {
		if v := recover(); v != nil {
			res = Result{Err: FailureFromPanic(v)}
		}
	}()
	v, err := f(ctx)
	switch {
	case err != nil:
		return Result{Err: NewFailure(err)}
	case isDeferred(v):
		return Result{Err: NewFailure(fmt.Errorf("reactor: Go: the function returned a *Deferred, which belongs to the reactor goroutine: %w", ErrDeferredResult))}
	}
	return Result{Value: v}
}
