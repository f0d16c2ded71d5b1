package reactor

import (
	"errors"
	"strings"
	"testing"
)

// Ports of test_inlinecb.py's ForwardTraceBackTests: a Failure that
// travels up a chain of InlineCallbacks bodies names every one of them.

// tbErroring fails after one wait, by returning an error or by panicking.
func tbErroring(panics bool) *Deferred {
	return InlineCallbacks(func(await Await) (any, error) {
		if _, err := await(Succeed("forcing a suspension point")); err != nil {
			return nil, err
		}
		if panics {
			panic("Error Marker")
		}
		return nil, errors.New("Error Marker")
	})
}

func tbCalling3(panics bool) *Deferred {
	return InlineCallbacks(func(await Await) (any, error) { return await(tbErroring(panics)) })
}

func tbCalling2(panics bool) *Deferred {
	return InlineCallbacks(func(await Await) (any, error) { return await(tbCalling3(panics)) })
}

func tbCalling(panics bool) *Deferred {
	return InlineCallbacks(func(await Await) (any, error) { return await(tbCalling2(panics)) })
}

// tbFailure returns the Failure d holds.
func tbFailure(t *testing.T, d *Deferred) *Failure {
	t.Helper()
	var f *Failure
	d.AddErrback(func(got *Failure) (any, error) { f = got; return nil, nil })
	if f == nil {
		t.Fatal("the Deferred did not fail")
	}
	return f
}

func TestInlineCallbacks_ForwardTracebacks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		panics bool
		chain  func(bool) *Deferred
		bodies []string
	}{
		{"returned error, two bodies", false, tbCalling3, []string{"tbErroring", "tbCalling3"}},
		{"panic, two bodies", true, tbCalling3, []string{"tbErroring", "tbCalling3"}},
		{"returned error, four bodies", false, tbCalling, []string{"tbErroring", "tbCalling3", "tbCalling2", "tbCalling."}},
		{"panic, four bodies", true, tbCalling, []string{"tbErroring", "tbCalling3", "tbCalling2", "tbCalling."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := tbFailure(t, tc.chain(tc.panics)).Traceback()
			if !strings.Contains(tb, "Error Marker") {
				t.Errorf("traceback lacks the error:\n%s", tb)
			}
			// Outermost first, as Python prints it: each body appears above
			// the one it awaited.
			last := len(tb)
			for _, body := range tc.bodies {
				i := strings.Index(tb, body)
				if i < 0 {
					t.Fatalf("traceback does not name %s:\n%s", body, tb)
				}
				if i > last {
					t.Errorf("%s is listed below the body it awaited:\n%s", body, tb)
				}
				last = i
			}
			for _, plumbing := range []string{"iter.Pull", "inlineState"} {
				if strings.Contains(tb, plumbing) {
					t.Errorf("traceback shows the coroutine plumbing %q:\n%s", plumbing, tb)
				}
			}
		})
	}
}
