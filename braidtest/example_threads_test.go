package braidtest_test

import (
	"fmt"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/reactor"
)

// Code that hands work to the reactor's pool runs deterministically on a
// MemoryReactor: the work runs at once, its result arrives at Iterate.
func ExampleMemoryReactor_CallInThread() {
	m := braidtest.NewMemoryReactor()
	d := reactor.DeferToThread(m, func() (any, error) { return "checksum ok", nil })
	fmt.Println("before Iterate:", d.Called())
	m.Iterate(0)
	fmt.Println("after Iterate:", d.Result())
	// Output:
	// before Iterate: false
	// after Iterate: checksum ok
}
