package trial_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

var errCollected = errors.New("dropped while failing")

// TR-07, D-15: a test that drops a failing Deferred, collects garbage (the
// port of `del d; gc.collect()`) and flushes finds the failure every time,
// whether or not the collector's cleanup has run yet — never "nothing",
// with the failure surfacing later as an unflushed logged error.
func TestFlushLoggedErrors_AfterGCIsDeterministic_TR07(t *testing.T) {
	for i := range 300 {
		var got int
		ft := inner(t, func(ft *fakeT) {
			trial.RunSync(ft, func(*braid.Reactor) {
				func() { _ = reactor.Fail(errCollected) }() // dropped at once
				runtime.GC()
				runtime.GC()
				got = len(trial.FlushLoggedErrors(ft, errCollected))
			})
		})
		if got != 1 || ft.Failed() {
			t.Fatalf("run %d: FlushLoggedErrors after GC returned %d failures, want 1; inner test:\n%s", i, got, ft.text())
		}
	}
}
