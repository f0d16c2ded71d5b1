package reactor

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/tracking"
	"golang.org/x/sys/unix"
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

// pipe returns a non-blocking pipe, closed at the end of the test (closing an
// already closed end is harmless because the fds are tracked by number only
// until the test closes them itself via closeFD).
func pipe(t *testing.T) (rfd, wfd int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatalf("pipe2: %v", err)
	}
	fds := &fdSet{}
	fds.keep(p[0], p[1])
	t.Cleanup(fds.closeAll)
	return p[0], p[1]
}

// socketpair returns a connected pair of non-blocking stream sockets.
func socketpair(t *testing.T) (a, b int) {
	t.Helper()
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	fds := &fdSet{}
	fds.keep(p[0], p[1])
	t.Cleanup(fds.closeAll)
	return p[0], p[1]
}

// fdSet closes descriptors at cleanup unless the test closed them first
// through closeFD (so a reused number is never closed twice).
type fdSet struct{ fds []int }

var openFDs = map[int]*fdSet{}

func (s *fdSet) keep(fds ...int) {
	for _, fd := range fds {
		s.fds = append(s.fds, fd)
		openFDs[fd] = s
	}
}

func (s *fdSet) closeAll() {
	for _, fd := range s.fds {
		if openFDs[fd] == s {
			delete(openFDs, fd)
			unix.Close(fd)
		}
	}
}

// closeFD closes fd now and stops the cleanup from closing that number.
func closeFD(fd int) {
	delete(openFDs, fd)
	unix.Close(fd)
}

func writeFD(t *testing.T, fd int, s string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(s)); err != nil {
		t.Fatalf("write fd %d: %v", fd, err)
	}
}

// desc is a descriptor for the readiness tests: it records every call in ev
// and does what its hooks say.
type desc struct {
	name    string
	fd      int
	ev      *events
	onRead  func() error
	onWrite func() error
	lost    []*Failure
}

func (d *desc) Fileno() int { return d.fd }

func (d *desc) DoRead() error {
	d.ev.add(d.name + " read")
	if d.onRead != nil {
		return d.onRead()
	}
	return d.drain()
}

func (d *desc) DoWrite() error {
	d.ev.add(d.name + " write")
	if d.onWrite != nil {
		return d.onWrite()
	}
	return nil
}

func (d *desc) ConnectionLost(reason *Failure) {
	d.lost = append(d.lost, reason)
	d.ev.add(d.name + " lost: " + reasonName(reason))
}

// drain reads what is there; end of file is ErrConnectionDone.
func (d *desc) drain() error {
	var buf [4096]byte
	for {
		n, err := unix.Read(d.fd, buf[:])
		switch {
		case n > 0:
			continue
		case n == 0 && err == nil:
			return ErrConnectionDone
		case errors.Is(err, unix.EAGAIN):
			return nil
		default:
			return err
		}
	}
}

// halfDesc is a desc that can be half-closed (IHalfCloseableDescriptor).
type halfDesc struct{ desc }

func (d *halfDesc) ReadConnectionLost(reason *Failure) {
	d.ev.add(d.name + " read lost: " + reasonName(reason))
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
