package reactor

import (
	"errors"
	"reflect"
)

// Typed helpers over the `any` of callbacks. Twisted needs none: Python
// checks types when a value is used. In Go a callback asserts its
// argument's type; these do it once, and turn a wrong type into a failure
// that names both types instead of a panic.

// ResultTypeError is the failure of a typed helper ([ResultAs],
// [AddCallbackAs], [WaitAs]) handed a result of another type than it
// asserts. Want is the type asked for; Got is the result's dynamic type,
// nil for a nil result. Match it with errors.AsType.
type ResultTypeError struct {
	Want reflect.Type
	Got  reflect.Type
}

func (e *ResultTypeError) Error() string {
	if e.Got == nil {
		return "reactor: result is nil, want " + e.Want.String()
	}
	return "reactor: result has type " + e.Got.String() + ", want " + e.Want.String()
}

// ResultAs asserts that v, a Deferred's result, is a T and returns it;
// otherwise it returns a *ResultTypeError naming both types. A nil v is
// accepted, as T's zero value, when T can be nil (an interface, pointer,
// slice, map, func or channel type): a Deferred fired with nil often means
// "nothing". It is what a callback writes in place of v.(T).
func ResultAs[T any](v any) (T, error) {
	if t, ok := v.(T); ok {
		return t, nil
	}
	var zero T
	want := reflect.TypeFor[T]()
	if v == nil && nilable(want) {
		return zero, nil
	}
	return zero, &ResultTypeError{Want: want, Got: reflect.TypeOf(v)}
}

func nilable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Func, reflect.Chan:
		return true
	}
	return false
}

// AddCallbackAs is [Deferred.AddCallback] (Twisted's addCallback) with the
// result asserted to T by [ResultAs]: cb gets a T, and a result of another
// type fails the chain with a *ResultTypeError without calling cb. It
// returns d. A nil d or cb panics, naming it.
func AddCallbackAs[T any](d *Deferred, cb func(T) (any, error)) *Deferred {
	if d == nil {
		panic("reactor: AddCallbackAs: nil *Deferred")
	}
	if cb == nil {
		panic("reactor: AddCallbackAs: nil callback")
	}
	return d.AddCallback(func(v any) (any, error) {
		t, err := ResultAs[T](v)
		if err != nil {
			return nil, err
		}
		return cb(t)
	})
}

// AddErrbackAs is [Deferred.AddErrback] for one error type, Twisted's
// errback that begins with failure.trap(SomeError): eb runs when the
// failure holds an E (found by errors.AsType, through wrapping) and gets
// it; any other failure passes down the chain unchanged. It returns d. A
// nil d or eb panics, naming it.
func AddErrbackAs[E error](d *Deferred, eb func(E) (any, error)) *Deferred {
	if d == nil {
		panic("reactor: AddErrbackAs: nil *Deferred")
	}
	if eb == nil {
		panic("reactor: AddErrbackAs: nil errback")
	}
	return d.AddErrback(func(f *Failure) (any, error) {
		e, ok := errors.AsType[E](f)
		if !ok {
			return nil, f
		}
		return eb(e)
	})
}
