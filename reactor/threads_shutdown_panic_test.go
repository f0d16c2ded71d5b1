package reactor

import (
	"slices"
	"testing"
)

// A pool call that panics while shutdown waits for the pool is still
// logged: the loop will not run another pass to deliver it, so the pool
// hands it to the reactor goroutine itself once the pool has stopped.
func TestThreads_PanicWhileShutdownWaitsIsLogged(t *testing.T) {
	release := make(chan struct{})
	_, log := runWith(t, func(r *Reactor) {
		_, _ = r.AddSystemEventTrigger(Before, "shutdown", func() *Deferred {
			close(release)
			return nil
		})
		if err := r.CallInThread(func() {
			<-release
			panic("late")
		}); err != nil {
			t.Fatal(err)
		}
		_ = r.Stop()
	})
	if !slices.Equal(log.whys(), []string{"callInThread"}) {
		t.Errorf("logged %q, want the panic once as callInThread", log.whys())
	}
}
