package reactor_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/braid-go/braid/reactor"
)

// TestFlushUnhandledErrors_ConcurrentReactors_D15: the tracked set is
// process-wide, so a flush on one goroutine must not touch Deferreds another
// goroutine is running (checked by -race).
func TestFlushUnhandledErrors_ConcurrentReactors_D15(t *testing.T) {
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				reactor.FlushUnhandledErrors()
			}
		}
	}()
	for range 2000 {
		d := reactor.Fail(errors.New("boom"))
		d.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
		d.AddCallback(func(any) (any, error) { return nil, errors.New("again") })
		d.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
	}
	close(stop)
	wg.Wait()
	reactor.FlushUnhandledErrors()
}
