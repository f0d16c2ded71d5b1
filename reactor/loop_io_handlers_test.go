//go:build unix

package reactor

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// A handler that removes itself is not called again and is not told
// ConnectionLost.
func TestReactor_HandlerRemovesItself(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	rfd, wfd := pipe(t)
	var d *desc
	d = &desc{name: "self-removing", fd: rfd, ev: &ev, onRead: func() error { r.RemoveReader(d); return nil }}
	if err := r.AddReader(d); err != nil {
		t.Fatal(err)
	}
	writeFD(t, wfd, "x") // left unread: still readable
	r.Iterate(0)
	r.Iterate(0)
	if diff := cmp.Diff(events{"self-removing read"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Two descriptors ready in the same turn: whichever runs first removes the
// other, whose stale event must then be skipped. In the second case the
// removed one's fd is closed and its number reused by a new descriptor in
// the same turn; the stale event must not reach the newcomer either.
func TestReactor_StaleEventOfRemovedDescriptorSkipped(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		name := "removed"
		if reuse {
			name = "removed, fd number reused"
		}
		t.Run(name, func(t *testing.T) {
			r, _ := newReactor(t)
			var ev events
			ra, wa := pipe(t)
			rb, wb := pipe(t)
			a := &desc{name: "A", fd: ra, ev: &ev}
			b := &desc{name: "B", fd: rb, ev: &ev}
			var newcomer *desc
			removeOther := func(self, other *desc) func() error {
				return func() error {
					if err := self.drain(); err != nil {
						return err
					}
					if newcomer != nil || len(r.GetReaders()) < 2 {
						return nil
					}
					r.RemoveReader(other)
					if reuse {
						w := reuseFD(t, other.fd)
						writeFD(t, w, "for the newcomer")
						newcomer = &desc{name: "C on " + other.name + "'s number", fd: other.fd, ev: &ev}
						if err := r.AddReader(newcomer); err != nil {
							t.Error(err)
						}
					}
					return nil
				}
			}
			a.onRead, b.onRead = removeOther(a, b), removeOther(b, a)
			for _, err := range []error{r.AddReader(a), r.AddReader(b)} {
				if err != nil {
					t.Fatal(err)
				}
			}
			writeFD(t, wa, "a")
			writeFD(t, wb, "b")
			r.Iterate(0)
			if len(ev) != 1 || (ev[0] != "A read" && ev[0] != "B read") {
				t.Fatalf("first turn: %v, want exactly one of A and B to read", ev)
			}
			if reuse {
				ev = nil
				r.Iterate(0)
				if diff := cmp.Diff(events{newcomer.name + " read"}, ev); diff != "" {
					t.Errorf("second turn (-want +got):\n%s", diff)
				}
			}
			r.RemoveAll()
		})
	}
}

// A descriptor whose Fileno is -1 when its event is dispatched is dropped
// with ConnectionLost(ErrConnectionFdescWentAway), and unregistered.
func TestReactor_FilenoMinusOneIsFdescWentAway(t *testing.T) {
	r, log := newReactor(t)
	var ev events
	rfd, wfd := pipe(t)
	d := &desc{name: "gone", fd: rfd, ev: &ev}
	if err := r.AddReader(d); err != nil {
		t.Fatal(err)
	}
	writeFD(t, wfd, "x")
	d.fd = -1 // the real descriptor stays open (and readable)
	r.Iterate(0)
	r.Iterate(0)
	if diff := cmp.Diff(events{"gone lost: fdesc went away"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := len(r.GetReaders()); n != 0 {
		t.Errorf("%d readers left", n)
	}
	if len(log.evs) != 0 {
		t.Errorf("logged %v", log.whys())
	}
	r.RemoveReader(d) // by identity, already gone: nothing happens
}

// A reader whose fd was closed without RemoveReader, its number then reused:
// registering a new reader on that number drops the stale one (telling it
// ConnectionLost(ErrConnectionFdescWentAway)) and the newcomer gets its
// events. If the stale one still claims the number, the newcomer is refused.
func TestReactor_ClosedAndReusedFdNumber(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	rfd, _ := pipe(t)
	stale := &desc{name: "stale", fd: rfd, ev: &ev}
	if err := r.AddReader(stale); err != nil {
		t.Fatal(err)
	}
	w := reuseFD(t, rfd) // closes rfd under the registered reader

	claiming := &desc{name: "newcomer", fd: rfd, ev: &ev}
	if err := r.AddReader(claiming); !errors.Is(err, ErrDescriptorInUse) {
		t.Errorf("stale reader still claiming fd %d: err = %v, want ErrDescriptorInUse", rfd, err)
	}

	stale.fd = -1 // what a descriptor reports once closed
	if err := r.AddReader(claiming); err != nil {
		t.Fatalf("AddReader on the reused number: %v", err)
	}
	writeFD(t, w, "x")
	r.Iterate(0)
	if diff := cmp.Diff(events{"stale lost: fdesc went away", "newcomer read"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"newcomer"}, names(r.GetReaders())); diff != "" {
		t.Errorf("readers (-want +got):\n%s", diff)
	}
	r.RemoveAll()
}

// DoRead returning ErrConnectionDone (end of file) removes the descriptor
// and tells it ConnectionLost with ConnectionDone; a DoWrite error is the
// reason given as is. A hang-up with nothing to read ends a reader cleanly
// without a DoRead; on a writer it is ConnectionLost.
func TestReactor_HandlerErrorsAndHangups(t *testing.T) {
	r, _ := newReactor(t)
	var ev events

	eofR, eofW := pipe(t)
	eof := &desc{name: "eof", fd: eofR, ev: &ev}
	writeFD(t, eofW, "last words")
	closeFD(eofW) // data then end of file: a read, then done

	hupR, hupW := pipe(t)
	hup := &desc{name: "hup", fd: hupR, ev: &ev}
	closeFD(hupW) // nothing to read: a bare hang-up

	wErrR, wErrW := pipe(t)
	_ = wErrR
	boom := errors.New("write failed")
	werr := &desc{name: "writer error", fd: wErrW, ev: &ev, onWrite: func() error { return boom }}

	brokenR, brokenW := pipe(t)
	broken := &desc{name: "broken pipe writer", fd: brokenW, ev: &ev}
	closeFD(brokenR)

	for _, err := range []error{r.AddReader(eof), r.AddReader(hup), r.AddWriter(werr), r.AddWriter(broken)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	r.Iterate(0)
	r.Iterate(0)
	want := events{"eof read", "eof lost: done", "hup lost: done", "writer error write", "writer error lost: write failed",
		"broken pipe writer lost: lost"}
	if diff := cmp.Diff(want, ev, sortEvents); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if werr.lost[0].Value() != boom {
		t.Errorf("DoWrite's error not passed on as is: %v", werr.lost[0].Value())
	}
	if n := len(r.GetReaders()) + len(r.GetWriters()); n != 0 {
		t.Errorf("%d descriptors left", n)
	}
}

// IHalfCloseableDescriptor: a clean end of the read side gives
// ReadConnectionLost and leaves the descriptor registered for writing
// (a socket whose peer shut down its write side); a pipe hang-up too.
func TestReactor_HalfCloseableDescriptor(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	a, b := socketpair(t)
	h := &halfDesc{desc{name: "half", fd: a, ev: &ev}}
	for _, err := range []error{r.AddReader(h), r.AddWriter(h)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	r.Iterate(0)
	if diff := cmp.Diff(events{"half read", "half read lost: done"}, ev); diff != "" {
		t.Errorf("turn 1 (-want +got):\n%s", diff)
	}
	if len(r.GetReaders()) != 0 || len(r.GetWriters()) != 1 {
		t.Errorf("readers %d, writers %d; want 0 and 1", len(r.GetReaders()), len(r.GetWriters()))
	}
	ev = nil
	r.Iterate(0)
	if diff := cmp.Diff(events{"half write"}, ev); diff != "" {
		t.Errorf("turn 2 (-want +got):\n%s", diff)
	}
	r.RemoveWriter(h)

	pr, pw := pipe(t)
	hp := &halfDesc{desc{name: "half pipe", fd: pr, ev: &ev}}
	if err := r.AddReader(hp); err != nil {
		t.Fatal(err)
	}
	closeFD(pw)
	ev = nil
	r.Iterate(0)
	if diff := cmp.Diff(events{"half pipe read lost: done"}, ev); diff != "" {
		t.Errorf("pipe hang-up (-want +got):\n%s", diff)
	}
}

// A panic in DoRead is logged and the descriptor is disconnected with the
// panic as its reason; the loop goes on.
func TestReactor_PanicInDoReadDisconnects(t *testing.T) {
	r, log := newReactor(t)
	var ev events
	rfd, wfd := pipe(t)
	d := &desc{name: "panicky", fd: rfd, ev: &ev, onRead: func() error { panic("read exploded") }}
	if err := r.AddReader(d); err != nil {
		t.Fatal(err)
	}
	writeFD(t, wfd, "x")
	r.CallLater(0, ev.adder("loop goes on"))
	r.Iterate(0)
	r.Iterate(0)
	want := events{"loop goes on", "panicky read", "panicky lost: panic panic: read exploded"}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"I/O handler"}, log.whys()); diff != "" {
		t.Errorf("logged (-want +got):\n%s", diff)
	}
	if len(r.GetReaders()) != 0 {
		t.Error("panicking reader still registered")
	}
}
