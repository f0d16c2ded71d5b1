//go:build unix

package trial_test

import (
	"testing"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/trial"
)

// Trial's handling of descriptors a test leaves, on real pipes.

// Nothing leaks across runs: every reactor's epoll set and eventfd, and every
// descriptor a test left, are closed.
func TestRun_NoDescriptorLeak(t *testing.T) {
	before := openFDs(t)
	for range 20 {
		inner(t, func(ft *fakeT) {
			trial.RunSync(ft, func(r *braid.Reactor) {
				var p [2]int
				if err := testkit.Pipe(p[:]); err != nil {
					ft.Fatalf("pipe: %v", err)
				}
				_ = r.AddReader(&pipeReader{fd: p[0], peer: p[1]})
			})
		})
	}
	if after := openFDs(t); after > before {
		t.Errorf("open descriptors: %d before, %d after 20 dirty runs", before, after)
	}
}

// A left pipe (any descriptor) is named with its String, removed, and told
// ConnectionLost, which closes it.
func TestRun_DirtyPipeReportedAndClosed_TR08(t *testing.T) {
	var pr *pipeReader
	ft := inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *braid.Reactor) {
			var p [2]int
			if err := testkit.Pipe(p[:]); err != nil {
				ft.Fatalf("pipe: %v", err)
			}
			pr = &pipeReader{fd: p[0], peer: p[1]}
			_ = r.AddReader(pr)
		})
	})
	wantFailure(t, ft, 1, "Selectables (removed, ConnectionLost):", "<test pipe fd=")
	if !pr.closed {
		t.Error("the left pipe was not told ConnectionLost")
	}
}
