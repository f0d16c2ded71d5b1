package reactor_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/reactor"
)

// D-15, per reactor: two reactors run at once on two goroutines, each with
// one Failure its Deferred handles a little later and one it never handles.
// Each reports exactly its own unhandled one when it shuts down: the other
// reactor's shutdown neither steals it nor reports the one about to be
// handled.
func TestReactor_ReportsOnlyItsOwnUnhandledErrors_D15(t *testing.T) {
	type result struct {
		name   string
		logged []string
		err    error
	}
	results := make(chan result, 2)
	var wg sync.WaitGroup
	// b stops first, while a still holds its about-to-be-handled failure.
	started := make(chan struct{})
	aMayHandle := make(chan struct{})
	for _, name := range []string{"a", "b"} {
		wg.Go(func() {
			var logged []string
			r, err := reactor.New(reactor.WithErrorObserver(func(e reactor.ErrorEvent) {
				logged = append(logged, e.Why+": "+e.Failure.ErrorMessage())
			}))
			if err != nil {
				results <- result{name: name, err: err}
				return
			}
			var handledLater, never *reactor.Deferred
			r.CallWhenRunning(func() {
				handledLater = reactor.Fail(fmt.Errorf("%s: handled later", name))
				never = reactor.Fail(fmt.Errorf("%s: never handled", name))
				if name == "b" {
					<-started
					handledLater.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
					_ = r.Stop()
					return
				}
				close(started)
				// a handles its failure only after b has shut down.
				var poll func()
				poll = func() {
					select {
					case <-aMayHandle:
						handledLater.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
						_ = r.Stop()
					default:
						r.CallLater(time.Millisecond, poll)
					}
				}
				poll()
			})
			err = r.Run()
			_ = never
			results <- result{name: name, logged: logged, err: err}
		})
	}
	got := map[string][]string{}
	for range 2 {
		res := <-results
		if res.err != nil {
			t.Fatalf("%s: %v", res.name, res.err)
		}
		got[res.name] = res.logged
		if res.name == "b" {
			close(aMayHandle)
		}
	}
	wg.Wait()
	want := map[string][]string{
		"a": {"Unhandled error in Deferred: a: never handled"},
		"b": {"Unhandled error in Deferred: b: never handled"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("what each reactor logged (-want +got):\n%s", diff)
	}
}

// Deferreds failing and being handled on two goroutines at once, each with
// its own reactor, while the reactors' shutdowns flush: nothing is shared
// that -race would see unguarded.
func TestReactor_ConcurrentReactorsTrackWithoutRaces_D15(t *testing.T) {
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			r, err := reactor.New(reactor.WithErrorObserver(func(reactor.ErrorEvent) {}))
			if err != nil {
				t.Error(err)
				return
			}
			r.CallWhenRunning(func() {
				for range 500 {
					d := reactor.Fail(errors.New("boom"))
					d.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
					d.AddCallback(func(any) (any, error) { return nil, errors.New("again") })
					d.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
				}
				_ = r.Stop()
			})
			if err := r.Run(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
