package braidtest_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/reactor"
)

// On a real reactor, the observer gets what the reactor logs.
func TestEventLoggingObserver_OnAReactor(t *testing.T) {
	obs := braidtest.NewEventLoggingObserver()
	r, err := reactor.New(obs.Option())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	boom := errors.New("boom")
	r.LogError(reactor.NewFailure(boom), "a test")
	r.LogError(nil, "ignored")
	got := obs.Events()
	if obs.Len() != 1 || len(got) != 1 || !errors.Is(got[0].Failure, boom) || got[0].Why != "a test" {
		t.Fatalf("Len %d, events %v", obs.Len(), got)
	}
}

// Observe may be called from any goroutine, while the test reads.
func TestEventLoggingObserver_Concurrent(t *testing.T) {
	var obs braidtest.EventLoggingObserver
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { obs.Observe(reactor.ErrorEvent{Why: "w"}) })
		_ = obs.Len()
	}
	wg.Wait()
	want := []reactor.ErrorEvent{{Why: "w"}, {Why: "w"}, {Why: "w"}, {Why: "w"}}
	if diff := cmp.Diff(want, obs.Events(), cmp.Comparer(func(a, b *reactor.Failure) bool { return a == b })); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
