//go:build unix

package tcp

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
)

// unixCycles runs n ports, each with one connection that passes a
// descriptor and a byte and closes, on a fresh reactor.
func unixCycles(t *testing.T, n int) {
	t.Helper()
	r := tcpReactor(t)
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	testkit.RunUntil(t, r, time.Minute, func(stop func()) {
		left := n
		var cycle func()
		cycle = func() {
			if left == 0 {
				stop()
				return
			}
			left--
			path := dir + "/s"
			var port *Port
			server := &fdRecorder{}
			server.onMade = func(p *tcpRecorder) {
				_ = p.Transport.(protocol.UNIXTransport).SendFileDescriptor(int(f.Fd()))
				p.Transport.Write([]byte("x"))
				p.Transport.LoseConnection()
			}
			port, err = ListenUNIX(r, path, protocol.FactoryFor(func() protocol.Protocol { return server }), protocol.ListenUNIXOptions{WantPID: true})
			if err != nil {
				t.Fatal(err)
			}
			client := &fdRecorder{}
			client.onLost = func(*tcpRecorder) {
				for _, fd := range client.fds {
					_ = unix.Close(fd)
				}
				if len(client.fds) != 1 || string(client.data) != "x" {
					t.Errorf("cycle %d: fds %v, data %q", n-left, client.fds, client.data)
				}
				port.StopListening().AddCallback(func(any) (any, error) { cycle(); return nil, nil })
			}
			cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return client })
			cc.ConnectUNIX(path, protocol.ConnectUNIXOptions{CheckPID: true})
		}
		cycle()
	})
}

// 300 ports, connections and passed descriptors leave the descriptor and
// goroutine counts where they started, and nothing on disk.
func TestUNIX_CyclesLeakNothing(t *testing.T) {
	unixCycles(t, 3)
	fds, gs := tcpOpenFDs(t), tcpSettleGoroutines(0)
	unixCycles(t, 300)
	if after := tcpOpenFDs(t); after != fds {
		t.Errorf("open descriptors: %d before, %d after", fds, after)
	}
	if after := tcpSettleGoroutines(gs); after > gs {
		t.Errorf("goroutines: %d before, %d after", gs, after)
	}
}
