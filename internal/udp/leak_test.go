//go:build unix

package udp

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// Ports opened, used and stopped, and ports left to the reactor's
// shutdown, leave the descriptor count where it was.
func TestUDP_PortsLeakNothing(t *testing.T) {
	before := openFDs(t)
	for range 50 {
		r := udpReactor(t, nil)
		testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
			rc := &recorder{}
			p := listen(t, r, rc, "127.0.0.1")
			listen(t, r, &recorder{}, "::1") // left open: shutdown closes it
			rc.onData = func(*recorder, []byte, net.Addr) {
				p.StopListening().AddCallback(func(any) (any, error) { stop(); return nil, nil })
			}
			_ = p.WriteTo([]byte("x"), p.GetHost())
		})
		_ = r.Close()
	}
	if after := openFDs(t); after != before {
		t.Errorf("open descriptors: %d before, %d after", before, after)
	}
}
