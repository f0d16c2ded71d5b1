//go:build unix

package tcp

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// adoptedConn is a Conn on one end of a socket pair, with protocol p; the
// other end is returned for the test to drive.
func adoptedConn(t *testing.T, r *reactor.Reactor, p protocol.Protocol) (*Conn, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(fds[1]) })
	c := newConn(r, fds[0], protocol.TCPConnOptions{})
	c.server = true
	c.makeConnection(p)
	t.Cleanup(func() { c.AbortConnection(); r.Iterate(0) })
	return c, fds[1]
}

// T-05: a write waits for the pass after the next poll, and where it falls
// among that pass's other descriptors is where Twisted's epoll puts a
// writer: after the descriptors the previous poll reported (epoll lists
// them again first), before those that became ready since. In each case
// Y's DataReceived aborts X; whether X's "A" reached X's peer first says
// which ran first. Each case was run under Twisted 22.4's epoll reactor on
// adopted socket pairs; the wanted bytes are what X's peer got there.
func TestTCP_QueuedWriteKeepsEpollsOrder_T05(t *testing.T) {
	cases := []struct {
		name string
		// drive runs in a timed call: it makes X write "A" (directly, or
		// by sending X's peer a byte) and Y's peer send.
		drive func(x *Conn, xPeer, yPeer int) error
		// abortOn is the DataReceived call of Y that aborts X.
		abortOn int
		want    string
	}{{
		name: "X writes in a timed call, then Y becomes readable: X first",
		drive: func(x *Conn, xPeer, yPeer int) error {
			x.Write([]byte("A"))
			_, err := unix.Write(yPeer, []byte("y"))
			return err
		},
		abortOn: 1,
		want:    "A",
	}, {
		name: "Y ready before X's DataReceived writes: Y's next read first",
		drive: func(x *Conn, xPeer, yPeer int) error {
			if _, err := unix.Write(yPeer, make([]byte, 100_000)); err != nil {
				return err
			}
			_, err := unix.Write(xPeer, []byte("x"))
			return err
		},
		abortOn: 2,
		want:    "",
	}, {
		name: "X's DataReceived writes before Y is ready: X's write first",
		drive: func(x *Conn, xPeer, yPeer int) error {
			if _, err := unix.Write(xPeer, []byte("x")); err != nil {
				return err
			}
			_, err := unix.Write(yPeer, make([]byte, 100_000))
			return err
		},
		abortOn: 2,
		want:    "A",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tcpReactor(t)
			t.Cleanup(func() { _ = r.Close() }) // runs last: the connections' cleanups end them first
			x, xPeer := adoptedConn(t, r, &tcpRecorder{onData: func(p *tcpRecorder, _ []byte) {
				p.Transport.Write([]byte("A"))
			}})
			calls := 0
			_, yPeer := adoptedConn(t, r, &tcpRecorder{onData: func(*tcpRecorder, []byte) {
				if calls++; calls == tc.abortOn {
					x.AbortConnection()
				}
			}})
			r.CallLater(0, func() {
				if err := tc.drive(x, xPeer, yPeer); err != nil {
					t.Error(err)
				}
			})
			for range 6 {
				r.Iterate(0)
			}
			buf := make([]byte, 16)
			n, _ := unix.Read(xPeer, buf)
			if got := string(buf[:max(n, 0)]); got != tc.want {
				t.Errorf("X's peer received %q, want %q (Twisted's)", got, tc.want)
			}
		})
	}
}
