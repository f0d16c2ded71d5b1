package reactor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/reactor"
)

// Tests of the bridges between Deferreds and goroutines (bridge.go). Each
// crossing must go through CallFromThread, so they run under -race with a
// reactor looping on a goroutine of its own.

// bgReactor is a reactor running on a goroutine of its own, and the errors
// it logged (read them after stop).
type bgReactor struct {
	*reactor.Reactor
	mu     sync.Mutex
	logged []reactor.ErrorEvent
	done   chan struct{}
}

// startReactor runs a reactor on a new goroutine; the test's cleanup stops
// it and waits for Run to return.
func startReactor(t *testing.T) *bgReactor {
	t.Helper()
	b := &bgReactor{done: make(chan struct{})}
	r, err := reactor.New(reactor.WithErrorObserver(func(e reactor.ErrorEvent) {
		b.mu.Lock()
		b.logged = append(b.logged, e)
		b.mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	b.Reactor = r
	go func() {
		defer close(b.done)
		if err := r.Run(); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(b.stop)
	return b
}

// stop stops the reactor and waits for Run to return (idempotent).
func (b *bgReactor) stop() {
	b.CallFromThread(func() {
		if b.Running() {
			_ = b.Stop()
		}
	})
	<-b.done
}

// errorsLogged returns the messages of what the reactor logged.
func (b *bgReactor) errorsLogged() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.logged {
		out = append(out, e.Why+": "+e.Failure.Error())
	}
	return out
}

// onReactor runs f on the reactor goroutine and waits for it.
func (b *bgReactor) onReactor(f func()) {
	done := make(chan struct{})
	b.CallFromThread(func() {
		defer close(done)
		f()
	})
	<-done
}

// newDeferred makes a Deferred on the reactor goroutine.
func (b *bgReactor) newDeferred(canceller func(*reactor.Deferred)) *reactor.Deferred {
	var d *reactor.Deferred
	b.onReactor(func() { d = reactor.NewDeferred(canceller) })
	return d
}

var errBridge = errors.New("bridge test error")

// newObservedReactor returns a reactor that is not run and the errors it
// logs; the test closes it to see what it reports.
func newObservedReactor(t *testing.T) (*reactor.Reactor, *[]reactor.ErrorEvent) {
	t.Helper()
	var log []reactor.ErrorEvent
	r, err := reactor.New(reactor.WithErrorObserver(func(e reactor.ErrorEvent) { log = append(log, e) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, &log
}

func TestWait_ReturnsTheResultFiredOnTheReactor(t *testing.T) {
	cases := []struct {
		name      string
		fire      func(d *reactor.Deferred)
		wantValue any
		wantErr   error
	}{
		{"value", func(d *reactor.Deferred) { _ = d.Callback(42) }, 42, nil},
		{"nil", func(d *reactor.Deferred) { _ = d.Callback(nil) }, nil, nil},
		{"failure", func(d *reactor.Deferred) { _ = d.Errback(errBridge) }, nil, errBridge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := startReactor(t)
			d := r.newDeferred(nil)
			r.CallFromThread(func() { r.CallLater(10*time.Millisecond, func() { c.fire(d) }) })
			v, err := reactor.Wait(context.Background(), r, d)
			if v != c.wantValue || !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Errorf("Wait = %v, %v; want %v, %v", v, err, c.wantValue, c.wantErr)
			}
			if _, ok := err.(*reactor.Failure); err != nil && !ok {
				t.Errorf("error is a %T, want the *reactor.Failure", err)
			}
			// Wait took the result: nothing is left unhandled in d.
			var left any
			r.onReactor(func() { left = d.Result() })
			if left != nil {
				t.Errorf("d's result after Wait: %v, want nil", left)
			}
			r.stop()
			if got := r.errorsLogged(); len(got) != 0 {
				t.Errorf("logged: %q", got)
			}
		})
	}
}

func TestWait_AlreadyFiredDeferred(t *testing.T) {
	r := startReactor(t)
	var d *reactor.Deferred
	r.onReactor(func() { d = reactor.Succeed("ready") })
	v, err := reactor.Wait(context.Background(), r, d)
	if v != "ready" || err != nil {
		t.Errorf("Wait = %v, %v; want ready, nil", v, err)
	}
}

// A reactor started on another goroutine just before Wait: the step is
// queued until the loop runs it, and Wait must not take the creating
// goroutine for the reactor's.
func TestWait_ReactorStartingConcurrently(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	d := reactor.NewDeferred(nil)
	r.CallLater(0, func() { _ = d.Callback("late start") })
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run()
	}()
	v, err := reactor.Wait(context.Background(), r, d)
	if v != "late start" || err != nil {
		t.Errorf("Wait = %v, %v", v, err)
	}
	r.CallFromThread(func() { _ = r.Stop() })
	<-done
}

// When ctx ends first, Wait returns ctx.Err(), d is not cancelled, and the
// result that arrives later stays in d's chain (a failure is then reported
// as unhandled, as if Wait had never been called).
func TestWait_ContextEndsFirst(t *testing.T) {
	r := startReactor(t)
	cancelled := false
	d := r.newDeferred(func(*reactor.Deferred) { cancelled = true })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	v, err := reactor.Wait(ctx, r, d)
	if v != nil || err != context.DeadlineExceeded {
		t.Errorf("Wait = %v, %v; want nil, context.DeadlineExceeded", v, err)
	}
	var result any
	var wasCancelled bool
	r.onReactor(func() {
		_ = d.Errback(errBridge)
		result, wasCancelled = d.Result(), cancelled
	})
	if wasCancelled {
		t.Error("Wait's context cancelled d")
	}
	if f, ok := result.(*reactor.Failure); !ok || !errors.Is(f, errBridge) {
		t.Errorf("d's result after the abandoned Wait: %v, want the failure", result)
	}
	r.stop()
	got := r.errorsLogged()
	if len(got) != 1 || !strings.Contains(got[0], errBridge.Error()) {
		t.Errorf("logged %q, want the unhandled failure", got)
	}
}

func TestWait_ContextAlreadyDone(t *testing.T) {
	r := startReactor(t)
	d := r.newDeferred(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := reactor.Wait(ctx, r, d); err != context.Canceled {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
	r.onReactor(func() { _ = d.Callback(1) })
	var result any
	r.onReactor(func() { result = d.Result() })
	if result != 1 {
		t.Errorf("d's result = %v, want 1 (Wait added no step)", result)
	}
}

// Wait on the reactor goroutine would block the loop it waits for: it
// refuses at once.
func TestWait_OnTheReactorGoroutineIsRefused(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	var got error
	r.CallWhenRunning(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, got = reactor.Wait(ctx, r, reactor.NewDeferred(nil))
		_ = r.Stop()
	})
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(got, reactor.ErrWaitOnReactor) {
		t.Errorf("Wait on the reactor goroutine = %v, want ErrWaitOnReactor", got)
	}
}

// An InlineCallbacks body and a Cooperator's iterator run while the reactor
// goroutine waits for them: Wait there would block the loop as surely as in
// a callback, and is refused the same way rather than hanging until ctx ends.
func TestWait_InBodiesTheReactorRunsIsRefused(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	var inBody, inIterator error
	wait := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := reactor.Wait(ctx, r, reactor.NewDeferred(nil))
		return err
	}
	r.CallWhenRunning(func() {
		reactor.InlineCallbacks(func(reactor.Await) (any, error) {
			inBody = wait()
			return nil, nil
		})
		r.Cooperator().Cooperate(func(func(any) bool) {
			inIterator = wait()
			_ = r.Stop()
		})
	})
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{"in a body": inBody, "in an iterator": inIterator} {
		if !errors.Is(err, reactor.ErrWaitOnReactor) {
			t.Errorf("Wait %s = %v, want ErrWaitOnReactor", name, err)
		}
	}
}

func TestWaitAs(t *testing.T) {
	r := startReactor(t)
	var ok, wrong, failed *reactor.Deferred
	r.onReactor(func() {
		ok, wrong, failed = reactor.Succeed(7), reactor.Succeed("seven"), reactor.Fail(errBridge)
	})
	ctx := context.Background()
	if n, err := reactor.WaitAs[int](ctx, r, ok); n != 7 || err != nil {
		t.Errorf("WaitAs[int] = %v, %v", n, err)
	}
	_, err := reactor.WaitAs[int](ctx, r, wrong)
	if te, isType := errors.AsType[*reactor.ResultTypeError](err); !isType || te.Error() != "reactor: result has type string, want int" {
		t.Errorf("WaitAs[int] of a string: %v", err)
	}
	if _, err := reactor.WaitAs[int](ctx, r, failed); !errors.Is(err, errBridge) {
		t.Errorf("WaitAs[int] of a failure: %v", err)
	}
}

// Many goroutines waiting on many Deferreds, some giving up: every Wait
// returns and no goroutine is left.
func TestWait_ManyWaitersLeaveNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	r := startReactor(t)
	const n = 50
	ds := make([]*reactor.Deferred, n)
	r.onReactor(func() {
		for i := range ds {
			ds[i] = reactor.NewDeferred(nil)
			ds[i].AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
		}
	})
	var wg sync.WaitGroup
	results := make([]string, n)
	for i := range n {
		wg.Go(func() {
			ctx := context.Background()
			if i%2 == 1 {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			v, err := reactor.Wait(ctx, r, ds[i])
			results[i] = show(v, err)
		})
	}
	r.CallFromThread(func() {
		for i, d := range ds {
			_ = d.Callback(i)
		}
	})
	wg.Wait()
	for i, got := range results {
		want := show(i, nil)
		if i%2 == 1 {
			want = show(nil, context.Canceled)
		}
		if got != want {
			t.Errorf("waiter %d: %s, want %s", i, got, want)
		}
	}
	r.stop()
	waitGoroutines(t, before)
}

func TestChan(t *testing.T) {
	cases := []struct {
		name string
		fire func(d *reactor.Deferred)
		want string
	}{
		{"value", func(d *reactor.Deferred) { _ = d.Callback("v") }, "v <nil>"},
		{"failure", func(d *reactor.Deferred) { _ = d.Errback(errBridge) }, "<nil> bridge test error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, log := newObservedReactor(t)
			d := reactor.NewDeferred(nil)
			ch := reactor.Chan(d)
			c.fire(d) // the channel is buffered: firing never blocks
			res, ok := <-ch
			if got := show(res.Value, res.Err); !ok || got != c.want {
				t.Errorf("received %s (ok %v), want %s", got, ok, c.want)
			}
			if res.Err != nil {
				if _, isFailure := res.Err.(*reactor.Failure); !isFailure {
					t.Errorf("Err is a %T, want *reactor.Failure", res.Err)
				}
			}
			if _, ok := <-ch; ok {
				t.Error("the channel delivered twice")
			}
			if d.Result() != nil {
				t.Errorf("d's result after Chan: %v, want nil", d.Result())
			}
			_ = r.Close()
			if len(*log) != 0 {
				t.Errorf("logged %v: the receiver owns the failure", *log)
			}
		})
	}
}

// Chan works in a select beside other channels, with the reactor on
// another goroutine.
func TestChan_InSelect(t *testing.T) {
	r := startReactor(t)
	var ch <-chan reactor.Result
	r.onReactor(func() {
		ch = reactor.Chan(reactor.DeferLater(r, 5*time.Millisecond, func() (any, error) { return "later", nil }))
	})
	select {
	case res := <-ch:
		if res.Value != "later" || res.Err != nil {
			t.Errorf("received %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no result")
	}
}

func TestWithContext_CancelsTheDeferred(t *testing.T) {
	cases := []struct {
		name  string
		ctx   func() (context.Context, context.CancelFunc)
		cause error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 5*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cause", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancelCause(context.Background())
			return ctx, func() { cancel(errBridge) }
		}, errBridge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := startReactor(t)
			ctx, cancel := c.ctx()
			defer cancel()
			var trace []string
			var ch <-chan reactor.Result
			r.onReactor(func() {
				d := reactor.NewDeferred(func(*reactor.Deferred) { trace = append(trace, "canceller") })
				reactor.WithContext(ctx, r, d)
				ch = reactor.Chan(d)
			})
			if c.name != "deadline" {
				cancel()
			}
			res := <-ch
			if !errors.Is(res.Err, reactor.ErrCancelled) || !errors.Is(res.Err, c.cause) {
				t.Errorf("failure %v: want ErrCancelled and %v", res.Err, c.cause)
			}
			r.onReactor(func() {
				if diff := cmp.Diff([]string{"canceller"}, trace); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// A result that comes first passes unchanged, and a later end of ctx
// touches nothing: the watch was stopped, so not even a call is queued,
// and no goroutine is left.
func TestWithContext_ResultFirstStopsWatching(t *testing.T) {
	before := runtime.NumGoroutine()
	r := startReactor(t)
	var queued atomic.Int32
	counting := fromThreadsFunc(func(f func()) {
		queued.Add(1)
		r.CallFromThread(f)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := 0
	var ds []*reactor.Deferred
	r.onReactor(func() {
		for i := range 100 {
			d := reactor.NewDeferred(func(*reactor.Deferred) { cancelled++ })
			reactor.WithContext(ctx, counting, d)
			_ = d.Callback(i)
			ds = append(ds, d)
		}
	})
	cancel()
	r.onReactor(func() {
		if cancelled != 0 {
			t.Errorf("%d Deferreds cancelled after they fired", cancelled)
		}
		for i, d := range ds {
			if d.Result() != i {
				t.Errorf("Deferred %d: result %v", i, d.Result())
			}
		}
	})
	r.stop()
	waitGoroutines(t, before)
	if n := queued.Load(); n != 0 {
		t.Errorf("%d calls queued after ctx ended: the watch was not stopped", n)
	}
}

// Like AddTimeout, WithContext covers a Deferred returned by an earlier
// step: the cancel reaches it.
func TestWithContext_CoversAWaitedDeferred(t *testing.T) {
	r := startReactor(t)
	ctx, cancel := context.WithCancel(context.Background())
	innerCancelled := false
	var ch <-chan reactor.Result
	r.onReactor(func() {
		inner := reactor.NewDeferred(func(*reactor.Deferred) { innerCancelled = true })
		d := reactor.Succeed(nil).AddCallback(func(any) (any, error) { return inner, nil })
		ch = reactor.Chan(reactor.WithContext(ctx, r, d))
	})
	cancel()
	res := <-ch
	if !errors.Is(res.Err, context.Canceled) {
		t.Errorf("failure %v, want context.Canceled", res.Err)
	}
	r.onReactor(func() {
		if !innerCancelled {
			t.Error("the inner Deferred was not cancelled")
		}
	})
}

// A canceller that fires the Deferred with a value decides the result;
// WithContext converts only an ErrCancelled failure.
func TestWithContext_CancellerResultPassesUnchanged(t *testing.T) {
	r := startReactor(t)
	ctx, cancel := context.WithCancel(context.Background())
	var ch <-chan reactor.Result
	r.onReactor(func() {
		d := reactor.NewDeferred(func(d *reactor.Deferred) { _ = d.Callback("stopped early") })
		ch = reactor.Chan(reactor.WithContext(ctx, r, d))
	})
	cancel()
	if res := <-ch; res.Value != "stopped early" || res.Err != nil {
		t.Errorf("result %+v", res)
	}
}

func TestWithContext_BackgroundAddsNothing(t *testing.T) {
	d := reactor.NewDeferred(nil)
	if got := reactor.WithContext(context.Background(), unusedFromThreads(t), d); got != d {
		t.Fatal("WithContext did not return d")
	}
	_ = d.Callback(1)
	if d.Result() != 1 {
		t.Errorf("result %v", d.Result())
	}
}

// unusedFromThreads is a FromThreads that must not be used.
func unusedFromThreads(t *testing.T) reactor.FromThreads {
	return fromThreadsFunc(func(func()) { t.Error("CallFromThread called") })
}

type fromThreadsFunc func(func())

func (f fromThreadsFunc) CallFromThread(g func()) { f(g) }

func TestGo(t *testing.T) {
	cases := []struct {
		name string
		f    func(context.Context) (any, error)
		want string
	}{
		{"value", func(context.Context) (any, error) { return "done", nil }, "done <nil>"},
		{"error", func(context.Context) (any, error) { return nil, errBridge }, "<nil> bridge test error"},
		{"panic", func(context.Context) (any, error) { panic("boom") }, "<nil> panic: boom"},
		{"a Deferred", func(context.Context) (any, error) { return reactor.NewDeferred(nil), nil },
			"<nil> reactor: Go: the function returned a *Deferred, which belongs to the reactor goroutine: a Deferred cannot be the result of Callback"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := startReactor(t)
			var d *reactor.Deferred
			r.onReactor(func() { d = reactor.Go(r, c.f) })
			v, err := reactor.Wait(context.Background(), r, d)
			if got := show(v, err); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if c.name == "panic" {
				if _, ok := errors.AsType[*reactor.PanicError](err); !ok {
					t.Errorf("%v is no *reactor.PanicError", err)
				}
			}
		})
	}
}

// Cancelling Go's Deferred cancels the function's context and fails the
// Deferred at once; what the function returns later is dropped quietly.
func TestGo_CancelStopsTheFunction(t *testing.T) {
	before := runtime.NumGoroutine()
	r := startReactor(t)
	returned := make(chan struct{})
	var ch <-chan reactor.Result
	r.onReactor(func() {
		d := reactor.Go(r, func(ctx context.Context) (any, error) {
			defer close(returned)
			<-ctx.Done()
			return "too late", ctx.Err()
		})
		ch = reactor.Chan(d)
		d.Cancel()
	})
	if res := <-ch; !errors.Is(res.Err, reactor.ErrCancelled) {
		t.Errorf("result %+v, want ErrCancelled", res)
	}
	<-returned
	r.onReactor(func() {}) // the late result has been handed over
	r.stop()
	if got := r.errorsLogged(); len(got) != 0 {
		t.Errorf("logged %q", got)
	}
	waitGoroutines(t, before)
}

// The context f gets ends once the Deferred has fired.
func TestGo_ContextEndsAfterFiring(t *testing.T) {
	r := startReactor(t)
	ctxs := make(chan context.Context, 1)
	var d *reactor.Deferred
	r.onReactor(func() {
		d = reactor.Go(r, func(ctx context.Context) (any, error) {
			ctxs <- ctx
			return nil, nil
		})
	})
	if _, err := reactor.Wait(context.Background(), r, d); err != nil {
		t.Fatal(err)
	}
	select {
	case <-(<-ctxs).Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the function's context was not cancelled after firing")
	}
}

func TestResultAs(t *testing.T) {
	type point struct{ X int }
	cases := []struct {
		name string
		got  func() (any, error)
		want string
	}{
		{"int", func() (any, error) { return reactor.ResultAs[int](3) }, "3 <nil>"},
		{"wrong type", func() (any, error) { return reactor.ResultAs[int]("3") }, "0 reactor: result has type string, want int"},
		{"nil for int", func() (any, error) { return reactor.ResultAs[int](nil) }, "0 reactor: result is nil, want int"},
		{"nil for a pointer", func() (any, error) { return reactor.ResultAs[*point](nil) }, "<nil> <nil>"},
		{"nil for any", func() (any, error) { return reactor.ResultAs[any](nil) }, "<nil> <nil>"},
		{"interface", func() (any, error) { return reactor.ResultAs[error](errBridge) }, "bridge test error <nil>"},
		{"failure for a value", func() (any, error) { return reactor.ResultAs[[]byte](reactor.NewFailure(errBridge)) },
			"[] reactor: result has type *reactor.Failure, want []uint8"},
		{"struct", func() (any, error) { return reactor.ResultAs[point](point{2}) }, "{2} <nil>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := c.got()
			if got := show(v, err); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestAddCallbackAs(t *testing.T) {
	var got []string
	d := reactor.NewDeferred(nil)
	reactor.AddCallbackAs(d, func(s string) (any, error) {
		got = append(got, "string "+s)
		return len(s), nil
	})
	reactor.AddCallbackAs(d, func(n int) (any, error) {
		got = append(got, fmt.Sprint("int ", n))
		return n, nil
	})
	reactor.AddCallbackAs(d, func(s string) (any, error) {
		got = append(got, "not reached")
		return nil, nil
	})
	_ = d.Callback("four")
	if diff := cmp.Diff([]string{"string four", "int 4"}, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	f, ok := d.Result().(*reactor.Failure)
	if !ok {
		t.Fatalf("result %v, want a failure", d.Result())
	}
	te, ok := errors.AsType[*reactor.ResultTypeError](f)
	if !ok || te.Want.String() != "string" || te.Got.String() != "int" {
		t.Errorf("failure %v, want a *ResultTypeError from int to string", f)
	}
	d.AddErrback(func(*reactor.Failure) (any, error) { return nil, nil })
}

type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprint("code ", e.code) }

func TestAddErrbackAs(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"matching", &codeError{3}, "recovered 3 <nil>"},
		{"wrapped", fmt.Errorf("context: %w", &codeError{4}), "recovered 4 <nil>"},
		{"other", errBridge, "<nil> bridge test error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := reactor.Fail(c.err)
			reactor.AddErrbackAs(d, func(e *codeError) (any, error) { return fmt.Sprint("recovered ", e.code), nil })
			res := <-reactor.Chan(d)
			if got := show(res.Value, res.Err); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestBridges_NilArgumentsPanicNamingThem(t *testing.T) {
	ctx := context.Background()
	d := reactor.NewDeferred(nil)
	r := fromThreadsFunc(func(func()) {})
	cases := []struct {
		name string
		call func()
		want string
	}{
		{"Wait nil ctx", func() { _, _ = reactor.Wait(nilContext(), r, d) }, "nil context.Context"},
		{"Wait nil r", func() { _, _ = reactor.Wait(ctx, nil, d) }, "nil FromThreads"},
		{"Wait nil d", func() { _, _ = reactor.Wait(ctx, r, nil) }, "nil *Deferred"},
		{"WithContext nil r", func() { reactor.WithContext(ctx, nil, d) }, "nil FromThreads"},
		{"Go nil f", func() { reactor.Go(r, nil) }, "nil func"},
		{"Chan nil d", func() { reactor.Chan(nil) }, "nil *Deferred"},
		{"AddCallbackAs nil cb", func() { reactor.AddCallbackAs[int](d, nil) }, "nil callback"},
		{"AddErrbackAs nil eb", func() { reactor.AddErrbackAs[error](d, nil) }, "nil errback"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if msg := fmt.Sprint(recover()); !strings.Contains(msg, c.want) {
					t.Errorf("panic %q, want one naming %q", msg, c.want)
				}
			}()
			c.call()
		})
	}
}

// show prints a result as "value error".
func show(v any, err error) string { return fmt.Sprintf("%v %v", v, err) }

// nilContext returns the nil context some tests pass on purpose.
func nilContext() context.Context { return nil }
