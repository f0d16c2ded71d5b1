//go:build unix

package tcp

import (
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
)

// tcpCycles runs n sequential connect / one byte each way / close cycles
// through ClientCreator on a fresh reactor, checking each cycle's events.
func tcpCycles(t *testing.T, n int) {
	t.Helper()
	r := tcpReactor(t)
	testkit.RunUntil(t, r, 2*time.Minute, func(stop func()) {
		serverLost := 0
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
			return &tcpRecorder{
				onData: func(p *tcpRecorder, b []byte) { p.Transport.Write(b) },
				onLost: func(p *tcpRecorder) { serverLost++ },
			}
		}))
		cc := tcpClientCreator(r, func() protocol.Protocol {
			return &tcpRecorder{onData: func(p *tcpRecorder, _ []byte) { p.Transport.LoseConnection() }}
		})
		left := n
		var cycle func()
		cycle = func() {
			if left == 0 {
				// The server hears of the last close on a later pass.
				var wait func()
				wait = func() {
					if serverLost < n {
						r.CallLater(time.Millisecond, wait)
						return
					}
					port.StopListening().AddCallback(func(any) (any, error) { stop(); return nil, nil })
				}
				wait()
				return
			}
			left--
			cc.ConnectTCP("127.0.0.1", tcpPortOf(port), protocol.ConnectTCPOptions{}).AddCallback(func(v any) (any, error) {
				p := v.(*tcpRecorder)
				p.onLost = func(p *tcpRecorder) {
					if p.lost != 1 || string(p.data) != "x" || testkit.ReasonKind(p.reason) != "done" {
						t.Errorf("cycle %d: data %q, events %v", n-left, p.data, p.events)
					}
					cycle()
				}
				p.Transport.Write([]byte("x"))
				return nil, nil
			})
		}
		cycle()
	})
}

// 2,000 connect/close cycles leave the descriptor and goroutine counts where
// they started: nothing leaks per connection, and no goroutine is used.
func TestTCP_ConnectCloseCyclesLeakNothing(t *testing.T) {
	tcpCycles(t, 5) // warm up: the process-wide reserve descriptor, pools
	fds, gs := tcpOpenFDs(t), tcpSettleGoroutines(0)
	tcpCycles(t, 2000)
	if after := tcpOpenFDs(t); after != fds {
		t.Errorf("open descriptors: %d before 2,000 cycles, %d after", fds, after)
	}
	if after := tcpSettleGoroutines(gs); after > gs {
		t.Errorf("goroutines: %d before 2,000 cycles, %d after", gs, after)
	}
}
