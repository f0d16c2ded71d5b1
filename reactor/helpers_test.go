package reactor

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/tracking"
)

// events records what happened, in order, for comparison with cmp.Diff.
// Everything that appends runs on the reactor goroutine.
type events []string

func (e *events) add(s string) { *e = append(*e, s) }

// adder returns a func that records s.
func (e *events) adder(s string) func() { return func() { e.add(s) } }

// errorLog collects what a reactor logs.
type errorLog struct{ evs []ErrorEvent }

func (l *errorLog) observe(e ErrorEvent) { l.evs = append(l.evs, e) }

func (l *errorLog) whys() []string {
	var out []string
	for _, e := range l.evs {
		out = append(out, e.Why)
	}
	return out
}

// newReactor returns a reactor whose logged errors go to the returned log.
func newReactor(t *testing.T) (*Reactor, *errorLog) {
	t.Helper()
	log := &errorLog{}
	r, err := New(WithErrorObserver(log.observe))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, log
}

// flushUnhandled returns the Failures r's Deferreds still hold unhandled
// and stops tracking them, as trial does after a test.
func (r *Reactor) flushUnhandled() []*Failure {
	var out []*Failure
	for _, err := range r.scope.Flush(nil) {
		out = append(out, err.(*Failure))
	}
	return out
}

// ownUnhandled makes a reactor own the unhandled errors of the Deferreds the
// test goroutine leaves, as every reactor owns its goroutine's, for tests of
// Deferreds that need no running reactor. It returns that reactor's flush;
// what is left at the end of the test is flushed quietly.
func ownUnhandled(t testing.TB) (flush func() []*Failure) {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		r.flushUnhandled()
		_ = r.Close()
	})
	return r.flushUnhandled
}

// abandonSuspended abandons the InlineCallbacks bodies still suspended in
// the calling goroutine's reactor, as trial does after a test.
func abandonSuspended() {
	if s := tracking.Current(); s != nil {
		for _, b := range s.Pending() {
			b.Abandon()
		}
	}
}

// isAlreadyCalled reports whether err is a Deferred's AlreadyCalledError.
func isAlreadyCalled(err error) bool {
	_, ok := errors.AsType[*AlreadyCalledError](err)
	return ok
}

// run runs r until it stops, failing the test (and stopping r) if it is
// still running after limit.
func run(t *testing.T, r *Reactor, limit time.Duration) {
	t.Helper()
	guard := time.AfterFunc(limit, func() {
		r.CallFromThread(func() {
			t.Errorf("reactor still running after %v", limit)
			if r.Stop() != nil {
				r.Crash()
			}
		})
	})
	defer guard.Stop()
	if err := r.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// goid returns the current goroutine's id, to check which goroutine runs what.
func goid() int {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	n, _ := strconv.Atoi(string(b[:bytes.IndexByte(b, ' ')]))
	return n
}

// reasonName names the reactor's reasons briefly for traces.
func reasonName(f *Failure) string {
	switch {
	case f == nil:
		return "nil"
	case errors.Is(f, ErrConnectionFdescWentAway):
		return "fdesc went away"
	case errors.Is(f, ErrConnectionDone):
		return "done"
	case errors.Is(f, ErrConnectionLost):
		return "lost"
	}
	if p, ok := errors.AsType[*PanicError](f); ok {
		return "panic " + p.Error()
	}
	return f.ErrorMessage()
}
