//go:build unix

package reactor

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// setNonblockCloexec readies test descriptors as the reactor expects them.
// (pipe2 and SOCK_NONBLOCK are Linux and BSD only; this works everywhere.)
func setNonblockCloexec(t *testing.T, fds []int) {
	t.Helper()
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatalf("set non-blocking: %v", err)
		}
	}
}

// pipe returns a non-blocking pipe, closed at the end of the test (closing an
// already closed end is harmless because the fds are tracked by number only
// until the test closes them itself via closeFD).
func pipe(t *testing.T) (rfd, wfd int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatalf("pipe: %v", err)
	}
	setNonblockCloexec(t, p[:])
	fds := &fdSet{}
	fds.keep(p[0], p[1])
	t.Cleanup(fds.closeAll)
	return p[0], p[1]
}

// socketpair returns a connected pair of non-blocking stream sockets.
func socketpair(t *testing.T) (a, b int) {
	t.Helper()
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	setNonblockCloexec(t, p[:])
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
