package main

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// check runs every selected workload once at a small n — each Go contender
// and the Twisted script — and reports which ones fail, without timing
// anything. It is how the Twisted scripts are tested: the test suite itself
// does not need python3-twisted, the benchmark runner does.
func check(ws []Workload, tw twistedEnv, stdout io.Writer) error {
	var errs []error
	for _, w := range ws {
		n := max(1, min(w.N/100, 200))
		before := len(errs)
		fails := func(who string, err error) {
			if err != nil {
				errs = append(errs, fmt.Errorf("%s/%s %s: %w", w.Group, w.Name, who, err))
				fmt.Fprintf(stdout, "FAIL %-8s %-55s %s: %v\n", w.Group, w.Name, who, err)
			}
		}
		for _, c := range []struct {
			name string
			f    func(int) (time.Duration, error)
		}{{"braid", w.Braid}, {"plain Go", w.PlainGo}, {w.OtherName, w.Other}, {"Twisted", tw.serverContender(w)}} {
			if c.f != nil {
				_, err := timed(c.f, n, 30*time.Second)
				fails(c.name, err)
			}
		}
		if len(w.TwistedServer) > 0 && tw.missing != "" {
			fails("Twisted", errors.New(tw.missing))
		}
		if len(w.Twisted) > 0 {
			small := w
			small.N = n
			o := tw.run(small, 2, 0, 90*time.Second)
			switch {
			case o.missing != "":
				fails("Twisted", errors.New(o.missing))
			case o.err != nil:
				fails("Twisted", o.err)
			case len(o.samples) != 2:
				fails("Twisted", fmt.Errorf("%d samples, want 2", len(o.samples)))
			}
		}
		if len(errs) == before {
			fmt.Fprintf(stdout, "ok   %-8s %s\n", w.Group, w.Name)
		}
	}
	return errors.Join(errs...)
}
