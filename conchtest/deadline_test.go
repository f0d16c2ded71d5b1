//go:build unix

package conchtest_test

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/reactor"
)

// silentServer accepts one connection, answers {reply} and then neither
// answers more nor closes, nor ends.
const silentServer = `exec {python} -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
c.recv(100)
c.sendall(sys.argv[2].encode())
time.sleep(60)' {port} `

// Hardening.TotalDeadline bounds the whole run: a server that accepts and
// never answers, or answers and never closes, no longer hangs the
// Deferred; it fails with a *DeadlineError naming the phase and holding
// what came back so far.
func TestForwardingProcess_TotalDeadlineBoundsTheExchange(t *testing.T) {
	cases := []struct {
		name  string
		reply string
	}{
		{"accepts and never answers", "''"},
		{"answers and never closes", "part"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := conchtest.Hardened()
			h.TotalDeadline = time.Second // python starts well within it, even under load
			h.GracePeriod = 100 * time.Millisecond
			var proc *conchtest.ForwardingProcess
			result, took := runWrapped(t, silentServer+tc.reply, h, &proc)
			f, ok := result.(*reactor.Failure)
			if !ok {
				t.Fatalf("Deferred fired with %#v, want a *DeadlineError failure", result)
			}
			de, ok := errors.AsType[*conchtest.DeadlineError](f)
			if !ok {
				t.Fatalf("failure %v, want a *DeadlineError", f)
			}
			want := tc.reply
			if want == "''" {
				want = ""
			}
			if de.Phase != "exchange" || string(de.Received) != want || de.Received == nil {
				t.Errorf("DeadlineError phase %q, received %q; want exchange, %q", de.Phase, de.Received, want)
			}
			if took > 5*time.Second {
				t.Errorf("the Deferred fired %v after the start, want soon after the 1 s deadline", took)
			}
		})
	}
}

// Hardening.VerifyListener: a stale listener that already holds the port
// answers in the real server's place. Faithful mode (as Conch) takes its
// answer for the server's; hardened mode sees that the listener is not
// the spawned process's, sends nothing, and fails naming the port and the
// owner's pid.
func TestForwardingProcess_VerifyListenerRefusesAStaleListener(t *testing.T) {
	stale, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()
	port := stale.Addr().(*net.TCPAddr).Port
	got := make(chan []byte, 4)
	go func() {
		for {
			c, err := stale.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 100)
			n, _ := c.Read(buf)
			got <- buf[:n]
			_, _ = c.Write([]byte("stale\n"))
			_ = c.Close()
		}
	}()
	// The spawned server cannot bind the taken port; it just lingers.
	const lingering = `exec sleep 60 # {python} {port}`
	for _, tc := range []struct {
		name string
		h    conchtest.Hardening
	}{
		{"faithful", conchtest.Hardening{}},
		{"hardened", conchtest.Hardened()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var proc *conchtest.ForwardingProcess
			result, _ := runWrappedOn(t, port, lingering, tc.h, &proc)
			if !tc.h.VerifyListener {
				if b, ok := result.([]byte); !ok || string(b) != "stale\n" {
					t.Errorf("faithful: Deferred fired with %#v, want the stale listener's answer", result)
				}
				if sent := <-got; string(sent) != "test\n" {
					t.Errorf("faithful: the stale listener got %q", sent)
				}
				return
			}
			tl := proc.Timeline
			t.Logf("connected %v, ended %v after the spawn", tl.Connected.Sub(tl.Spawned), tl.Ended.Sub(tl.Spawned))
			f, ok := result.(*reactor.Failure)
			le, isLE := errors.AsType[*conchtest.ListenerError](f)
			if !ok || !isLE {
				t.Fatalf("hardened: Deferred fired with %#v, want a *ListenerError", result)
			}
			if le.Port != port || le.Owner != os.Getpid() {
				t.Errorf("ListenerError names port %d, owner %d; want %d, this test's pid %d", le.Port, le.Owner, port, os.Getpid())
			}
			select {
			case sent := <-got:
				if len(sent) != 0 {
					t.Errorf("hardened: the stale listener was sent %q", sent)
				}
			default:
			}
		})
	}
}
