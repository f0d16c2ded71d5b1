package trial_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// exampleT stands in for the *testing.T a test function gets, so that the
// examples can run: it prints the first line of each failure.
type exampleT struct{ failed bool }

func (t *exampleT) Helper()                         {}
func (t *exampleT) Name() string                    { return "TestExample" }
func (t *exampleT) Failed() bool                    { return t.failed }
func (t *exampleT) Logf(format string, args ...any) {}
func (t *exampleT) Errorf(format string, args ...any) {
	t.failed = true
	fmt.Println("FAIL:", strings.SplitN(fmt.Sprintf(format, args...), "\n", 2)[0])
}
func (t *exampleT) Fatalf(format string, args ...any) { t.Errorf(format, args...) }

// A ported Deferred-returning test: Run gives it a fresh reactor, runs it
// until the Deferred fires, and the callback makes the assertion (Twisted's
// d.addCallback(self.assertEqual, "pong")). In a test file, t is the
// *testing.T of func TestPing(t *testing.T).
func ExampleRun() {
	t := &exampleT{}
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := reactor.DeferLater(r, 10*time.Millisecond, func() (any, error) { return "pong", nil })
		return d.AddCallback(func(v any) (any, error) {
			if v != "pong" {
				t.Errorf("got %v, want pong", v)
			}
			return nil, nil
		})
	}, trial.Timeout(5*time.Second))
	fmt.Println("failed:", t.Failed())
	// Output:
	// failed: false
}

// A test that leaves a timer behind fails, and the timer is cancelled.
func ExampleRunSync() {
	t := &exampleT{}
	var left *reactor.DelayedCall
	trial.RunSync(t, func(r *braid.Reactor) {
		left = r.CallLater(time.Minute, func() {})
	})
	fmt.Println("cancelled:", left.Cancelled())
	// Output:
	// FAIL: trial: reactor was unclean (trial has cleaned up what is listed).
	// cancelled: true
}
