package tracking

import (
	"iter"
	"sync"
	"testing"
)

type owner struct{ _ int }

func TestGoid_DiffersPerGoroutineAndIsStable(t *testing.T) {
	a, b := goid(), goid()
	if a == 0 || a != b {
		t.Fatalf("goid() = %d then %d; want one non-zero id", a, b)
	}
	other := make(chan uint64)
	go func() { other <- goid() }()
	if g := <-other; g == a || g == 0 {
		t.Fatalf("another goroutine's id = %d, this one's %d", g, a)
	}
}

func TestCurrent_FindsTheReactorOfTheCallingGoroutine(t *testing.T) {
	if Current() != nil {
		t.Skip("another test's Scope is live")
	}
	o1 := &owner{}
	s1 := &Scope{}
	Register(o1, s1)
	defer s1.Release()
	if got := Current(); got != s1 {
		t.Fatalf("one live Scope: Current() = %p, want %p", got, s1)
	}
	// A second reactor, made and run on another goroutine.
	o2, s2 := &owner{}, &Scope{}
	var wg sync.WaitGroup
	var onOther *Scope
	ready, done := make(chan struct{}), make(chan struct{})
	wg.Go(func() {
		Register(o2, s2)
		close(ready)
		<-done
		onOther = Current()
		s2.Release()
	})
	<-ready
	if got := Current(); got != s1 {
		t.Errorf("two live Scopes: Current() here = %p, want %p", got, s1)
	}
	close(done)
	wg.Wait()
	if onOther != s2 {
		t.Errorf("two live Scopes: Current() on the second goroutine = %p, want %p", onOther, s2)
	}
	if Of(o2) != nil {
		t.Errorf("Of(released owner) is not nil")
	}
	if Of(o1) != s1 {
		t.Errorf("Of(owner) = %p, want %p", Of(o1), s1)
	}
}

func TestEnterCoroutine_AliasesTheCoroutineToItsBody(t *testing.T) {
	o1, s1 := &owner{}, &Scope{}
	o2, s2 := &owner{}, &Scope{}
	Register(o1, s1)
	defer s1.Release()
	Register(o2, s2) // same goroutine: s1 and s2 both claim it; the alias must win
	defer s2.Release()
	next, stop := iter.Pull(func(yield func(*Scope) bool) {
		leave := EnterCoroutine(s2)
		defer leave()
		yield(Current())
	})
	defer stop()
	if got, _ := next(); got != s2 {
		t.Fatalf("Current() inside the coroutine = %p, want the aliased %p", got, s2)
	}
}

func TestFlush_TakesOnlyMatchingEntries(t *testing.T) {
	s := &Scope{}
	a := &Entry{Failure: errA, Scope: s}
	b := &Entry{Failure: errB, Scope: s}
	Track(a)
	Track(b)
	got := s.Flush(func(err error) bool { return err == errA })
	if len(got) != 1 || got[0] != errA {
		t.Fatalf("Flush(matching errA) = %v", got)
	}
	if !Untrack(b) {
		t.Fatalf("b was flushed too")
	}
	if Untrack(a) {
		t.Fatalf("a is still tracked after Flush")
	}
}

type testErr string

func (e testErr) Error() string { return string(e) }

var errA, errB error = testErr("a"), testErr("b")
