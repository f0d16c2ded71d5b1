package reactor

import (
	"errors"
	"testing"
)

// A Failure kept and failed afresh, then awaited again and again, gathers
// one frame per await; the frames it gathers are bounded, so a retry loop
// neither grows it without end nor prints a traceback of thousands of
// identical lines.
func TestInlineCallbacks_ReusedFailureFramesAreBounded(t *testing.T) {
	f := NewFailure(errors.New("kept"))
	before := len(f.Frames())
	d := InlineCallbacks(func(await Await) (any, error) {
		for range 1000 {
			if _, err := await(Fail(f)); err != f {
				t.Fatalf("await = %v, want the kept Failure", err)
			}
		}
		return nil, nil
	})
	if !d.Called() {
		t.Fatal("the body did not finish")
	}
	if got, most := len(f.Frames()), 100; got > most || got <= before {
		t.Errorf("after 1000 awaits: %d frames, want more than %d and at most %d", got, before, most)
	}
}
