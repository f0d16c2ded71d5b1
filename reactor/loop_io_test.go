//go:build unix

package reactor

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reuseFD closes fd and puts the read end of a new pipe at the same number;
// it returns the new pipe's write end.
func reuseFD(t *testing.T, fd int) (w int) {
	t.Helper()
	closeFD(fd)
	r, w := pipe(t)
	if r == fd {
		return w // the kernel reused the number by itself
	}
	dupTo(t, r, fd)
	closeFD(r)
	s := &fdSet{}
	s.keep(fd)
	t.Cleanup(s.closeAll)
	return w
}

// The readiness API on real pipes and sockets: registration, the lists, and
// removal (Twisted's IReactorFDSet).
func TestReactor_ReadersAndWriters(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	r1, w1 := pipe(t)
	r2, _ := pipe(t)
	a, _ := socketpair(t)
	rd1 := &desc{name: "r1", fd: r1, ev: &ev}
	rd2 := &desc{name: "r2", fd: r2, ev: &ev}
	wr1 := &desc{name: "w1", fd: w1, ev: &ev}
	sock := &desc{name: "sock", fd: a, ev: &ev}
	for _, err := range []error{r.AddReader(rd2), r.AddReader(rd1), r.AddReader(rd1), r.AddWriter(wr1),
		r.AddReader(sock), r.AddWriter(sock)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Ordered by descriptor number: r1 < r2 < a, as the kernel hands out the lowest free one.
	if diff := cmp.Diff([]string{"r1", "r2", "sock"}, names(r.GetReaders())); diff != "" {
		t.Errorf("GetReaders (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"w1", "sock"}, names(r.GetWriters())); diff != "" {
		t.Errorf("GetWriters (-want +got):\n%s", diff)
	}

	// Writable descriptors are written to; nothing is readable yet.
	r.Iterate(0)
	want := events{"w1 write", "sock write"}
	if diff := cmp.Diff(want, ev, sortEvents); diff != "" {
		t.Errorf("turn 1 (-want +got):\n%s", diff)
	}
	r.RemoveWriter(wr1)
	r.RemoveWriter(sock)
	r.RemoveWriter(sock) // not registered any more: nothing happens
	writeFD(t, w1, "data")
	ev = nil
	r.Iterate(0)
	if diff := cmp.Diff(events{"r1 read"}, ev); diff != "" {
		t.Errorf("turn 2 (-want +got):\n%s", diff)
	}
	r.RemoveReader(rd1)
	writeFD(t, w1, "more")
	ev = nil
	r.Iterate(0)
	if len(ev) != 0 {
		t.Errorf("after RemoveReader: %v", ev)
	}

	// RemoveAll returns each descriptor once, never the reactor's own eventfd.
	if err := r.AddWriter(sock); err != nil {
		t.Fatal(err)
	}
	all := r.RemoveAll()
	if diff := cmp.Diff([]string{"r2", "sock"}, names(all)); diff != "" {
		t.Errorf("RemoveAll (-want +got):\n%s", diff)
	}
	if n := len(r.GetReaders()) + len(r.GetWriters()); n != 0 {
		t.Errorf("%d descriptors left after RemoveAll", n)
	}
	r.CallFromThread(ev.adder("the wake-up still works"))
	ev = nil
	r.Iterate(0)
	if diff := cmp.Diff(events{"the wake-up still works"}, ev); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

var sortEvents = cmp.Transformer("sort", func(e events) []string {
	out := append([]string(nil), e...)
	sort.Strings(out)
	return out
})

// names lists the names of test descriptors.
func names[S Selectable](ss []S) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, Selectable(s).(*desc).name)
	}
	return out
}

// Bad registrations get clear errors.
func TestReactor_AddDescriptorErrors(t *testing.T) {
	r, _ := newReactor(t)
	var ev events
	if err := r.AddReader(&desc{name: "closed", fd: -1, ev: &ev}); !errors.Is(err, ErrConnectionFdescWentAway) {
		t.Errorf("Fileno -1: err = %v, want ErrConnectionFdescWentAway", err)
	}
	path := filepath.Join(t.TempDir(), "regular")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = r.AddReader(&desc{name: "file", fd: int(f.Fd()), ev: &ev})
	if regularFileRefused != nil && !errors.Is(err, regularFileRefused) {
		t.Errorf("regular file: err = %v, want %v from the poller", err, regularFileRefused)
	}
	r.RemoveAll()
	rfd, _ := pipe(t)
	first := &desc{name: "first", fd: rfd, ev: &ev}
	if err := r.AddReader(first); err != nil {
		t.Fatal(err)
	}
	if err := r.AddReader(&desc{name: "second", fd: rfd, ev: &ev}); !errors.Is(err, ErrDescriptorInUse) {
		t.Errorf("second live reader on one fd: err = %v, want ErrDescriptorInUse", err)
	}
	if diff := cmp.Diff([]string{"first"}, names(r.GetReaders())); diff != "" {
		t.Errorf("GetReaders (-want +got):\n%s", diff)
	}
	r.RemoveAll()
}
