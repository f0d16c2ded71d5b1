package reactor

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
)

// Failure ports twisted.python.failure.Failure: an error together with the
// stack where the Failure was made. It is what errbacks receive and what a
// Deferred holds when its chain is on the error path.
//
// A *Failure is itself an error whose message is the wrapped error's, and it
// Unwraps to that error, so errors.Is and errors.As see through it.
type Failure struct {
	value error
	pcs   []uintptr
	// heldBy describes, with debugging on, the Deferred in which the
	// Failure last came to rest unhandled: where it was made and first
	// fired (Twisted's DebugInfo). Atomic, as a collected Deferred's
	// Failure is reported from the collector's goroutine.
	heldBy atomic.Pointer[string]
}

// maxFailureFrames bounds the stack a Failure records.
const maxFailureFrames = 32

// NewFailure wraps err in a Failure and records the caller's stack. A *Failure
// argument is returned as is, as Twisted's Failure(aFailure) copies it.
// NewFailure(nil), or of a typed nil such as a nil *MyError, returns a
// Failure wrapping [ErrNoCurrentException]: Go has no "current exception"
// to capture.
func NewFailure(err error) *Failure {
	return newFailure(err, 3)
}

func newFailure(err error, skip int) *Failure {
	if isNilError(err) {
		err = ErrNoCurrentException
	} else if f, ok := err.(*Failure); ok {
		return f
	}
	var buf [maxFailureFrames]uintptr
	n := runtime.Callers(skip, buf[:])
	return &Failure{value: err, pcs: append([]uintptr(nil), buf[:n]...)}
}

// isNilError reports a nil error, including a typed nil (a nil pointer,
// map, slice, func or channel in a non-nil interface): there is no error
// there, and its Error method would usually panic.
func isNilError(err error) bool {
	if err == nil {
		return true
	}
	switch v := reflect.ValueOf(err); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// failureWithoutStack makes a Failure cheaply, for reasons the framework
// creates on hot paths (a connection closing) where the stack says nothing.
func failureWithoutStack(err error) *Failure {
	if f, ok := err.(*Failure); ok {
		return f
	}
	return &Failure{value: err}
}

// Value returns the wrapped error (Twisted's f.value).
func (f *Failure) Value() error { return f.value }

// Unwrap returns the wrapped error.
func (f *Failure) Unwrap() error { return f.value }

// Error returns the wrapped error's message.
func (f *Failure) Error() string { return f.ErrorMessage() }

// ErrorMessage ports getErrorMessage: the wrapped error's message. An Error
// method that panics gives a message saying so instead of the panic, so
// that reporting an error never fails.
func (f *Failure) ErrorMessage() (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprintf("(%T's Error method panicked: %v)", f.value, v)
		}
	}()
	return f.value.Error()
}

// TypeName returns the Go type of the wrapped error, the analogue of the
// exception class Twisted prints.
func (f *Failure) TypeName() string {
	if k, ok := f.value.(*kindError); ok {
		return "reactor.Err(" + k.msg + ")"
	}
	return fmt.Sprintf("%T", f.value)
}

// String ports repr(failure): the type and the message.
func (f *Failure) String() string {
	return "<Failure " + f.TypeName() + ": " + f.ErrorMessage() + ">"
}

// Check ports Failure.check: it goes through targets in order and returns
// the first one the wrapped error matches (errors.Is), or nil if none does.
func (f *Failure) Check(targets ...error) error {
	for _, t := range targets {
		if errors.Is(f.value, t) {
			return t
		}
	}
	return nil
}

// Trap ports Failure.trap for an errback: it returns nil when the error
// matches one of targets, and otherwise returns the Failure itself, which
// the errback returns to pass the same error down the chain:
//
//	if err := f.Trap(reactor.ErrConnectionDone); err != nil {
//		return nil, err
//	}
func (f *Failure) Trap(targets ...error) error {
	if f.Check(targets...) != nil {
		return nil
	}
	return f
}

// CleanFailure ports cleanFailure. Twisted drops frame objects so that they
// can be collected; a Failure here keeps only program counters, which hold
// nothing alive, so there is nothing to drop and it does nothing.
func (f *Failure) CleanFailure() {}

// Frames returns the recorded stack as "function\n\tfile:line" entries,
// innermost first. A Failure that passed through InlineCallbacks bodies
// also lists, after its own stack, each body that awaited it, at its await
// (see inline_traceback.go); the coroutine plumbing is left out.
func (f *Failure) Frames() []string {
	if len(f.pcs) == 0 {
		return nil
	}
	out := make([]string, 0, len(f.pcs))
	frames := runtime.CallersFrames(f.pcs)
	for {
		fr, more := frames.Next()
		if fr.Function != "" && !strings.HasPrefix(fr.Function, "runtime.") && !isInlineMachinery(fr.Function) {
			out = append(out, fmt.Sprintf("%s\n\t%s:%d", fr.Function, fr.File, fr.Line))
		}
		if !more {
			break
		}
	}
	return out
}

// Traceback ports getTraceback: a readable multi-line report with the stack
// where the Failure was made (outermost call first, as Python prints it) and
// then the error's type and message. A wrapped Failure's own stack is shown
// beneath, so a [FirstError] shows where its member failed. With
// [WithDebugging], a Failure that came to rest unhandled in a Deferred also
// names where that Deferred was made and first fired (Twisted's DebugInfo),
// so the report of the unhandled error shows both.
func (f *Failure) Traceback() string {
	var b strings.Builder
	f.writeTraceback(&b, 0)
	return b.String()
}

func (f *Failure) writeTraceback(b *strings.Builder, depth int) {
	frames := f.Frames()
	if len(frames) == 0 {
		b.WriteString("Traceback: (no stack recorded)\n")
	} else {
		b.WriteString("Traceback (most recent call last):\n")
		for i := len(frames) - 1; i >= 0; i-- {
			b.WriteString("  ")
			b.WriteString(frames[i])
			b.WriteByte('\n')
		}
	}
	b.WriteString(f.TypeName())
	b.WriteString(": ")
	b.WriteString(f.ErrorMessage())
	b.WriteByte('\n')
	if h := f.heldBy.Load(); h != nil {
		b.WriteString(*h)
	}
	var inner *Failure
	if depth < 4 && errors.As(f.value, &inner) && inner != f {
		b.WriteString("-- caused by --\n")
		inner.writeTraceback(b, depth+1)
	}
}

// Format implements fmt.Formatter: %v and %s print the message, %+v the
// whole Traceback.
func (f *Failure) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'v' && s.Flag('+'):
		_, _ = fmt.Fprint(s, f.Traceback())
	case verb == 'q':
		_, _ = fmt.Fprintf(s, "%q", f.ErrorMessage())
	default:
		_, _ = fmt.Fprint(s, f.ErrorMessage())
	}
}

// FailureFromPanic turns what recover returned into a Failure, as Twisted
// turns an exception raised in a callback into one: a *Failure passed to
// panic is returned as is, anything else is wrapped in a *PanicError. The
// stack recorded is the panicking one. Call it from the deferred function
// that recovered, as braid does wherever user code runs:
//
//	defer func() {
//		if v := recover(); v != nil {
//			r.LogError(reactor.FailureFromPanic(v), "my handler")
//		}
//	}()
func FailureFromPanic(v any) *Failure {
	if f, ok := v.(*Failure); ok {
		return f
	}
	return newFailure(&PanicError{Value: v}, 4)
}
