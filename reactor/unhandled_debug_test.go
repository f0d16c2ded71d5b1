package reactor

import (
	"errors"
	"strings"
	"testing"
)

// With debugging, a Failure that rested unhandled in a Deferred and was
// then handled no longer says it is unhandled: an errback that logs it
// (Twisted's log.err in an errback) reports the error alone, as Twisted's
// traceback has no DebugInfo in it.
func TestDeferred_HandledFailureDropsDebugSites_D15(t *testing.T) {
	log := &errorLog{}
	r, err := New(WithDebugging(), WithErrorObserver(log.observe))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	d := NewDeferred(nil)
	_ = d.Errback(errors.New("boom")) // rests unhandled for now
	d.AddErrback(func(f *Failure) (any, error) {
		r.LogError(f, "handled")
		return nil, nil
	})
	if len(log.evs) != 1 {
		t.Fatalf("logged %v", log.whys())
	}
	if tb := log.evs[0].Failure.Traceback(); strings.Contains(tb, "unhandled in a Deferred") {
		t.Errorf("a handled Failure's traceback says it is unhandled:\n%s", tb)
	}
}
