package trial_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// trial's synchronous helpers, checked through the recording fake: what
// they return, and what they say when the Deferred held something else.

func TestSuccessResultOf(t *testing.T) {
	cases := []struct {
		name  string
		d     func() *reactor.Deferred
		want  any
		fatal []string
	}{
		{"success", func() *reactor.Deferred { return reactor.Succeed("v") }, "v", nil},
		{"no result", func() *reactor.Deferred { return reactor.NewDeferred(nil) }, nil,
			[]string{"success result expected on <Deferred at", "found no result instead"}},
		{"failure", func() *reactor.Deferred { return reactor.Fail(errBoom) }, nil,
			[]string{"found failure result instead:", "Traceback", "boom"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got any
			ft := inner(t, func(ft *fakeT) { got = trial.SuccessResultOf(ft, c.d()) })
			if c.fatal == nil {
				wantClean(t, ft)
				if got != c.want {
					t.Errorf("SuccessResultOf = %v, want %v", got, c.want)
				}
				return
			}
			wantFailure(t, ft, 1, c.fatal...)
		})
	}
}

func TestFailureResultOf(t *testing.T) {
	cases := []struct {
		name  string
		d     func() *reactor.Deferred
		kinds []error
		fatal []string
	}{
		{"any failure", func() *reactor.Deferred { return reactor.Fail(errBoom) }, nil, nil},
		{"expected kind", func() *reactor.Deferred { return reactor.Fail(errBoom) }, []error{reactor.ErrCancelled, errBoom}, nil},
		{"expected type", func() *reactor.Deferred {
			return reactor.Fail(&reactor.FirstError{Sub: reactor.NewFailure(errBoom), Index: 1})
		}, []error{trial.OfType[*reactor.FirstError]()}, nil},
		{"no result", func() *reactor.Deferred { return reactor.NewDeferred(nil) }, nil,
			[]string{"failure result expected on <Deferred at", "found no result instead"}},
		{"success", func() *reactor.Deferred { return reactor.Succeed(42) }, nil,
			[]string{"found success result (42) instead"}},
		{"other kind", func() *reactor.Deferred { return reactor.Fail(errBoom) }, []error{reactor.ErrCancelled, trial.OfType[*reactor.FirstError]()},
			[]string{`failure of type ("deferred was cancelled" or error of type *reactor.FirstError) expected`, "found type *errors.errorString instead", "boom"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got *reactor.Failure
			ft := inner(t, func(ft *fakeT) { got = trial.FailureResultOf(ft, c.d(), c.kinds...) })
			if c.fatal == nil {
				wantClean(t, ft)
				if !errors.Is(got, errBoom) {
					t.Errorf("FailureResultOf = %v, want boom", got)
				}
				return
			}
			wantFailure(t, ft, 1, c.fatal...)
		})
	}
}

// The helpers take the result, as trial's do: the Deferred is left with nil,
// so a failure taken is not reported unhandled.
func TestResultHelpersConsumeTheResult(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		d := reactor.Fail(errBoom)
		trial.FailureResultOf(t, d, errBoom)
		if d.Result() != nil {
			t.Errorf("result after FailureResultOf: %v, want nil", d.Result())
		}
		d = reactor.Succeed(1)
		trial.SuccessResultOf(t, d)
		if d.Result() != nil {
			t.Errorf("result after SuccessResultOf: %v, want nil", d.Result())
		}
	})
}

func TestAssertNoResult(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		d := reactor.NewDeferred(nil)
		trial.AssertNoResult(ft, d)
		// Left as it was: a later result still arrives.
		_ = d.Callback("later")
		if got := trial.SuccessResultOf(ft, d); got != "later" {
			ft.Errorf("after AssertNoResult the result is %v", got)
		}
		// Waiting on another Deferred counts as no result.
		waiting := reactor.Succeed(nil)
		waiting.AddCallback(func(any) (any, error) { return reactor.NewDeferred(nil), nil })
		trial.AssertNoResult(ft, waiting)
	})
	wantClean(t, ft)

	ft = inner(t, func(ft *fakeT) { trial.AssertNoResult(ft, reactor.Succeed("there")) })
	wantFailure(t, ft, 1, "no result expected on <Deferred at", `found "there" instead`)

	// A failure found is consumed: only the assertion is reported.
	ft = inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(*braid.Reactor) { trial.AssertNoResult(ft, reactor.Fail(errBoom)) })
	})
	wantFailure(t, ft, 1, "no result expected", "found <Failure *errors.errorString: boom> instead")
}

// TR-05: assertFailure turns the expected failure into a success with the
// error, and anything else into a FailTest.
func TestAssertFailure_TR05(t *testing.T) {
	trial.RunSync(t, func(*braid.Reactor) {
		got := trial.SuccessResultOf(t, trial.AssertFailure(reactor.Fail(errBoom), reactor.ErrCancelled, errBoom))
		if got != errBoom {
			t.Errorf("AssertFailure succeeded with %v, want the error value", got)
		}

		f := trial.FailureResultOf(t, trial.AssertFailure(reactor.Succeed(7), errBoom), trial.OfType[*trial.FailTest]())
		if f.ErrorMessage() != "did not catch an error, instead got 7" {
			t.Errorf("message %q", f.ErrorMessage())
		}

		f = trial.FailureResultOf(t, trial.AssertFailure(reactor.Fail(errBoom), reactor.ErrCancelled), trial.OfType[*trial.FailTest]())
		for _, want := range []string{`expected: ("deferred was cancelled")`, "got:", "boom"} {
			if !strings.Contains(f.ErrorMessage(), want) {
				t.Errorf("message %q lacks %q", f.ErrorMessage(), want)
			}
		}
	})
	// Returned from a test, the FailTest fails it with its message.
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(*braid.Reactor) *reactor.Deferred {
			return trial.AssertFailure(reactor.Succeed("fine"), errBoom)
		})
	})
	wantFailure(t, ft, 1, `trial: did not catch an error, instead got "fine"`)
}
