//go:build unix

package braid_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/reactor"
)

// reactScenario is one main for React and for Twisted's task.react
// (testdata/twisted_react.py, where each has the same name).
type reactScenario struct {
	name string
	main func(r *braid.Reactor, trace *[]string) *reactor.Deferred
}

func reactScenarios() []reactScenario {
	later := func(r *braid.Reactor, f func(d *reactor.Deferred)) *reactor.Deferred {
		d := reactor.NewDeferred(nil)
		r.CallLater(10*time.Millisecond, func() { f(d) })
		return d
	}
	stopThen := func(r *braid.Reactor, f func(d *reactor.Deferred)) *reactor.Deferred {
		r.CallLater(10*time.Millisecond, func() { _ = r.Stop() })
		d := reactor.NewDeferred(nil)
		_, _ = r.AddSystemEventTrigger(reactor.During, "shutdown", func() *reactor.Deferred { f(d); return nil })
		return d
	}
	return []reactScenario{
		{"sync_ok", func(*braid.Reactor, *[]string) *reactor.Deferred { return reactor.Succeed("ok") }},
		{"async_ok", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			return later(r, func(d *reactor.Deferred) { _ = d.Callback("ok") })
		}},
		{"sync_fail", func(*braid.Reactor, *[]string) *reactor.Deferred { return reactor.Fail(errExpected) }},
		{"async_fail", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			return later(r, func(d *reactor.Deferred) { _ = d.Errback(errExpected) })
		}},
		{"exit_code", func(*braid.Reactor, *[]string) *reactor.Deferred {
			return reactor.Fail(&braid.SystemExitError{Code: 23})
		}},
		{"exit_code_later", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			return later(r, func(d *reactor.Deferred) { _ = d.Errback(&braid.SystemExitError{Code: 7}) })
		}},
		{"stop_then_fire_in_shutdown", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			return stopThen(r, func(d *reactor.Deferred) { _ = d.Callback(nil) })
		}},
		{"stop_then_fail_in_shutdown", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			return stopThen(r, func(d *reactor.Deferred) { _ = d.Errback(errExpected) })
		}},
		{"stop_then_fire", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			d := reactor.NewDeferred(nil)
			r.CallWhenRunning(func() {
				_ = r.Stop()
				_ = d.Callback(nil)
			})
			return d
		}},
		{"stop_never_fire", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			r.CallLater(10*time.Millisecond, func() { _ = r.Stop() })
			return reactor.NewDeferred(nil)
		}},
		{"shutdown_order", func(r *braid.Reactor, trace *[]string) *reactor.Deferred {
			note := func(s string) func() *reactor.Deferred {
				return func() *reactor.Deferred { *trace = append(*trace, s); return nil }
			}
			_, _ = r.AddSystemEventTrigger(reactor.Before, "shutdown", note("before shutdown"))
			_, _ = r.AddSystemEventTrigger(reactor.During, "shutdown", note("during shutdown"))
			r.CallWhenRunning(func() { note("running")() })
			d := later(r, func(d *reactor.Deferred) { _ = d.Callback(nil) })
			return d.AddCallback(func(any) (any, error) { note("main fired")(); return nil, nil })
		}},
		{"fail_then_exit_in_callback", func(r *braid.Reactor, _ *[]string) *reactor.Deferred {
			d := later(r, func(d *reactor.Deferred) { _ = d.Callback(nil) })
			return d.AddCallback(func(any) (any, error) { return nil, &braid.SystemExitError{Code: 3} })
		}},
	}
}

// TestReactAgainstTwisted runs each scenario under React and under
// Twisted's task.react, and compares what main saw, what was logged, and
// the exit code.
func TestReactAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.internet.task")
	scenarios := reactScenarios()
	var twisted map[string][]string
	twistedtest.Run(t, "testdata/twisted_react.py", nil, &twisted, 2*time.Minute)
	ours := make(map[string][]string)
	for _, s := range scenarios {
		var trace []string
		code := braid.React(func(r *braid.Reactor) *reactor.Deferred { return s.main(r, &trace) },
			reactor.WithErrorObserver(func(e reactor.ErrorEvent) {
				kind := e.Failure.TypeName()
				if errors.Is(e.Failure, errExpected) {
					kind = "Expected"
				}
				trace = append(trace, fmt.Sprintf("logged %s: %s", e.Why, kind))
			}))
		ours[s.name] = append(trace, fmt.Sprintf("exit %d", code))
	}
	if len(twisted) != len(scenarios) {
		t.Errorf("Twisted ran %d scenarios, braid %d", len(twisted), len(scenarios))
	}
	twistedtest.CompareScenarios(t, scenarios, func(s reactScenario) string { return s.name }, twisted, ours)
}
