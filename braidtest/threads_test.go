package braidtest_test

import (
	"errors"
	"testing"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/reactor"
)

// DeferToThread on a MemoryReactor: the function runs at once, and the
// Deferred fires at the next Iterate.
func TestMemoryReactor_DeferToThread(t *testing.T) {
	m := braidtest.NewMemoryReactor()
	ran := false
	d := reactor.DeferToThread(m, func() (any, error) { ran = true; return "done", nil })
	if !ran || d.Called() {
		t.Fatalf("after DeferToThread: ran=%v called=%v", ran, d.Called())
	}
	m.Iterate(0)
	if d.Result() != "done" {
		t.Errorf("after Iterate: result %v", d.Result())
	}
}

// A panic is logged; sizes are recorded, and a negative one refused.
func TestMemoryReactor_CallInThreadPanicAndSize(t *testing.T) {
	m := braidtest.NewMemoryReactor()
	if err := m.CallInThread(func() { panic("boom") }); err != nil {
		t.Fatal(err)
	}
	if len(m.LoggedErrors) != 1 || m.LoggedErrors[0].Why != "callInThread" {
		t.Errorf("logged: %v", m.LoggedErrors)
	}
	if err := m.SuggestThreadPoolSize(3); err != nil || m.ThreadPoolSize != 3 {
		t.Errorf("SuggestThreadPoolSize(3) = %v, size %d", err, m.ThreadPoolSize)
	}
	if err := m.SuggestThreadPoolSize(-1); !errors.Is(err, reactor.ErrNegativeThreadPoolSize) {
		t.Errorf("SuggestThreadPoolSize(-1) = %v", err)
	}
}
