package reactor

import (
	"errors"
	"runtime/debug"
	"testing"
	"time"
)

// D-12 (E-07): long chains of returned Deferreds, fired in either order, and
// long lines of ChainDeferred run without growing the goroutine stack.
// Twisted manages the first (10 000 deep) but its chainDeferred recurses and
// fails at depth ~330; braid does both 100 000 deep. Each case runs on a
// goroutine while the process's stack limit is lowered to 1 MiB, so any
// recursion per link kills the test binary instead of passing.
func TestDeferred_DeepChainsWithoutStackGrowth_E07_D12(t *testing.T) {
	const n = 100_000
	cases := []struct {
		name string
		run  func() error
	}{
		{"returned Deferreds, outermost fired first", func() error {
			ds := returnedChain(n)
			for _, d := range ds[:n] {
				_ = d.Callback(nil) // each waits on the next
			}
			_ = ds[n].Callback("end")
			return checkEnds(ds, "end")
		}},
		{"returned Deferreds, innermost fired first", func() error {
			ds := returnedChain(n)
			for i := n; i >= 0; i-- {
				v := any(nil)
				if i == n {
					v = "end"
				}
				_ = ds[i].Callback(v) // each takes the next one's result at once
			}
			return checkEnds(ds, "end")
		}},
		{"ChainDeferred links, head fired last", func() error {
			ds := chainedLine(n)
			_ = ds[0].Callback("through")
			return checkEnds(ds, "through")
		}},
		{"ChainDeferred links, failure through them", func() error {
			ds := chainedLine(n)
			boom := errors.New("boom")
			var got *Failure
			ds[n].AddErrback(func(f *Failure) (any, error) { got = f; return "caught", nil })
			_ = ds[0].Errback(boom)
			if !errors.Is(got, boom) {
				return errors.New("the last link did not get the failure")
			}
			return checkEnds(ds, "caught")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ownUnhandled(t)
			old := debug.SetMaxStack(1 << 20)
			defer debug.SetMaxStack(old)
			done := make(chan error, 1)
			start := time.Now()
			go func() { done <- c.run() }()
			select {
			case err := <-done:
				if err != nil {
					t.Error(err)
				}
				t.Logf("%d links in %v", n, time.Since(start))
			case <-time.After(60 * time.Second):
				t.Fatalf("%d links not done after 60s", n)
			}
		})
	}
}

// returnedChain returns n+1 Deferreds where d[i]'s callback returns d[i+1].
func returnedChain(n int) []*Deferred {
	ds := make([]*Deferred, n+1)
	for i := range ds {
		ds[i] = NewDeferred(nil)
	}
	for i := range n {
		next := ds[i+1]
		ds[i].AddCallback(func(any) (any, error) { return next, nil })
	}
	return ds
}

// chainedLine returns n+1 Deferreds where d[i].ChainDeferred(d[i+1]).
func chainedLine(n int) []*Deferred {
	ds := make([]*Deferred, n+1)
	for i := range ds {
		ds[i] = NewDeferred(nil)
	}
	for i := range n {
		ds[i].ChainDeferred(ds[i+1])
	}
	return ds
}

// checkEnds checks where the result ended up: for returned chains, in d[0]
// (the others hold nil); for chained lines, in the last one (the others hold
// nil). Every Deferred must be fired and none paused.
func checkEnds(ds []*Deferred, want any) error {
	first, last := ds[0].Result(), ds[len(ds)-1].Result()
	if first != want && last != want {
		return errors.New("the result reached neither end")
	}
	for i, d := range ds {
		if !d.Called() || d.Paused() != 0 {
			return errors.New("a link was left unfired or paused")
		}
		if i > 0 && i < len(ds)-1 && d.Result() != nil {
			return errors.New("a middle link kept a result")
		}
	}
	return nil
}
