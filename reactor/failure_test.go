package reactor

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// F-01: NewFailure wraps an error with the stack where it was made; a
// *Failure is returned as is; NewFailure(nil) (no "current exception" in Go)
// wraps ErrNoCurrentException rather than panicking.
func TestFailure_New_E09_F01(t *testing.T) {
	err := errors.New("value")
	f := NewFailure(err)
	if f.Value() != err || f.Unwrap() != err || !errors.Is(f, err) {
		t.Errorf("Failure does not hold and unwrap to its error")
	}
	if len(f.Frames()) == 0 || !strings.Contains(f.Frames()[0], "TestFailure_New_E09_F01") {
		t.Errorf("innermost frame %q, want this test", f.Frames())
	}
	if NewFailure(f) != f {
		t.Error("NewFailure(aFailure) made a new Failure")
	}
	if n := NewFailure(nil); !errors.Is(n, ErrNoCurrentException) {
		t.Errorf("NewFailure(nil) = %v, want ErrNoCurrentException", n)
	}
	var nilFailure *Failure
	if n := NewFailure(nilFailure); n == nil || !errors.Is(n, ErrNoCurrentException) {
		t.Errorf("NewFailure((*Failure)(nil)) = %v, want ErrNoCurrentException", n)
	}
}

// F-02 (E-09): Check goes through its arguments in order and returns the
// first the error matches, even when a later one is more specific.
func TestFailure_CheckOrder_E09_F02(t *testing.T) {
	f := NewFailure(fmt.Errorf("%w: %w", ErrConnectionAborted, &PanicError{Value: 1}))
	keyErr := errors.New("KeyError")
	cases := []struct {
		targets []error
		want    error
	}{
		{[]error{keyErr, ErrConnectionClosed, ErrConnectionLost}, ErrConnectionClosed},
		{[]error{ErrConnectionLost, ErrConnectionClosed}, ErrConnectionLost},
		{[]error{keyErr, ErrConnectionDone}, nil},
		{nil, nil},
	}
	for _, c := range cases {
		if got := f.Check(c.targets...); got != c.want {
			t.Errorf("Check(%v) = %v, want %v", c.targets, got, c.want)
		}
	}
	if pe, ok := errors.AsType[*PanicError](f); !ok || pe.Value != 1 {
		t.Errorf("errors.AsType[*PanicError] = %v, %v", pe, ok)
	}
	if _, ok := errors.AsType[*FirstError](f); ok {
		t.Error("errors.AsType matched the wrong type")
	}
}

// F-03 (E-09): Trap returns nil on a match, else the Failure itself, so an
// errback returning it passes the very same error down the chain.
func TestFailure_Trap_E09_F03(t *testing.T) {
	f := NewFailure(ErrConnectionLost)
	if err := f.Trap(ErrConnectionClosed); err != nil {
		t.Errorf("Trap(matching) = %v", err)
	}
	d := NewDeferred(nil)
	d.AddErrback(func(f *Failure) (any, error) {
		if err := f.Trap(ErrConnectionDone); err != nil {
			return nil, err
		}
		return "trapped (wrong)", nil
	})
	var next *Failure
	d.AddErrback(func(g *Failure) (any, error) { next = g; return nil, nil })
	_ = d.Errback(f)
	if next != f || next.Value() != ErrConnectionLost {
		t.Errorf("next errback got %v, want the same Failure", next)
	}
}

// F-04, F-05: ErrorMessage, Error, String, Traceback, %+v; CleanFailure.
func TestFailure_MessagesAndTraceback_F04_F05(t *testing.T) {
	f := makeFailureHere()
	want := "deferred timed out after 5s"
	if f.ErrorMessage() != want || f.Error() != want {
		t.Errorf("ErrorMessage %q, Error %q; want %q", f.ErrorMessage(), f.Error(), want)
	}
	if got := f.String(); got != "<Failure *reactor.TimeoutError: "+want+">" {
		t.Errorf("String() = %q", got)
	}
	tb := f.Traceback()
	for _, part := range []string{"Traceback (most recent call last):", "makeFailureHere", "*reactor.TimeoutError: " + want} {
		if !strings.Contains(tb, part) {
			t.Errorf("Traceback lacks %q:\n%s", part, tb)
		}
	}
	if strings.Index(tb, "TestFailure_MessagesAndTraceback") > strings.Index(tb, "makeFailureHere") {
		t.Errorf("Traceback not outermost first:\n%s", tb)
	}
	f.CleanFailure()
	if got := fmt.Sprintf("%+v", f); got != tb {
		t.Errorf("%%+v differs from Traceback")
	}
	if got := (&Failure{value: ErrConnectionDone}).Traceback(); !strings.Contains(got, "no stack recorded") {
		t.Errorf("stackless traceback %q", got)
	}
	// A FirstError's traceback shows the member's failure beneath.
	fe := NewFailure(&FirstError{Sub: f, Index: 0})
	if !strings.Contains(fe.Traceback(), "-- caused by --") {
		t.Errorf("FirstError traceback lacks the member's:\n%s", fe.Traceback())
	}
}

func makeFailureHere() *Failure {
	return NewFailure(&TimeoutError{Timeout: 5 * time.Second})
}

// F-06 (E-09): the error table: Twisted's messages, Go-cased; fields exact.
func TestErrors_Table_E09_F06(t *testing.T) {
	first := NewFailure(errors.New("KeyError('x')"))
	cases := []struct {
		err  error
		want string
	}{
		{ErrConnectionDone, "connection was closed cleanly"},
		{ErrConnectionLost, "connection to the other side was lost in a non-clean fashion"},
		{ErrDelayedCallAlreadyCalled, "tried to cancel an already-called event"},
		{ErrDelayedCallAlreadyCancelled, "tried to cancel an already-cancelled event"},
		{ErrReactorNotRunning, "can't stop reactor that isn't running"},
		{ErrReactorNotRestartable, "reactor is not restartable"},
		{ErrReactorAlreadyRunning, "reactor already running"},
		{ErrCancelled, "deferred was cancelled"},
		{&AlreadyCalledError{}, "deferred has already been called"},
		{&TimeoutError{Timeout: 5 * time.Second}, "deferred timed out after 5s"},
		{&FirstError{Sub: first, Index: 2}, "FirstError[#2, KeyError('x')]"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%T: %q, want %q", c.err, got, c.want)
		}
	}
	kinds := []struct {
		err    error
		is     []error
		isNot  []error
		fields any
	}{
		{ErrConnectionAborted, []error{ErrConnectionLost, ErrConnectionClosed}, []error{ErrConnectionDone}, nil},
		{ErrConnectionFdescWentAway, []error{ErrConnectionLost}, []error{ErrConnectionDone}, nil},
	}
	for _, k := range kinds {
		for _, target := range k.is {
			if !errors.Is(k.err, target) {
				t.Errorf("%v is not %v", k.err, target)
			}
		}
		for _, target := range k.isNot {
			if errors.Is(k.err, target) {
				t.Errorf("%v is %v", k.err, target)
			}
		}
	}
}
