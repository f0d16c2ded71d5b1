//go:build unix

package trial_test

// Runs no longer take turns: tests marked t.Parallel run their trial.Run at
// the same time, each on its own reactor, and each report names exactly
// what that test left. A trial.Run inside another for the same test, or
// for a subtest while its parent's Run is in progress, fails at once
// instead of deadlocking.

import (
	"flag"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// overlapTimeout bounds every wait of these tests, so that a regression
// (runs that take turns again, a Run that waits for its parent's) shows as
// a failure, not a hang.
const overlapTimeout = 30 * time.Second

// parallelRuns says how many parallel subtests to start, and how many of
// them go test lets run at once (-parallel, GOMAXPROCS by default): the
// barriers wait for that many, so that every one of those runs is inside
// trial.Run at the same time.
func parallelRuns(t *testing.T) (n, overlap int) {
	t.Helper()
	p := 1
	if f := flag.Lookup("test.parallel"); f != nil {
		if v, err := strconv.Atoi(f.Value.String()); err == nil && v > 0 {
			p = v
		}
	}
	n = min(max(p, 2), 4)
	overlap = min(n, p)
	if overlap < 2 {
		t.Logf("-parallel=%d: the parallel runs cannot overlap", p)
	}
	return n, overlap
}

// barrier is where the runs wait for each other: it opens once n runs
// have arrived.
type barrier struct {
	mu   sync.Mutex
	left int
	open chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{left: n, open: make(chan struct{})} }

// wait arrives at b and returns a Deferred that r fires once b is open. r
// goes on running meanwhile (it polls b from a timer of its own), so each
// run waits on a Deferred fired by its own reactor. After overlapTimeout it
// fails t and fires anyway.
func (b *barrier) wait(t *testing.T, r *braid.Reactor, what string) *reactor.Deferred {
	b.mu.Lock()
	if b.left--; b.left == 0 {
		close(b.open)
	}
	b.mu.Unlock()
	d := reactor.NewDeferred(nil)
	start := time.Now()
	var poll func()
	poll = func() {
		select {
		case <-b.open:
			_ = d.Callback(nil)
		default:
			if time.Since(start) > overlapTimeout {
				t.Errorf("the other runs did not reach %s within %v: trial.Run calls do not overlap", what, overlapTimeout)
				_ = d.Callback(nil)
				return
			}
			r.CallLater(time.Millisecond, poll)
		}
	}
	r.CallLater(time.Millisecond, poll)
	return d
}

// runError is the error run n leaves: every run's matches OfType[*runError],
// so a run that took or reported another's would show it.
type runError struct{ run int }

func (e *runError) Error() string { return fmt.Sprintf("boom from run %d", e.run) }

// summarize shortens a report of the inner test to its first line and its
// last (for a logged error: the error's type and message).
func summarize(reports []string) []string {
	out := make([]string, len(reports))
	for i, r := range reports {
		lines := strings.Split(strings.TrimSpace(r), "\n")
		out[i] = lines[0] + " | " + strings.TrimSpace(lines[len(lines)-1])
	}
	return out
}

// Two or more tests marked t.Parallel run trial.Run at the same time; each
// leaves a Deferred holding an unhandled error and logs an error while all
// their reactors are live, and each reports exactly its own two (TR-07,
// D-15).
func TestRun_ParallelRunsReportOnlyTheirOwnErrors_TR07(t *testing.T) {
	n, overlap := parallelRuns(t)
	inRun, left := newBarrier(overlap), newBarrier(overlap)
	for i := range n {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			var unhandled *reactor.Deferred
			ft := inner(t, func(ft *fakeT) {
				trial.Run(ft, func(r *braid.Reactor) *reactor.Deferred {
					return inRun.wait(t, r, "trial.Run").AddCallback(func(any) (any, error) {
						// Every run is inside trial.Run now, and none ends
						// before all have left their errors.
						unhandled = reactor.Fail(&runError{i})
						r.LogError(reactor.NewFailure(&runError{i}), fmt.Sprint("run ", i))
						return left.wait(t, r, "the point where all have left their errors"), nil
					})
				})
			})
			want := []string{
				fmt.Sprintf("trial: logged error (run %d), not flushed with trial.FlushLoggedErrors: | *trial_test.runError: boom from run %d", i, i),
				fmt.Sprintf("trial: logged error (Unhandled error in Deferred), not flushed with trial.FlushLoggedErrors: | *trial_test.runError: boom from run %d", i),
			}
			if diff := cmp.Diff(want, summarize(ft.all())); diff != "" {
				t.Errorf("run %d's report (-want +got):\n%s\nin full:\n%s", i, diff, ft.text())
			}
			_ = unhandled // kept alive, so only trial's end-of-test check reports it
		})
	}
}

// FlushLoggedErrors, called while other tests' runs hold errors of the
// same kind, takes the errors of its own test alone: the one it logged and
// the one its live Deferred holds (TR-07, D-15).
func TestRun_ParallelFlushLoggedErrorsTakesOnlyItsOwn_TR07(t *testing.T) {
	n, overlap := parallelRuns(t)
	inRun, left, flushed := newBarrier(overlap), newBarrier(overlap), newBarrier(overlap)
	for i := range n {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			var got []string
			var unhandled *reactor.Deferred
			ft := inner(t, func(ft *fakeT) {
				trial.Run(ft, func(r *braid.Reactor) *reactor.Deferred {
					d := inRun.wait(t, r, "trial.Run")
					d.AddCallback(func(any) (any, error) {
						unhandled = reactor.Fail(&runError{i})
						r.LogError(reactor.NewFailure(&runError{i}), fmt.Sprint("run ", i))
						return left.wait(t, r, "the point where all have left their errors"), nil
					})
					d.AddCallback(func(any) (any, error) {
						// Every run's errors are there now; take this one's.
						for _, f := range trial.FlushLoggedErrors(ft, trial.OfType[*runError]()) {
							got = append(got, f.ErrorMessage())
						}
						return flushed.wait(t, r, "the point where all have flushed"), nil
					})
					return d
				})
			})
			wantClean(t, ft)
			want := []string{fmt.Sprintf("boom from run %d", i), fmt.Sprintf("boom from run %d", i)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("run %d flushed (-want +got):\n%s", i, diff)
			}
			_ = unhandled
		})
	}
}

// awaitForever is an InlineCallbacks body left suspended.
func awaitForever(await reactor.Await) (any, error) { return await(reactor.NewDeferred(nil)) }

// dirtySections parses the dirty-reactor report among reports: its lines
// by section, sorted, with what varies from run to run replaced.
func dirtySections(reports []string, replace func(string) string) map[string][]string {
	out := map[string][]string{}
	for _, r := range reports {
		if !strings.HasPrefix(r, "trial: reactor was unclean") {
			continue
		}
		section := ""
		for _, line := range strings.Split(r, "\n")[1:] {
			if strings.HasSuffix(line, ":") && !strings.HasPrefix(line, "<") {
				section = strings.TrimSuffix(line, ":")
				continue
			}
			out[section] = append(out[section], replace(line))
		}
	}
	for _, lines := range out {
		slices.Sort(lines)
	}
	return out
}

var (
	callDelay   = regexp.MustCompile(`^<DelayedCall 0x[0-9a-f]+ \[([0-9.]+)s\] (.*) scheduled at \S*/(\w+\.go):\d+>$`)
	address     = regexp.MustCompile(`0x[0-9a-f]+`)
	site        = regexp.MustCompile(`\S*/(\w+\.go):\d+`)
	anyFD       = regexp.MustCompile(`fd=\d+`)
	watcherKind = regexp.MustCompile(`exit watcher \(\w+\)`)
)

// Parallel runs each leave a different number of pending calls, open
// pipes, live children and suspended InlineCallbacks bodies (run 0 none);
// each run's dirty-reactor report lists exactly its own, which were cleaned
// up, and a run that left nothing is clean (TR-06, TR-08, W-04).
func TestRun_ParallelRunsReportOnlyTheirOwnLeftovers_TR08(t *testing.T) {
	n, overlap := parallelRuns(t)
	inRun, left := newBarrier(overlap), newBarrier(overlap)
	for i := range n {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			var pipes []*pipeReader
			var pipeFDs, pids []int
			ft := inner(t, func(ft *fakeT) {
				trial.Run(ft, func(r *braid.Reactor) *reactor.Deferred {
					return inRun.wait(t, r, "trial.Run").AddCallback(func(any) (any, error) {
						for range i {
							r.CallLater(time.Duration(i)*time.Hour, leftBehind)
							reactor.InlineCallbacks(awaitForever)
							var p [2]int
							if err := testkit.Pipe(p[:]); err != nil {
								ft.Fatalf("pipe: %v", err)
							}
							pr := &pipeReader{fd: p[0], peer: p[1]}
							pipes, pipeFDs = append(pipes, pr), append(pipeFDs, p[0])
							_ = r.AddReader(pr)
							proc, err := r.SpawnProcess(nil, "sleep", []string{"sleep", fmt.Sprint(30 + i)}, protocol.SpawnOptions{})
							if err != nil {
								ft.Fatalf("spawn: %v", err)
							}
							pids = append(pids, proc.Pid())
						}
						return left.wait(t, r, "the point where all have left their leftovers"), nil
					})
				})
			})
			if i == 0 {
				wantClean(t, ft)
				return
			}
			wantFailure(t, ft, 1, "reactor was unclean")
			replace := func(line string) string {
				if m := callDelay.FindStringSubmatch(line); m != nil {
					secs, _ := strconv.ParseFloat(m[1], 64)
					return fmt.Sprintf("<DelayedCall in %dh %s at %s>", int(math.Round(secs/3600)), m[2], m[3])
				}
				for k, fd := range pipeFDs {
					line = strings.ReplaceAll(line, fmt.Sprintf("<test pipe fd=%d>", fd), fmt.Sprintf("<test pipe %d>", k))
				}
				for k, pid := range pids {
					line = strings.ReplaceAll(line, fmt.Sprintf("pid=%d ", pid), fmt.Sprintf("pid=child%d ", k))
				}
				line = address.ReplaceAllString(line, "0x…")
				line = site.ReplaceAllString(line, "$1")
				line = watcherKind.ReplaceAllString(line, "exit watcher (…)") // pidfd, waitid or kqueue
				return anyFD.ReplaceAllString(line, "fd=…")
			}
			want := map[string][]string{}
			for k := range i {
				child := fmt.Sprintf("pid=child%d", k)
				want["DelayedCalls (cancelled)"] = append(want["DelayedCalls (cancelled)"],
					fmt.Sprintf("<DelayedCall in %dh called=0 cancelled=0 trial_test.leftBehind() at parallel_test.go>", i))
				want["InlineCallbacks (abandoned)"] = append(want["InlineCallbacks (abandoned)"],
					"<InlineCallbacks trial_test.awaitForever() suspended at parallel_test.go awaiting <Deferred at 0x…>>")
				want["Processes (killed and reaped)"] = append(want["Processes (killed and reaped)"],
					fmt.Sprintf(`<Process %s status=-1 args=["sleep" "%d"]>`, child, 30+i))
				want["Selectables (removed, ConnectionLost)"] = append(want["Selectables (removed, ConnectionLost)"],
					fmt.Sprintf("<test pipe %d>", k),
					fmt.Sprintf(`<process pipe writer %s argv0="sleep" childFD=0 fd=…>`, child),
					fmt.Sprintf(`<process pipe reader %s argv0="sleep" childFD=1 fd=…>`, child),
					fmt.Sprintf(`<process pipe reader %s argv0="sleep" childFD=2 fd=…>`, child),
					fmt.Sprintf(`<process exit watcher (…) %s argv0="sleep" fd=…>`, child))
			}
			for _, lines := range want {
				slices.Sort(lines)
			}
			if diff := cmp.Diff(want, dirtySections(ft.all(), replace)); diff != "" {
				t.Errorf("run %d's dirty-reactor report (-want +got):\n%s\nin full:\n%s", i, diff, ft.text())
			}
			for _, pr := range pipes {
				if !pr.closed {
					t.Errorf("run %d's pipe was not told ConnectionLost", i)
				}
			}
			for _, pid := range pids {
				if alive(pid) {
					t.Errorf("run %d's child %d still exists after the cleanup", i, pid)
				}
			}
		})
	}
}

// runSubtest runs a subtest of parent as t.Run does — on a goroutine of
// its own, the parent waiting for it — whose body calls trial.RunSync. It
// returns the subtest's recorder and whether the body ran, and fails t if
// the subtest's trial.Run has not returned after overlapTimeout.
func runSubtest(t *testing.T, parent *fakeT) (sub *fakeT, ran bool) {
	sub = &fakeT{name: parent.name + "/sub"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		trial.RunSync(sub, func(*braid.Reactor) { ran = true })
	}()
	select {
	case <-done:
		return sub, ran
	case <-time.After(overlapTimeout):
		t.Errorf("the subtest's trial.Run has not returned after %v (deadlocked on its parent's?)", overlapTimeout)
		return sub, false
	}
}

// A subtest's trial.Run, called while its parent's trial.Run is in
// progress (from the parent's test function, or from a callback on its
// reactor), fails the subtest at once, naming both tests, and its function
// does not run; the parent is not blamed. Once the parent's Run has ended,
// the subtest may use trial.Run.
func TestRun_SubtestRunInsideParentRunIsRefused(t *testing.T) {
	for _, where := range []string{"test function", "callback"} {
		t.Run(where, func(t *testing.T) {
			var sub, after *fakeT
			var subRan, afterRan bool
			ft := inner(t, func(ft *fakeT) {
				trial.Run(ft, func(r *braid.Reactor) *reactor.Deferred {
					if where == "test function" {
						sub, subRan = runSubtest(t, ft)
						return nil
					}
					return reactor.DeferLater(r, time.Millisecond, func() (any, error) {
						sub, subRan = runSubtest(t, ft)
						return nil, nil
					})
				})
				after, afterRan = runSubtest(t, ft)
			})
			wantClean(t, ft)
			if sub == nil {
				t.Fatal("the parent's test function did not run its subtest")
			}
			wantFailure(t, sub, 1, "trial.Run called for "+sub.name, "trial.Run of its parent test "+ft.name, "in progress")
			if subRan {
				t.Error("the subtest's function ran inside its parent's trial.Run")
			}
			wantClean(t, after)
			if !afterRan {
				t.Error("the subtest's function did not run once its parent's trial.Run had ended")
			}
		})
	}
}

// A trial.Run inside a callback of the same test's trial.Run fails at once
// too (TestRun_NestedRunIsRefused calls it from the test function).
func TestRun_NestedRunInCallbackIsRefused(t *testing.T) {
	nestedRan := false
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *braid.Reactor) *reactor.Deferred {
			return reactor.DeferLater(r, time.Millisecond, func() (any, error) {
				trial.RunSync(ft, func(*braid.Reactor) { nestedRan = true })
				return nil, nil
			})
		})
	})
	// The nested Run's t.Fatalf ends the test there (runtime.Goexit), so
	// only that failure is reported; the janitor still cleans up.
	wantFailure(t, ft, 1, "trial.Run called inside trial.Run for "+ft.name, "a test has one reactor")
	if nestedRan {
		t.Error("the nested test function ran")
	}
}
