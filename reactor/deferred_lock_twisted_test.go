package reactor

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Ports of test_defer.py's OtherPrimitivesTests: DeferredLock,
// DeferredSemaphore and DeferredQueue, in braid's words.

// counter counts the Deferreds that have fired through it.
type counter int

func (c *counter) incr(any) (any, error) { *c++; return nil, nil }

// testLock: waiters get the lock in turn; Run holds it until the
// Deferred its function returned has fired; a cancelled waiter fails.
func TestDeferredLock_AcquireReleaseRun(t *testing.T) {
	ownUnhandled(t)
	var lock DeferredLock
	var n counter
	check := func(step string, locked bool, count counter) {
		t.Helper()
		if lock.Locked() != locked || n != count {
			t.Fatalf("%s: locked=%v count=%d, want locked=%v count=%d", step, lock.Locked(), n, locked, count)
		}
	}
	lock.Acquire().AddCallback(n.incr)
	check("first acquire", true, 1)
	lock.Acquire().AddCallback(n.incr)
	check("second acquire waits", true, 1)
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	check("release hands it on", true, 2)
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	check("last release", false, 2)

	first, second := new(int), new(int)
	control := NewDeferred(nil)
	var seen any
	runD := lock.Run(func() (any, error) { seen = first; return control, nil })
	check("run holds the lock", true, 2)
	if seen != first {
		t.Fatalf("Run's function saw %v", seen)
	}
	runD.AddCallback(func(v any) (any, error) { seen = v; return nil, nil })
	lock.Acquire().AddCallback(n.incr)
	check("acquire behind run", true, 2)
	_ = control.Callback(second)
	if seen != second {
		t.Fatalf("Run's Deferred fired with %v, want its function's result", seen)
	}
	check("run released to the waiter", true, 3)

	d := lock.Acquire().AddBoth(func(v any) (any, error) { seen = v; return nil, nil })
	d.Cancel()
	if f, ok := seen.(*Failure); !ok || f.Check(ErrCancelled) == nil {
		t.Fatalf("cancelled acquire saw %v, want ErrCancelled", seen)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	check("cancelled waiter skipped", false, 3)
}

// Run with a nil function is refused at once (Twisted: TypeError).
func TestDeferredLock_RunNilPanics(t *testing.T) {
	defer func() {
		if v := recover(); v == nil {
			t.Fatal("Run(nil) did not panic")
		}
	}()
	var lock DeferredLock
	lock.Run(nil)
}

// Release of an unlocked lock and of a semaphore with every token back
// are errors, not silent (Twisted asserts).
func TestDeferredLockAndSemaphore_ReleaseTooOften(t *testing.T) {
	var lock DeferredLock
	if err := lock.Release(); !errors.Is(err, ErrNotAcquired) {
		t.Errorf("DeferredLock.Release unlocked: %v, want ErrNotAcquired", err)
	}
	sem, err := NewDeferredSemaphore(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := sem.Release(); !errors.Is(err, ErrNotAcquired) || sem.Tokens() != 2 {
		t.Errorf("DeferredSemaphore.Release at the limit: %v, tokens %d", err, sem.Tokens())
	}
}

// test_cancelLockAfterAcquired, test_cancelSemaphoreAfterAcquired and
// test_cancelQueueAfterSynchronousGet: cancelling a Deferred that has
// fired changes nothing.
func TestPrimitives_CancelAfterFiredDoesNothing(t *testing.T) {
	sem, _ := NewDeferredSemaphore(1)
	q := NewDeferredQueue()
	var lock DeferredLock
	for name, get := range map[string]func() *Deferred{
		"lock":      lock.Acquire,
		"semaphore": sem.Acquire,
		"queue": func() *Deferred {
			d, _ := q.Get()
			_ = q.Put("v")
			return d
		},
	} {
		d := get()
		d.AddErrback(func(f *Failure) (any, error) {
			t.Errorf("%s: errback after cancel of a fired Deferred: %v", name, f)
			return nil, nil
		})
		d.Cancel()
	}
}

// test_cancelLockBeforeAcquired and test_cancelSemaphoreBeforeAcquired:
// cancelling a waiting acquire fails it with ErrCancelled at once.
func TestPrimitives_CancelWaitingAcquireFails(t *testing.T) {
	ownUnhandled(t)
	sem, _ := NewDeferredSemaphore(1)
	var lock DeferredLock
	for name, acquire := range map[string]func() *Deferred{"lock": lock.Acquire, "semaphore": sem.Acquire} {
		acquire()
		d := acquire()
		d.Cancel()
		if f, ok := d.Result().(*Failure); !ok || f.Check(ErrCancelled) == nil {
			t.Errorf("%s: cancelled acquire holds %v, want ErrCancelled", name, d.Result())
		}
	}
}

// testSemaphore: Run with a pending result, N holders, a cancelled waiter
// removed from the line, and releases handing tokens on.
func TestDeferredSemaphore_TokensAndWaiters(t *testing.T) {
	const tokens = 13
	sem, err := NewDeferredSemaphore(tokens)
	if err != nil {
		t.Fatal(err)
	}
	control := NewDeferred(nil)
	unique := new(int)
	var arg any
	var results []any
	var n counter
	d := sem.Run(func() (any, error) { arg = unique; return control, nil })
	d.AddCallback(func(v any) (any, error) { results = append(results, v); return v, nil }).AddCallback(n.incr)
	if len(results) != 0 || arg != unique {
		t.Fatalf("before control fires: results %v, arg %v", results, arg)
	}
	_ = control.Callback(nil)
	if diff := cmp.Diff([]any{nil}, results); diff != "" || n != 1 {
		t.Fatalf("after control fires: results (-want +got) %s, count %d", diff, n)
	}

	n = 0
	for i := 1; i <= tokens; i++ {
		sem.Acquire().AddCallback(n.incr)
		if int(n) != i {
			t.Fatalf("acquire %d: count %d", i, n)
		}
	}
	var outcome []bool
	w := sem.Acquire().AddCallbacks(
		func(any) (any, error) { outcome = append(outcome, false); return nil, nil },
		func(*Failure) (any, error) { outcome = append(outcome, true); return nil, nil })
	w.Cancel()
	if diff := cmp.Diff([]bool{true}, outcome); diff != "" {
		t.Fatalf("cancelled waiter (-want +got):\n%s", diff)
	}
	sem.Acquire().AddCallback(n.incr)
	if n != tokens {
		t.Fatalf("a waiter behind %d holders ran: count %d", tokens, n)
	}
	_ = sem.Release()
	if n != tokens+1 {
		t.Fatalf("release did not hand the token to the waiter: count %d", n)
	}
	for range tokens {
		if err := sem.Release(); err != nil {
			t.Fatal(err)
		}
	}
	if n != tokens+1 || sem.Tokens() != tokens || sem.Limit() != tokens {
		t.Fatalf("count %d tokens %d limit %d", n, sem.Tokens(), sem.Limit())
	}
}

// test_semaphoreInvalidTokens: fewer than one token is refused; a zero
// DeferredSemaphore fails its Acquire rather than wait for ever.
func TestDeferredSemaphore_InvalidTokens(t *testing.T) {
	ownUnhandled(t)
	for _, n := range []int{0, -1} {
		if s, err := NewDeferredSemaphore(n); !errors.Is(err, ErrSemaphoreTokens) || s != nil {
			t.Errorf("NewDeferredSemaphore(%d) = %v, %v; want ErrSemaphoreTokens", n, s, err)
		}
	}
	var zero DeferredSemaphore
	d := zero.Acquire()
	if f, ok := d.Result().(*Failure); !ok || f.Check(ErrSemaphoreTokens) == nil {
		t.Errorf("zero semaphore's Acquire holds %v, want ErrSemaphoreTokens", d.Result())
	}
}

// testQueue: backlog and size limits, values handed to waiting Gets in
// order, and the unbounded, size-0 and backlog-0 queues.
func TestDeferredQueue_LimitsAndOrder(t *testing.T) {
	const size, backlog = 2, 2
	q := NewDeferredQueue(QueueSize(size), QueueBacklog(backlog))
	var gotten []any
	appendGot := func(v any) (any, error) { gotten = append(gotten, v); return nil, nil }
	mustGet := func(q *DeferredQueue) *Deferred {
		t.Helper()
		d, err := q.Get()
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return d
	}
	for range backlog {
		mustGet(q).AddCallback(appendGot)
	}
	if _, err := q.Get(); !errors.Is(err, ErrQueueUnderflow) {
		t.Fatalf("Get beyond the backlog: %v, want ErrQueueUnderflow", err)
	}
	for i := range backlog {
		if err := q.Put(i); err != nil {
			t.Fatal(err)
		}
		if len(gotten) != i+1 {
			t.Fatalf("Put %d reached %v", i, gotten)
		}
	}
	for i := range size {
		if err := q.Put(size + i); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Put(nil); !errors.Is(err, ErrQueueOverflow) {
		t.Fatalf("Put beyond the size: %v, want ErrQueueOverflow", err)
	}
	if q.Pending() != size || q.Waiting() != 0 {
		t.Fatalf("pending %d waiting %d", q.Pending(), q.Waiting())
	}
	gotten = nil
	for range size {
		mustGet(q).AddCallback(appendGot)
	}
	if diff := cmp.Diff([]any{size, size + 1}, gotten); diff != "" {
		t.Fatalf("gets of queued values (-want +got):\n%s", diff)
	}

	var unbounded DeferredQueue // the zero value: no limits
	gotten = nil
	for range 2 {
		mustGet(&unbounded).AddCallback(appendGot)
	}
	for i := range 2 {
		_ = unbounded.Put(i)
	}
	if diff := cmp.Diff([]any{0, 1}, gotten); diff != "" {
		t.Fatalf("unbounded queue (-want +got):\n%s", diff)
	}

	if err := NewDeferredQueue(QueueSize(0)).Put(nil); !errors.Is(err, ErrQueueOverflow) {
		t.Errorf("size 0 Put: %v, want ErrQueueOverflow", err)
	}
	if _, err := NewDeferredQueue(QueueBacklog(0)).Get(); !errors.Is(err, ErrQueueUnderflow) {
		t.Errorf("backlog 0 Get: %v, want ErrQueueUnderflow", err)
	}
}

// test_cancelQueueAfterGet: a cancelled Get fails with ErrCancelled and
// leaves the queue, so a later Put goes to a later Get, not to it.
func TestDeferredQueue_CancelledGetLeavesTheLine(t *testing.T) {
	q := NewDeferredQueue()
	d, _ := q.Get()
	d.Cancel()
	f, ok := d.Result().(*Failure)
	if !ok || f.Check(ErrCancelled) == nil {
		t.Fatalf("cancelled Get holds %v", d.Result())
	}
	var done []any
	d.AddErrback(func(*Failure) (any, error) {
		if err := q.Put("next"); err != nil {
			return nil, err
		}
		next, err := q.Get()
		if err != nil {
			return nil, err
		}
		return next, nil
	}).AddCallback(func(v any) (any, error) { done = append(done, v); return nil, nil })
	if diff := cmp.Diff([]any{"next"}, done); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
