package trial_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// trial tested through trial.TB: each test runs an inner test against a
// recording fake and checks what trial reported and what it cleaned up.

func closeFD(fd int) error { return syscall.Close(fd) }

var errBoom = errors.New("boom")

func TestRun_CleanDeferredTestPasses_TR01(t *testing.T) {
	var trace []string
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			trace = append(trace, fmt.Sprint("f: running=", r.Running()))
			d := reactor.DeferLater(r, 5*time.Millisecond, func() (any, error) {
				trace = append(trace, fmt.Sprint("later: running=", r.Running()))
				return "ok", nil
			})
			return d
		})
	})
	wantClean(t, ft)
	// As in trial, the test method runs before the reactor starts.
	want := []string{"f: running=false", "later: running=true"}
	if diff := cmp.Diff(want, trace); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// TR-01: an already-fired Deferred never starts the reactor.
func TestRun_FiredDeferredNeedsNoReactor_TR01(t *testing.T) {
	started := false
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			_, _ = r.AddSystemEventTrigger(reactor.Before, "startup", func() *reactor.Deferred {
				started = true
				return nil
			})
			return reactor.Succeed(42)
		})
	})
	wantClean(t, ft)
	if started {
		t.Error("the reactor was started for a test whose Deferred had already fired")
	}
}

func TestRun_ErrbackFailsWithTraceback(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			d := reactor.NewDeferred(nil)
			r.CallLater(time.Millisecond, func() { failTheTest(d) })
			return d
		})
	})
	wantFailure(t, ft, 1, "the test's Deferred failed", "Traceback (most recent call last)",
		"failTheTest", "run_test.go", "boom")
}

// failTheTest is a named function so the traceback can be checked for it.
func failTheTest(d *reactor.Deferred) { _ = d.Errback(fmt.Errorf("wrapped: %w", errBoom)) }

func TestRun_PanicInTestFunction(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *reactor.Reactor) { panic("test blew up") })
	})
	wantFailure(t, ft, 1, "panic: test blew up", "run_test.go")
}

// TR-03, TR-04: a Deferred still unfired at the timeout is errbacked with a
// TimeoutError, which the test's own errbacks see, and the test fails.
func TestRun_TimeoutErrbacksTheTestDeferred_TR04(t *testing.T) {
	var seen error
	start := time.Now()
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			d := reactor.NewDeferred(nil)
			d.AddErrback(func(f *reactor.Failure) (any, error) {
				seen = f
				return nil, f
			})
			return d
		}, trial.Timeout(50*time.Millisecond))
	})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a 50 ms timeout took %v", took)
	}
	wantFailure(t, ft, 1, "/inner (test) still running at 0.05 secs")
	var te *trial.TimeoutError
	var dte *reactor.DeferTimeoutError
	if !errors.As(seen, &te) || !errors.As(seen, &dte) || dte.Timeout != 50*time.Millisecond {
		t.Errorf("the test's errback saw %v, want a trial.TimeoutError that is a reactor.DeferTimeoutError", seen)
	}
}

// TR-04: when the test's Deferred has fired but waits on another one, it
// cannot take the errback; trial stops waiting and reports the timeout
// itself; what the test left scheduled is reported too (E-20).
func TestRun_TimeoutWhileWaitingOnInner_TR04(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			innerD := reactor.DeferLater(r, time.Hour, nil)
			d := reactor.Succeed(nil)
			d.AddCallback(func(any) (any, error) { return innerD, nil })
			return d
		}, trial.Timeout(30*time.Millisecond))
	})
	wantFailure(t, ft, 2, "still running at 0.03 secs", "waiting on Deferred",
		"reactor was unclean", "DelayedCalls", "reactor.DeferLater")
}

// The timeout never runs past go test's deadline: it is cut, and says so.
func TestRun_TimeoutCutToDeadline(t *testing.T) {
	start := time.Now()
	ft := inner(t, func(ft *fakeT) {
		ft.deadline = time.Now().Add(2 * time.Second)
		trial.Run(deadlineT{ft}, func(r *reactor.Reactor) *reactor.Deferred {
			return reactor.NewDeferred(nil)
		})
	})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("test ran %v, past its 2 s deadline", took)
	}
	wantFailure(t, ft, 1, "still running", "cut short to fit the go test -timeout deadline")
}

// TR-06: pending calls are reported with the function and the line that
// scheduled them, and cancelled.
func TestRun_DirtyTimerReportedAndCancelled_TR06(t *testing.T) {
	var left *reactor.DelayedCall
	ft := inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *reactor.Reactor) {
			left = r.CallLater(100*time.Second, leftBehind)
		})
	})
	wantFailure(t, ft, 1, "reactor was unclean", "DelayedCalls (cancelled):",
		"trial_test.leftBehind()", "run_test.go:")
	if !left.Cancelled() {
		t.Errorf("left call %v was not cancelled", left)
	}
}

func leftBehind() {}

// E-21: the janitor's two Iterate(0) run a CallLater(0) chain two deep;
// a third level, or a 1 ms call, is dirty.
func TestRun_CallLaterZeroChains_E21(t *testing.T) {
	cases := []struct {
		name  string
		setup func(r *reactor.Reactor, ran *[]string)
		dirty bool
	}{
		{"depth 2", func(r *reactor.Reactor, ran *[]string) {
			r.CallLater(0, func() {
				*ran = append(*ran, "1")
				r.CallLater(0, func() { *ran = append(*ran, "2") })
			})
		}, false},
		{"depth 3", func(r *reactor.Reactor, ran *[]string) {
			r.CallLater(0, func() {
				r.CallLater(0, func() {
					r.CallLater(0, func() { *ran = append(*ran, "3") })
				})
			})
		}, true},
		{"1 ms", func(r *reactor.Reactor, ran *[]string) {
			r.CallLater(time.Millisecond, func() { *ran = append(*ran, "1ms") })
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ran []string
			ft := inner(t, func(ft *fakeT) {
				trial.RunSync(ft, func(r *reactor.Reactor) { c.setup(r, &ran) })
			})
			if c.dirty {
				wantFailure(t, ft, 1, "DelayedCalls")
			} else {
				wantClean(t, ft)
			}
		})
	}
}

// TR-07: an error logged during the test fails it, unless flushed.
func TestRun_LoggedErrorFailsUnlessFlushed_TR07(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flush=", flush), func(t *testing.T) {
			var flushed []*reactor.Failure
			ft := inner(t, func(ft *fakeT) {
				trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
					r.CallLater(0, func() { panic(errBoom) })
					return reactor.DeferLater(r, time.Millisecond, func() (any, error) {
						if flush {
							flushed = trial.FlushLoggedErrors(ft, errBoom)
						}
						return nil, nil
					})
				})
			})
			if !flush {
				wantFailure(t, ft, 1, "logged error (timed call)", "boom", "run_test.go")
				return
			}
			wantClean(t, ft)
			if len(flushed) != 1 || !errors.Is(flushed[0], errBoom) {
				t.Errorf("FlushLoggedErrors returned %v, want the one boom", flushed)
			}
		})
	}
}

// FlushLoggedErrors takes only the kinds asked for; the rest still fail.
func TestRun_FlushLoggedErrorsByKind_TR07(t *testing.T) {
	other := errors.New("other")
	var got []*reactor.Failure
	ft := inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *reactor.Reactor) {
			r.LogError(reactor.NewFailure(errBoom), "first")
			r.LogError(reactor.NewFailure(other), "second")
			r.LogError(reactor.NewFailure(&reactor.FirstError{Sub: reactor.NewFailure(other), Index: 3}), "third")
			got = trial.FlushLoggedErrors(ft, errBoom, trial.OfType[*reactor.FirstError]())
		})
	})
	wantFailure(t, ft, 1, "logged error (second)", "other")
	if len(got) != 2 || !errors.Is(got[0], errBoom) {
		t.Errorf("flushed %v, want boom and the FirstError", got)
	}
}

// D-15, TR-07: a Deferred left holding a failure fails the test at its end,
// deterministically; FlushLoggedErrors takes it.
func TestRun_UnhandledDeferredErrorFailsUnlessFlushed_D15(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *reactor.Reactor) { _ = reactor.Fail(errBoom) })
	})
	wantFailure(t, ft, 1, "logged error (Unhandled error in Deferred)", "boom")

	ft = inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *reactor.Reactor) {
			d := reactor.Fail(errBoom)
			if n := len(trial.FlushLoggedErrors(ft, errBoom)); n != 1 {
				ft.Errorf("flushed %d, want 1", n)
			}
			_ = d
		})
	})
	wantClean(t, ft)

	// A failure of another kind stays tracked: handling it later is fine.
	ft = inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *reactor.Reactor) {
			d := reactor.Fail(errBoom)
			trial.FlushLoggedErrors(ft, reactor.ErrCancelledError)
			trial.FailureResultOf(ft, d, errBoom)
		})
	})
	wantClean(t, ft)
}

func TestRun_FlushAndCleanupOutsideRun(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.FlushLoggedErrors(ft)
		trial.AddCleanup(ft, func() *reactor.Deferred { return nil })
	})
	wantFailure(t, ft, 2, "FlushLoggedErrors: no trial.Run in progress", "AddCleanup: no trial.Run in progress")
}

// TR-02: cleanups run last first, after the test's Deferred, each waited for;
// a failing one fails the test and the others still run.
func TestRun_CleanupsRunInReverseAndAreWaitedFor_TR02(t *testing.T) {
	var trace []string
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			trial.AddCleanup(ft, func() *reactor.Deferred {
				trace = append(trace, "cleanup 1")
				return nil
			})
			trial.AddCleanup(ft, func() *reactor.Deferred {
				trace = append(trace, "cleanup 2 starts")
				return reactor.DeferLater(r, 5*time.Millisecond, func() (any, error) {
					trace = append(trace, "cleanup 2 done")
					return nil, errBoom
				})
			})
			trial.AddCleanup(ft, func() *reactor.Deferred { panic("cleanup 3 panics") })
			return reactor.DeferLater(r, time.Millisecond, func() (any, error) {
				trace = append(trace, "test done")
				return nil, nil
			})
		})
	})
	want := []string{"test done", "cleanup 2 starts", "cleanup 2 done", "cleanup 1"}
	if diff := cmp.Diff(want, trace); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	wantFailure(t, ft, 2, "a cleanup failed", "cleanup 3 panics", "boom")
}

func TestRun_CleanupTimeout(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *reactor.Reactor) {
			trial.AddCleanup(ft, func() *reactor.Deferred { return reactor.NewDeferred(nil) })
		}, trial.Timeout(20*time.Millisecond))
	})
	wantFailure(t, ft, 1, "(cleanup) still running at 0.02 secs")
}

// t.Fatal inside a callback ends the test at once (runtime.Goexit through
// the reactor loop); the cleanups and the janitor still run.
func TestRun_FatalInsideCallbackStillCleansUp(t *testing.T) {
	var left *reactor.DelayedCall
	after, cleaned := false, false
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			left = r.CallLater(time.Hour, leftBehind)
			trial.AddCleanup(ft, func() *reactor.Deferred {
				cleaned = true
				return reactor.DeferLater(r, time.Millisecond, nil)
			})
			return reactor.DeferLater(r, time.Millisecond, func() (any, error) {
				ft.Fatalf("fatal in callback")
				after = true
				return nil, nil
			})
		})
		after = true
	})
	if after {
		t.Error("code after Fatalf ran")
	}
	wantFailure(t, ft, 2, "fatal in callback", "DelayedCalls", "leftBehind")
	if !left.Cancelled() {
		t.Error("the janitor did not run after Fatalf")
	}
	if !cleaned {
		t.Error("the cleanups did not run after Fatalf")
	}
}

func TestRun_StopByTestIsReported_TR09(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			r.CallLater(time.Millisecond, func() { _ = r.Stop() })
			return reactor.NewDeferred(nil)
		})
	})
	wantFailure(t, ft, 1, "the reactor stopped before the test's Deferred fired")
}

// An InlineCallbacks body left suspended is reported and abandoned: its
// goroutine is gone and its deferred functions ran.
func TestRun_SuspendedInlineCallbacksReportedAndAbandoned(t *testing.T) {
	unwound := false
	ft := inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(r *reactor.Reactor) {
			reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
				defer func() { unwound = true }()
				return await(reactor.NewDeferred(nil))
			})
		})
	})
	wantFailure(t, ft, 1, "InlineCallbacks (abandoned)", "TestRun_SuspendedInlineCallbacksReportedAndAbandoned", "run_test.go")
	if !unwound {
		t.Error("the suspended body was not unwound")
	}
}

// Nothing leaks across runs: every reactor's epoll set and eventfd, and every
// descriptor a test left, are closed.
func TestRun_NoDescriptorLeak(t *testing.T) {
	before := openFDs(t)
	for range 20 {
		inner(t, func(ft *fakeT) {
			trial.RunSync(ft, func(r *reactor.Reactor) {
				var p [2]int
				if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
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
		trial.RunSync(ft, func(r *reactor.Reactor) {
			var p [2]int
			if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
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

func TestRun_ErrorMessagesNameTheTest(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred { return reactor.NewDeferred(nil) },
			trial.Timeout(time.Millisecond))
	})
	if !strings.Contains(ft.text(), t.Name()+"/inner") {
		t.Errorf("timeout report does not name the test:\n%s", ft.text())
	}
}

func TestRun_NestedRunIsRefused(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.RunSync(ft, func(*reactor.Reactor) {
			trial.RunSync(ft, func(*reactor.Reactor) { ft.Errorf("the nested test ran") })
		})
	})
	wantFailure(t, ft, 1, "trial.Run called inside trial.Run")
}

// Tests marked t.Parallel may use trial.Run: their runs take turns, and
// each sees only its own logged errors.
func TestRun_ParallelRunsTakeTurns(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ft := inner(t, func(ft *fakeT) {
				trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
					if i%2 == 0 {
						r.LogError(reactor.NewFailure(errBoom), "parallel")
					}
					return reactor.DeferLater(r, 5*time.Millisecond, nil)
				})
			})
			if i%2 == 0 {
				wantFailure(t, ft, 1, "logged error (parallel)")
			} else {
				wantClean(t, ft)
			}
		})
	}
}

// D-15: a Deferred garbage-collected during the test while holding a
// failure fails the test too (whether the collector reports it first or
// trial's end-of-test check finds it).
func TestRun_CollectedUnhandledErrorFails_D15(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *reactor.Reactor) *reactor.Deferred {
			func() { _ = reactor.Fail(errBoom) }()
			for range 3 {
				runtime.GC()
			}
			return reactor.DeferLater(r, 20*time.Millisecond, nil)
		})
	})
	wantFailure(t, ft, 1, "logged error (Unhandled error in Deferred)", "boom")
}

// An unhandled failure left by code that ran before the test is logged, not
// blamed on the test.
func TestRun_EarlierUnhandledErrorNotBlamed(t *testing.T) {
	var early *reactor.Deferred
	ft := inner(t, func(ft *fakeT) {
		early = reactor.Fail(errBoom)
		trial.RunSync(ft, func(*reactor.Reactor) {})
	})
	wantClean(t, ft)
	if len(ft.logs) != 1 || !strings.Contains(ft.logs[0], "before") || !strings.Contains(ft.logs[0], "boom") {
		t.Errorf("logs %q, want one note of the earlier failure", ft.logs)
	}
	_ = early
}
