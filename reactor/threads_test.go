package reactor

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Ports of Twisted's test_threads.py (ReactorThreadsTests,
// DeferredResultTests, StartupBehaviorTests) on real reactors, and braid's
// own checks of the pool: its bound, its shutdown, and the errors where
// Twisted would drop a call or deadlock.

// runWith runs a new reactor that calls main once running, until main (or
// the limit) stops it.
func runWith(t *testing.T, main func(r *Reactor)) (*Reactor, *errorLog) {
	t.Helper()
	r, log := newReactor(t)
	r.CallWhenRunning(func() { main(r) })
	run(t, r, 20*time.Second)
	return r, log
}

// stopWhen stops r once d has fired, recording its outcome.
func stopWhen(r *Reactor, d *Deferred) *taskOutcome {
	o := watch(d)
	d.AddBoth(func(any) (any, error) { _ = r.Stop(); return nil, nil })
	return o
}

// test_suggestThreadPoolSize: the size suggested is the pool's bound; a
// negative one is refused.
func TestThreads_SuggestThreadPoolSize(t *testing.T) {
	r, _ := newReactor(t)
	for _, n := range []int{34, 4, 0} {
		if err := r.SuggestThreadPoolSize(n); err != nil {
			t.Fatal(err)
		}
		if r.pool.size != n {
			t.Errorf("after SuggestThreadPoolSize(%d): size %d", n, r.pool.size)
		}
	}
	if err := r.SuggestThreadPoolSize(-1); !errors.Is(err, ErrNegativeThreadPoolSize) {
		t.Errorf("SuggestThreadPoolSize(-1) = %v, want ErrNegativeThreadPoolSize", err)
	}
}

// test_callInThread: the function runs on a goroutine other than the
// reactor's.
func TestThreads_CallInThreadRunsElsewhere(t *testing.T) {
	var reactorG, workerG int
	runWith(t, func(r *Reactor) {
		reactorG = goid()
		if err := r.CallInThread(func() {
			g := goid()
			r.CallFromThread(func() { workerG = g; _ = r.Stop() })
		}); err != nil {
			t.Error(err)
		}
	})
	if workerG == 0 || workerG == reactorG {
		t.Errorf("worker goroutine %d, reactor goroutine %d", workerG, reactorG)
	}
}

// test_callFromThread: CallFromThread works from the reactor goroutine and
// from a pool goroutine alike.
func TestThreads_CallFromThreadBothWays(t *testing.T) {
	var got []string
	runWith(t, func(r *Reactor) {
		done := func(who string) func() {
			return func() {
				got = append(got, who)
				if len(got) == 2 {
					_ = r.Stop()
				}
			}
		}
		_ = r.CallInThread(func() { r.CallFromThread(done("pool")) })
		r.CallFromThread(done("reactor"))
	})
	if len(got) != 2 {
		t.Errorf("calls made: %v", got)
	}
}

// test_wakerOverflow: a hundred thousand CallFromThread calls from a pool
// goroutine neither fail nor block.
func TestThreads_ManyCallsFromThread(t *testing.T) {
	const n = 100000
	ran := 0
	runWith(t, func(r *Reactor) {
		_ = r.CallInThread(func() {
			for range n {
				r.CallFromThread(func() { ran++ })
			}
			r.CallFromThread(func() { _ = r.Stop() })
		})
	})
	if ran != n {
		t.Errorf("%d of %d calls ran", ran, n)
	}
}

// test_blockingCallFromThread and its three variants: a pool goroutine gets
// f's result, also when f's Deferred fires later, and its error, also when
// the Deferred fails later.
func TestThreads_BlockingCallFromThread(t *testing.T) {
	spam := errors.New("spam")
	for _, tc := range []struct {
		name    string
		f       func(r *Reactor) func() (any, error)
		want    any
		wantErr error
	}{
		{"result", func(*Reactor) func() (any, error) {
			return func() (any, error) { return Succeed("foo"), nil }
		}, "foo", nil},
		{"later result", func(r *Reactor) func() (any, error) {
			return func() (any, error) {
				return DeferLater(r, 10*time.Millisecond, func() (any, error) { return "egg", nil }), nil
			}
		}, "egg", nil},
		{"error", func(*Reactor) func() (any, error) {
			return func() (any, error) { return Fail(spam), nil }
		}, nil, spam},
		{"later error", func(r *Reactor) func() (any, error) {
			return func() (any, error) {
				return DeferLater(r, 10*time.Millisecond, func() (any, error) { return nil, spam }), nil
			}
		}, nil, spam},
		{"plain error", func(*Reactor) func() (any, error) {
			return func() (any, error) { return nil, spam }
		}, nil, spam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			var err error
			runWith(t, func(r *Reactor) {
				_ = r.CallInThread(func() {
					got, err = BlockingCallFromThread(r, tc.f(r))
					r.CallFromThread(func() { _ = r.Stop() })
				})
			})
			if got != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("got (%v, %v), want (%v, %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

type newError struct{}

func (newError) Error() string { return "new error" }

// DeferredResultTests: DeferToThread fires with f's result, or fails with
// its error, also after a call that succeeded, and with a panic.
func TestThreads_DeferToThread(t *testing.T) {
	var sum, failed, panicked, afterSuccess *taskOutcome
	runWith(t, func(r *Reactor) {
		_ = r.SuggestThreadPoolSize(8)
		x, y := 3, 4
		ds := []*Deferred{
			DeferToThread(r, func() (any, error) { return x + y, nil }),
			DeferToThread(r, func() (any, error) { return nil, newError{} }),
			DeferToThread(r, func() (any, error) { panic("boom") }),
			DeferToThread(r, func() (any, error) { return nil, nil }),
		}
		ds[3].AddCallback(func(any) (any, error) {
			return DeferToThread(r, func() (any, error) { return nil, errors.New("division by zero") }), nil
		})
		sum, failed, panicked, afterSuccess = watch(ds[0]), watch(ds[1]), watch(ds[2]), watch(ds[3])
		stopWhen(r, DeferredList(ds, DLOptions{}))
	})
	if !sum.fired || sum.value != 7 {
		t.Errorf("3+4 in a thread: %+v", *sum)
	}
	if _, ok := errors.AsType[newError](failed.err); !ok {
		t.Errorf("failing function: %+v", *failed)
	}
	if _, ok := errors.AsType[*PanicError](panicked.err); !ok {
		t.Errorf("panicking function: %+v", *panicked)
	}
	if afterSuccess.err == nil || afterSuccess.err.Error() != "division by zero" {
		t.Errorf("failure after success: %+v", *afterSuccess)
	}
}

// testCallBeforeStartupUnexecuted: a call made before the reactor runs
// waits for it, and a reactor that never runs never runs it; its Close
// fails a DeferToThread waiting there.
func TestThreads_CallBeforeStartup(t *testing.T) {
	r, _ := newReactor(t)
	var ran atomic.Bool
	_ = r.CallInThread(func() { ran.Store(true) })
	o := watch(DeferToThread(r, func() (any, error) { return nil, nil }))
	r.pool.mu.Lock()
	workers, queued := r.pool.workers, len(r.pool.queue)
	r.pool.mu.Unlock()
	if workers != 0 || queued != 2 || ran.Load() || o.fired {
		t.Fatalf("before the reactor runs: %d workers, %d queued, ran %v, %+v; want none started, both queued",
			workers, queued, ran.Load(), *o)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	o.failedWith(t, ErrThreadPoolStopped)
	if ran.Load() {
		t.Error("the call ran after Close")
	}
	if err := r.CallInThread(func() {}); !errors.Is(err, ErrThreadPoolStopped) {
		t.Errorf("CallInThread after Close = %v, want ErrThreadPoolStopped", err)
	}
}

// Calls made before Run run once it has started.
func TestThreads_CallBeforeStartupRunsOnceRunning(t *testing.T) {
	r, _ := newReactor(t)
	d := DeferToThread(r, func() (any, error) { return "ran", nil })
	o := stopWhen(r, d)
	run(t, r, 20*time.Second)
	if o.value != "ran" {
		t.Errorf("result %+v", *o)
	}
}

// No more than the suggested number of calls run at once; the others wait
// their turn, in order.
func TestThreads_PoolIsBounded(t *testing.T) {
	const size, calls = 2, 7
	var mu sync.Mutex
	running, most := 0, 0
	var order []int
	full := make(chan struct{}) // closed once size calls run at once
	runWith(t, func(r *Reactor) {
		_ = r.SuggestThreadPoolSize(size)
		var ds []*Deferred
		for i := range calls {
			ds = append(ds, DeferToThread(r, func() (any, error) {
				mu.Lock()
				running++
				most = max(most, running)
				order = append(order, i)
				if running == size && most == size && len(order) == size {
					close(full)
				}
				mu.Unlock()
				select { // the first size calls wait for each other
				case <-full:
				case <-time.After(5 * time.Second):
				}
				mu.Lock()
				running--
				mu.Unlock()
				return nil, nil
			}))
		}
		stopWhen(r, DeferredList(ds, DLOptions{}))
	})
	if most != size {
		t.Errorf("at most %d calls ran at once, want %d", most, size)
	}
	if len(order) != calls || order[0]+order[1] != 1 || order[calls-1] < calls-size {
		t.Errorf("start order %v: not FIFO", order)
	}
}

// Size 0 holds the calls until the size is raised.
func TestThreads_SizeZeroHoldsCalls(t *testing.T) {
	var o *taskOutcome
	runWith(t, func(r *Reactor) {
		_ = r.SuggestThreadPoolSize(0)
		d := DeferToThread(r, func() (any, error) { return "ran", nil })
		o = stopWhen(r, d)
		r.CallLater(20*time.Millisecond, func() {
			if o.fired {
				t.Error("a call ran at size 0")
			}
			_ = r.SuggestThreadPoolSize(1)
		})
	})
	if o.value != "ran" {
		t.Errorf("after raising the size: %+v", *o)
	}
}

// Shutdown waits for the calls running and queued, as Twisted's pool does;
// afterwards calls are refused with an error rather than dropped.
func TestThreads_ShutdownJoinsPool(t *testing.T) {
	var finished atomic.Int32
	var refused *taskOutcome
	r, _ := runWith(t, func(r *Reactor) {
		_ = r.SuggestThreadPoolSize(1)
		for range 3 {
			_ = r.CallInThread(func() {
				time.Sleep(5 * time.Millisecond)
				finished.Add(1)
			})
		}
		_, _ = r.AddSystemEventTrigger(After, "shutdown", func() *Deferred {
			if n := finished.Load(); n != 3 {
				t.Errorf("after shutdown 'during', %d of 3 calls finished", n)
			}
			refused = watch(DeferToThread(r, func() (any, error) { return nil, nil }))
			return nil
		})
		_ = r.Stop()
	})
	refused.failedWith(t, ErrThreadPoolStopped)
	if err := r.CallInThread(func() {}); !errors.Is(err, ErrThreadPoolStopped) || !errors.Is(err, ErrReactorShutDown) {
		t.Errorf("CallInThread after shutdown = %v", err)
	}
	r.pool.mu.Lock()
	defer r.pool.mu.Unlock()
	if r.pool.workers != 0 {
		t.Errorf("%d pool goroutines left", r.pool.workers)
	}
}

// A panic in a CallInThread function is logged by the reactor, which goes
// on.
func TestThreads_PanicInCallInThreadIsLogged(t *testing.T) {
	var r *Reactor
	var whys []string
	r, err := New(WithErrorObserver(func(e ErrorEvent) {
		whys = append(whys, e.Why)
		_ = r.Stop()
	}))
	if err != nil {
		t.Fatal(err)
	}
	r.CallWhenRunning(func() { _ = r.CallInThread(func() { panic("thread boom") }) })
	run(t, r, 20*time.Second)
	if diff := cmp.Diff([]string{"callInThread"}, whys); diff != "" {
		t.Errorf("logged (-want +got):\n%s", diff)
	}
}

// BlockingCallFromThread on the reactor goroutine, before or while it runs,
// in an InlineCallbacks body or in a Cooperator's iterator, fails at once
// instead of waiting for itself.
func TestThreads_BlockingCallOnReactorFails(t *testing.T) {
	ran := false
	f := func() (any, error) { ran = true; return nil, nil }
	r, _ := newReactor(t)
	if _, err := BlockingCallFromThread(r, f); !errors.Is(err, ErrBlockingCallOnReactor) {
		t.Errorf("before Run: %v", err)
	}
	var inRun, inBody, inIterator, nested error
	r.CallWhenRunning(func() {
		_, inRun = BlockingCallFromThread(r, f)
		InlineCallbacks(func(await Await) (any, error) {
			_, inBody = BlockingCallFromThread(r, f)
			return nil, nil
		})
		r.Cooperator().Cooperate(func(yield func(any) bool) {
			_, inIterator = BlockingCallFromThread(r, f)
			InlineCallbacks(func(await Await) (any, error) {
				_, nested = BlockingCallFromThread(r, f)
				return nil, nil
			})
			_ = r.Stop()
		})
	})
	run(t, r, 20*time.Second)
	for name, err := range map[string]error{"in Run": inRun, "in a body": inBody, "in an iterator": inIterator,
		"in a body started by an iterator": nested} {
		if !errors.Is(err, ErrBlockingCallOnReactor) {
			t.Errorf("%s: %v, want ErrBlockingCallOnReactor", name, err)
		}
	}
	if ran {
		t.Error("f ran")
	}
}

// A pool goroutine waiting in BlockingCallFromThread when the reactor shuts
// down gets ErrReactorShutDown, and shutdown does not wait for it for
// ever; so does a call made after.
func TestThreads_BlockingCallAtShutdown(t *testing.T) {
	var during, after error
	r, _ := runWith(t, func(r *Reactor) {
		started := make(chan struct{})
		_ = r.CallInThread(func() {
			close(started)
			_, during = BlockingCallFromThread(r, func() (any, error) { return NewDeferred(nil), nil })
		})
		<-started
		r.CallLater(time.Millisecond, func() { _ = r.Stop() })
	})
	if !errors.Is(during, ErrReactorShutDown) {
		t.Errorf("waiting at shutdown: %v, want ErrReactorShutDown", during)
	}
	afterCh := make(chan error, 1)
	go func() {
		_, err := BlockingCallFromThread(r, func() (any, error) { return nil, nil })
		afterCh <- err
	}()
	select {
	case after = <-afterCh:
	case <-time.After(10 * time.Second):
	}
	if !errors.Is(after, ErrReactorShutDown) {
		t.Errorf("called after shutdown: %v, want ErrReactorShutDown", after)
	}
	_ = r.flushUnhandled()
}

// A shutdown kept waiting by a slow call says so through log/slog, then
// goes on waiting until the call returns.
func TestThreads_ShutdownSaysWhatItWaitsFor(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)
	defer func(p time.Duration) { threadPoolPatience = p }(threadPoolPatience)
	threadPoolPatience = time.Millisecond

	release := make(chan struct{})
	var finished atomic.Bool
	runWith(t, func(r *Reactor) {
		_ = r.CallInThread(func() {
			<-release
			finished.Store(true)
		})
		_ = r.CallInThread(func() {})
		time.AfterFunc(50*time.Millisecond, func() { close(release) })
		_ = r.Stop()
	})
	if !finished.Load() {
		t.Error("Run returned before the slow call did")
	}
	if !strings.Contains(buf.String(), "waiting for") {
		t.Errorf("nothing said while waiting; log: %q", buf.String())
	}
}

// Nil arguments panic with a message naming them, as the rest of reactor.
func TestThreads_NilArgumentsPanic(t *testing.T) {
	r, _ := newReactor(t)
	f := func() (any, error) { return nil, nil }
	for name, call := range map[string]func(){
		"CallInThread":                   func() { _ = r.CallInThread(nil) },
		"DeferToThread reactor":          func() { DeferToThread(nil, f) },
		"DeferToThread function":         func() { DeferToThread(r, nil) },
		"BlockingCallFromThread reactor": func() { _, _ = BlockingCallFromThread(nil, f) },
		"BlockingCallFromThread function": func() {
			_, _ = BlockingCallFromThread(r, nil)
		},
	} {
		func() {
			defer func() {
				if v := recover(); v == nil {
					t.Errorf("%s: no panic", name)
				} else if msg, _ := v.(string); !strings.HasPrefix(msg, "reactor: ") {
					t.Errorf("%s: panic %v does not name reactor", name, v)
				}
			}()
			call()
		}()
	}
}
