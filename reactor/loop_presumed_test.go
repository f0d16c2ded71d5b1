//go:build unix

package reactor

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// presumedDesc is a desc that answers WritablePresumed with presume and
// notes, at each DoWrite, whether the poller was watching it for
// writability.
type presumedDesc struct {
	desc
	presume bool
	r       *Reactor
	watched []bool
}

func (d *presumedDesc) WritablePresumed() bool { return d.presume }

func (d *presumedDesc) DoWrite() error {
	d.watched = append(d.watched, kernelHasOut(d.r, d.fd))
	return d.desc.DoWrite()
}

// kernelHasOut reports whether the poller is watching fd for writability.
func kernelHasOut(r *Reactor, fd int) bool {
	e := r.fds[fd]
	return e != nil && e.kmask&pollOut != 0
}

// A writer presumed writable gets DoWrite where Twisted's poll would have
// reported it, without the poller ever watching it for writability.
func TestReactor_PresumedWriter_R03(t *testing.T) {
	cases := []struct {
		name string
		// run sets the scenario up and runs the turns; w is the writer
		// under test, on the write end of a pipe.
		run  func(t *testing.T, r *Reactor, ev *events, w *presumedDesc)
		want events
		// watched: at each DoWrite, whether the poller watched w.
		watched []bool
		// registered: the poller watches w for writability at the end.
		registered bool
	}{{
		name: "added from a timed call: DoWrite after that pass's poll",
		run: func(t *testing.T, r *Reactor, ev *events, w *presumedDesc) {
			w.onWrite = func() error { r.RemoveWriter(w); return nil }
			r.CallLater(0, func() { ev.add("timed"); mustAdd(t, r.AddWriter(w)) })
			r.Iterate(0)
			r.Iterate(0)
		},
		want:    events{"timed", "W write"},
		watched: []bool{false},
	}, {
		name: "added from DoRead: DoWrite in the next pass, after its timed calls",
		run: func(t *testing.T, r *Reactor, ev *events, w *presumedDesc) {
			w.onWrite = func() error { r.RemoveWriter(w); return nil }
			rfd, wfd := pipe(t)
			rd := &desc{name: "R", fd: rfd, ev: ev}
			rd.onRead = func() error {
				mustAdd(t, r.AddWriter(w))
				r.CallLater(0, ev.adder("timed"))
				return rd.drain()
			}
			mustAdd(t, r.AddReader(rd))
			writeFD(t, wfd, "x")
			r.Iterate(0)
			ev.add("pass")
			r.Iterate(0)
		},
		want:    events{"R read", "pass", "timed", "W write"},
		watched: []bool{false},
	}, {
		name: "removed before the poll: no DoWrite",
		run: func(t *testing.T, r *Reactor, ev *events, w *presumedDesc) {
			r.CallLater(0, func() { mustAdd(t, r.AddWriter(w)); r.RemoveWriter(w) })
			r.Iterate(0)
			r.Iterate(0)
		},
		want: events{},
	}, {
		name: "still a writer after DoWrite: the poller watches it from then on",
		run: func(t *testing.T, r *Reactor, ev *events, w *presumedDesc) {
			mustAdd(t, r.AddWriter(w))
			r.Iterate(0)
			r.Iterate(0) // the pipe has room: the poller reports it
		},
		want:       events{"W write", "W write"},
		watched:    []bool{false, true},
		registered: true,
	}, {
		name: "not presumed: watched by the poller at once",
		run: func(t *testing.T, r *Reactor, ev *events, w *presumedDesc) {
			w.presume = false
			mustAdd(t, r.AddWriter(w))
			if !kernelHasOut(r, w.fd) {
				t.Error("a writer that is not presumed writable is not watched by the poller")
			}
			r.Iterate(0)
		},
		want:       events{"W write"},
		watched:    []bool{true},
		registered: true,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, log := newReactor(t)
			ev := events{}
			_, wfd := pipe(t)
			w := &presumedDesc{desc: desc{name: "W", fd: wfd, ev: &ev}, presume: true, r: r}
			tc.run(t, r, &ev, w)
			if diff := cmp.Diff(tc.want, ev); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.watched, w.watched); diff != "" {
				t.Errorf("poller watched the writer at DoWrite (-want +got):\n%s", diff)
			}
			if got := kernelHasOut(r, wfd); got != tc.registered {
				t.Errorf("poller watches the writer: %v, want %v", got, tc.registered)
			}
			if w := log.whys(); len(w) != 0 {
				t.Errorf("logged errors: %v", w)
			}
		})
	}
}

// DoRead then DoWrite, in one dispatch, when the poll reports a presumed
// writer's descriptor readable: the order Twisted's _doReadOrWrite gives.
func TestReactor_PresumedWriterReadableTooReadsFirst_R03(t *testing.T) {
	r, log := newReactor(t)
	var ev events
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	setNonblockCloexec(t, fds[:])
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	s := &presumedDesc{desc: desc{name: "S", fd: fds[0], ev: &ev}, presume: true, r: r}
	s.onWrite = func() error { r.RemoveWriter(s); return nil }
	mustAdd(t, r.AddReader(s))
	writeFD(t, fds[1], "x")
	mustAdd(t, r.AddWriter(s))
	if got := r.GetWriters(); len(got) != 1 || got[0] != WriteDescriptor(s) {
		t.Errorf("GetWriters = %v, want the presumed writer", got)
	}
	r.Iterate(0)
	if diff := cmp.Diff(events{"S read", "S write"}, ev); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{false}, s.watched); diff != "" {
		t.Errorf("poller watched the writer at DoWrite (-want +got):\n%s", diff)
	}
	if w := log.whys(); len(w) != 0 {
		t.Errorf("logged errors: %v", w)
	}
}

func mustAdd(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
