package braid_test

import (
	"fmt"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/reactor"
)

// React runs main's work on a fresh reactor and gives an exit code: a
// program's main is os.Exit(braid.React(run)).
func ExampleReact() {
	run := func(r *braid.Reactor) *reactor.Deferred {
		return reactor.DeferLater(r, 10*time.Millisecond, func() (any, error) {
			fmt.Println("work done")
			return nil, &braid.SystemExitError{Code: 3} // or nil for 0
		})
	}
	fmt.Println("exit code:", braid.React(run))
	// Output:
	// work done
	// exit code: 3
}
