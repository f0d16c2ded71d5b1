//go:build unix

package trial_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// The dirty-reactor check with real sockets and real children (TR-08, W-04).

// A listening port and a connected socket left open are named by address,
// removed and closed.
func TestRun_DirtySocketsReportedAndClosed_TR08(t *testing.T) {
	// The first listen opens the TCP code's process-wide reserve descriptor
	// (for EMFILE): count from the second run.
	leaveSockets(t)
	before := openFDs(t)
	port, addr, ft := leaveSockets(t)
	wantFailure(t, ft, 1, "Selectables (removed, ConnectionLost):", "TCP port "+addr, "TCP connection", "-> "+addr)
	if sel, ok := port.(reactor.Selectable); !ok {
		t.Errorf("the port %T is not a descriptor", port)
	} else if fd := sel.Fileno(); fd != -1 {
		t.Errorf("the left port still has fd %d", fd)
	}
	// Nothing listens there any more.
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after the cleanup", addr)
	}
	if after := openFDs(t); after > before {
		t.Errorf("open descriptors: %d before, %d after", before, after)
	}
}

// leaveSockets runs an inner test that ends connected to its own listening
// port, leaving both behind.
func leaveSockets(t *testing.T) (port protocol.ListeningPort, addr string, ft *fakeT) {
	ft = inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *braid.Reactor) *reactor.Deferred {
			var err error
			port, err = r.ListenTCP(0, protocol.FactoryFor(func() protocol.Protocol {
				return &protocol.BaseProtocol{}
			}), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
			if err != nil {
				ft.Fatalf("listen: %v", err)
			}
			addr = port.GetHost().String()
			cc := protocol.NewClientCreator(r, func() protocol.Protocol { return &protocol.BaseProtocol{} })
			host, p := splitHostPort(t, addr)
			// The test ends once connected, leaving the connection and the
			// port behind.
			return cc.ConnectTCP(host, p, protocol.ConnectTCPOptions{Timeout: time.Second})
		})
	})
	return port, addr, ft
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	fmt.Sscan(p, &n)
	return host, n
}

// A child still running when the test ends is reported with its pid and
// argv, its pipes as selectables; unlike Twisted (E-20: sleep 30 survived),
// trial kills it and reaps it: no process, no zombie, is left.
func TestRun_DirtyChildKilledAndReaped_W04(t *testing.T) {
	cases := []struct {
		name string
		opts protocol.SpawnOptions
		argv []string
	}{
		{"plain child", protocol.SpawnOptions{}, []string{"sleep", "30"}},
		// A shell whose own child would outlive a KILL of the shell alone
		// (W-03): in its own process group, both die.
		{"process group", protocol.SpawnOptions{NewProcessGroup: true}, []string{"sh", "-c", "sleep 30; echo never"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pid int
			var grandchild int
			ft := inner(t, func(ft *fakeT) {
				trial.Run(ft, func(r *braid.Reactor) *reactor.Deferred {
					p, err := r.SpawnProcess(nil, c.argv[0], c.argv, c.opts)
					if err != nil {
						ft.Fatalf("spawn: %v", err)
					}
					pid = p.Pid()
					// Let the child start (and the shell fork its sleep).
					return reactor.DeferLater(r, 100*time.Millisecond, func() (any, error) {
						grandchild = childOf(pid)
						return nil, nil
					})
				})
			})
			wantFailure(t, ft, 1, "Processes (killed and reaped):", fmt.Sprintf("pid=%d", pid),
				fmt.Sprintf("%q", c.argv[len(c.argv)-1]), "Selectables", "process pipe")
			if alive(pid) {
				t.Errorf("child %d still exists (alive or zombie) after the cleanup", pid)
			}
			if c.opts.NewProcessGroup {
				if grandchild == 0 {
					t.Fatal("the shell's child was not found")
				}
				waitGone(t, grandchild)
			}
		})
	}
}

// alive reports whether pid exists, as a running process or a zombie.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// waitGone waits a little for a process that is not ours to reap (the
// grandchild is reaped by init once killed).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || zombie(string(st)) {
			return
		}
	}
	t.Errorf("grandchild %d still running after the cleanup", pid)
}

func zombie(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// childOf returns a child of pid, from /proc, or 0.
func childOf(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	var c int
	fmt.Sscan(string(data), &c)
	return c
}

// A child that ended during the test is not reported.
func TestRun_EndedChildIsClean(t *testing.T) {
	ft := inner(t, func(ft *fakeT) {
		trial.Run(ft, func(r *braid.Reactor) *reactor.Deferred {
			ended := reactor.NewDeferred(nil)
			proto := &endNotifier{ended: ended}
			if _, err := r.SpawnProcess(proto, "true", []string{"true"}, protocol.SpawnOptions{}); err != nil {
				ft.Fatalf("spawn: %v", err)
			}
			return ended
		})
	})
	wantClean(t, ft)
}

type endNotifier struct {
	protocol.BaseProcessProtocol
	ended *reactor.Deferred
}

func (e *endNotifier) ProcessEnded(reason *reactor.Failure) { _ = e.ended.Callback(nil) }
