package reactor

import "time"

// MaybeDeferred ports defer.maybeDeferred: it calls f and always returns a
// Deferred (D-16). A *Deferred returned by f is returned as the same object;
// a *Failure or an error gives a failed Deferred; a panic becomes a Failure;
// any other value gives a Deferred fired with it.
func MaybeDeferred(f func() (any, error)) (d *Deferred) {
	defer func() {
		if v := recover(); v != nil {
			d = NewDeferred(nil)
			_ = d.start(FailureFromPanic(v))
		}
	}()
	v, err := f()
	if err != nil {
		return Fail(err)
	}
	switch r := v.(type) {
	case *Deferred:
		if r == nil {
			return Succeed(nil) // a nil *Deferred means "nothing to wait for"
		}
		return r
	case *Failure:
		return Fail(r)
	}
	return Succeed(v)
}

// DeferLater ports task.deferLater: a Deferred that fires with f's result
// after delay on s (TR-13). A nil f fires it with nil; an error or panic from
// f errbacks it. Cancelling it cancels the pending call and errbacks with
// [ErrCancelled], leaving nothing scheduled. A nil s panics, naming it.
func DeferLater(s Time, delay time.Duration, f func() (any, error)) *Deferred {
	if s == nil {
		panic("reactor: DeferLater: nil Time (pass the reactor or a Clock)")
	}
	var call *DelayedCall
	d := NewDeferred(func(*Deferred) { _ = call.Cancel() })
	call = s.CallLater(delay, func() { _ = d.Callback(nil) })
	if f != nil {
		d.AddCallback(func(any) (any, error) { return f() })
	}
	return d
}

// AddTimeout ports addTimeout (D-17): if d has not fired after timeout on s,
// it is cancelled. The steps added before AddTimeout are covered, including a
// Deferred they return. By default a timed-out cancellation becomes a
// *TimeoutError; onTimeoutCancel, when not nil, replaces that
// conversion and receives the result the cancellation produced (usually the
// [ErrCancelled] Failure) and the timeout. A result produced in time
// passes unchanged and leaves nothing scheduled. A nil s is a programming
// error: AddTimeout panics saying so.
func (d *Deferred) AddTimeout(timeout time.Duration, s Time, onTimeoutCancel func(result any, timeout time.Duration) (any, error)) *Deferred {
	if s == nil {
		panic("reactor: AddTimeout: nil Time (pass the reactor or a Clock)")
	}
	timedOut := false
	call := s.CallLater(timeout, func() {
		timedOut = true
		d.Cancel()
	})
	d.AddBoth(func(v any) (any, error) {
		if !timedOut {
			return v, nil
		}
		if onTimeoutCancel != nil {
			return onTimeoutCancel(v, timeout)
		}
		return cancelledToTimeout(v, timeout)
	})
	d.AddBoth(func(v any) (any, error) {
		if call.Active() {
			_ = call.Cancel()
		}
		return v, nil
	})
	return d
}

// cancelledToTimeout is AddTimeout's default conversion: a CancelledError
// Failure becomes a [TimeoutError]; other results pass unchanged.
func cancelledToTimeout(v any, timeout time.Duration) (any, error) {
	f, ok := v.(*Failure)
	if !ok {
		return v, nil
	}
	if err := f.Trap(ErrCancelled); err != nil {
		return nil, err
	}
	return nil, &TimeoutError{Timeout: timeout}
}
