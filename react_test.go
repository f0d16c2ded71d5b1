//go:build unix

package braid_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
)

// Ports of test_task.py's ReactTests and ReactCoroutineFunctionTests, on
// real reactors: braid.React runs them as Twisted's react runs a reactor.

var errExpected = errors.New("expected")

// reactRun calls React with main, returning the code and the whys of the
// errors the reactor logged (with their error messages). A limit stops a
// reactor still running after 20s, failing the test.
func reactRun(t *testing.T, main func(r *braid.Reactor) *reactor.Deferred) (int, []string) {
	t.Helper()
	var logged []string
	var guard *time.Timer
	code := braid.React(func(r *braid.Reactor) *reactor.Deferred {
		guard = time.AfterFunc(20*time.Second, func() {
			r.CallFromThread(func() {
				t.Error("React still running after 20s")
				_ = r.Stop()
			})
		})
		return main(r)
	}, reactor.WithErrorObserver(func(e reactor.ErrorEvent) {
		logged = append(logged, e.Why+": "+e.Failure.Value().Error())
	}))
	if guard != nil {
		guard.Stop()
	}
	return code, logged
}

func TestReact(t *testing.T) {
	for _, tc := range []struct {
		name   string
		main   func(r *braid.Reactor, trace *[]string) *reactor.Deferred
		code   int
		logged []string
		trace  []string
	}{
		// test_runsUntilAsyncCallback: React runs until main's Deferred
		// fires, then stops; calls due before have run.
		{"async callback", func(r *braid.Reactor, trace *[]string) *reactor.Deferred {
			d := reactor.NewDeferred(nil)
			r.CallLater(time.Millisecond, func() { *trace = append(*trace, "earlier call") })
			r.CallLater(10*time.Millisecond, func() { _ = d.Callback(nil) })
			return d
		}, 0, nil, []string{"earlier call"}},
		// test_runsUntilSyncCallback.
		{"sync callback", func(*braid.Reactor, *[]string) *reactor.Deferred {
			return reactor.Succeed(nil)
		}, 0, nil, nil},
		// test_runsUntilAsyncErrback: the failure is logged, the code is 1.
		{"async errback", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			return reactor.DeferLater(r, 10*time.Millisecond, func() (any, error) { return nil, errExpected })
		}, 1, []string{"main function encountered error: expected"}, nil},
		// test_runsUntilSyncErrback.
		{"sync errback", func(*braid.Reactor, *[]string) *reactor.Deferred {
			return reactor.Fail(errExpected)
		}, 1, []string{"main function encountered error: expected"}, nil},
		// test_singleStopCallback: main stops the reactor itself; its
		// Deferred fires during shutdown, and React does not stop again.
		{"stopped, then fires in shutdown", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			d := reactor.NewDeferred(nil)
			r.CallLater(10*time.Millisecond, func() { _ = r.Stop() })
			_, _ = r.AddSystemEventTrigger(reactor.During, "shutdown", func() *reactor.Deferred {
				_ = d.Callback(nil)
				return nil
			})
			return d
		}, 0, nil, nil},
		// test_singleStopErrback.
		{"stopped, then fails in shutdown", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			d := reactor.NewDeferred(nil)
			r.CallLater(10*time.Millisecond, func() { _ = r.Stop() })
			_, _ = r.AddSystemEventTrigger(reactor.During, "shutdown", func() *reactor.Deferred {
				_ = d.Errback(errExpected)
				return nil
			})
			return d
		}, 1, []string{"main function encountered error: expected"}, nil},
		// test_exitWithDefinedCode: a SystemExitError sets the code, and is
		// not logged.
		{"exit code", func(*braid.Reactor, *[]string) *reactor.Deferred {
			return reactor.Fail(&braid.SystemExitError{Code: 23})
		}, 23, nil, nil},
		{"wrapped exit code, later", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			return reactor.DeferLater(r, time.Millisecond, func() (any, error) {
				return nil, errors.Join(errExpected, &braid.SystemExitError{Code: 7})
			})
		}, 7, nil, nil},
		// test_synchronousStop: main's Deferred fires just after main stops
		// the reactor.
		{"stop, then fire at once", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			d := reactor.NewDeferred(nil)
			r.CallWhenRunning(func() {
				_ = r.Stop()
				_ = d.Callback(nil)
			})
			return d
		}, 0, nil, nil},
		// test_asynchronousStop: main stops the reactor and its Deferred
		// never fires: React returns 0.
		{"stopped, never fires", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			r.CallLater(10*time.Millisecond, func() { _ = r.Stop() })
			return reactor.NewDeferred(nil)
		}, 0, nil, nil},
		// ReactCoroutineFunctionTests: main as a coroutine.
		{"InlineCallbacks main", func(r *braid.Reactor, trace *[]string) *reactor.Deferred {
			return reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
				v, err := await(reactor.DeferLater(r, time.Millisecond, func() (any, error) { return "slept", nil }))
				*trace = append(*trace, v.(string))
				return nil, err
			})
		}, 0, nil, []string{"slept"}},
		{"InlineCallbacks main failing", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			return reactor.InlineCallbacks(func(await reactor.Await) (any, error) {
				if _, err := await(reactor.DeferLater(r, time.Millisecond, nil)); err != nil {
					return nil, err
				}
				return nil, errExpected
			})
		}, 1, []string{"main function encountered error: expected"}, nil},
		// Where Twisted raises out of react, React logs and returns 1
		// without running the reactor.
		{"main panics", func(r *braid.Reactor, trace *[]string) *reactor.Deferred {
			r.CallWhenRunning(func() { *trace = append(*trace, "ran") })
			panic(errExpected)
		}, 1, []string{"main function encountered error: panic: expected"}, nil},
		{"main returns nil", func(*braid.Reactor, *[]string) *reactor.Deferred {
			return nil
		}, 1, []string{"main function encountered error: braid: React: main returned a nil *Deferred"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var trace []string
			code, logged := reactRun(t, func(r *braid.Reactor) *reactor.Deferred { return tc.main(r, &trace) })
			if code != tc.code {
				t.Errorf("code %d, want %d", code, tc.code)
			}
			if diff := cmp.Diff(tc.logged, logged); diff != "" {
				t.Errorf("logged (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.trace, trace); diff != "" {
				t.Errorf("trace (-want +got):\n%s", diff)
			}
		})
	}
}

// A main whose Deferred never fires runs until something stops the
// reactor: here SIGTERM, through the signal handlers React installs as
// Twisted's reactor.run does. The code is 0.
func TestReact_NeverFiresUntilSignal(t *testing.T) {
	code, logged := reactRun(t, func(r *braid.Reactor) *reactor.Deferred {
		r.CallWhenRunning(func() { _ = syscall.Kill(syscall.Getpid(), syscall.SIGTERM) })
		return reactor.NewDeferred(nil)
	})
	if code != 0 || logged != nil {
		t.Errorf("code %d, logged %v; want 0 and nothing", code, logged)
	}
}

func TestReact_NilMainPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("React(nil) did not panic")
		}
	}()
	braid.React(nil)
}
