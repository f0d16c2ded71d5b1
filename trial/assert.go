package trial

import (
	"fmt"

	"github.com/braid-go/braid/reactor"
)

// Trial's synchronous helpers (SynchronousTestCase.successResultOf and
// friends). Like trial's, they look at a Deferred by adding a step to it;
// SuccessResultOf and FailureResultOf take the result (the Deferred's
// result is nil afterwards), AssertNoResult leaves it. On failure they call
// t.Fatalf.

// FailTest ports unittest.FailTest, the failureException: the error of a
// failed assertion made inside a Deferred chain, such as [AssertFailure]'s.
// Run reports it by its message alone, as a test failure rather than an
// error.
type FailTest struct {
	Message string
}

// Error returns the message.
func (e *FailTest) Error() string { return e.Message }

// SuccessResultOf ports successResultOf: it returns d's current result, and
// fails the test if d has no result yet or its result is a Failure (whose
// traceback the message shows).
func SuccessResultOf(t TB, d *reactor.Deferred) any {
	t.Helper()
	v, ok := takeResult(d)
	if !ok {
		t.Fatalf("success result expected on %v, found no result instead", d)
		return nil
	}
	if f, isF := v.(*reactor.Failure); isF {
		t.Fatalf("success result expected on %v, found failure result instead:\n%s", d, f.Traceback())
		return nil
	}
	return v
}

// FailureResultOf ports failureResultOf: it returns d's current result,
// which must be a Failure matching one of kinds (any Failure when kinds is
// empty; see [FlushLoggedErrors] for how kinds match), and fails the test
// otherwise, saying what d held instead.
func FailureResultOf(t TB, d *reactor.Deferred, kinds ...error) *reactor.Failure {
	t.Helper()
	v, ok := takeResult(d)
	if !ok {
		t.Fatalf("failure result expected on %v, found no result instead", d)
		return nil
	}
	f, isF := v.(*reactor.Failure)
	if !isF {
		t.Fatalf("failure result expected on %v, found success result (%s) instead", d, describe(v))
		return nil
	}
	if !matches(f, kinds) {
		t.Fatalf("failure of type %s expected on %v, found type %s instead:\n%s", describeKinds(kinds), d, f.TypeName(), f.Traceback())
		return nil
	}
	return f
}

// AssertNoResult ports assertNoResult: it fails the test if d has a result
// (saying which). When it has none, d is left as it was; when the result
// was a Failure, it is consumed, since the test failure reports it.
func AssertNoResult(t TB, d *reactor.Deferred) {
	t.Helper()
	var got any
	have := false
	d.AddBoth(func(v any) (any, error) {
		got, have = v, true
		return v, nil
	})
	if have {
		d.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
		t.Fatalf("no result expected on %v, found %s instead", d, describe(got))
	}
}

// AssertFailure ports assertFailure (TR-05): it adds steps to d so that a
// failure matching one of kinds becomes a success whose value is the
// matched error (the Failure's Value), and anything else becomes a
// *FailTest failure: "did not catch an error, instead got ..." for a
// success, or the expected kinds and the actual traceback for another
// error. Return the result from the test. With no kinds any error matches
// (trial's assertFailure with no types never matches).
func AssertFailure(d *reactor.Deferred, kinds ...error) *reactor.Deferred {
	return d.AddCallbacks(func(v any) (any, error) {
		return nil, &FailTest{Message: fmt.Sprintf("did not catch an error, instead got %s", describe(v))}
	}, func(f *reactor.Failure) (any, error) {
		if matches(f, kinds) {
			return f.Value(), nil
		}
		return nil, &FailTest{Message: fmt.Sprintf("\nexpected: %s\ngot:\n%s", describeKinds(kinds), f.Traceback())}
	})
}

// takeResult adds the step trial's helpers add and reports what it saw.
func takeResult(d *reactor.Deferred) (any, bool) {
	var got any
	have := false
	d.AddBoth(func(v any) (any, error) {
		got, have = v, true
		return nil, nil
	})
	return got, have
}

// describe prints a result the way repr would show it in trial's messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case *reactor.Failure:
		return x.String()
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprintf("%#v", v)
	}
}
