//go:build unix

package udp

import (
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/testkit"
)

// A port bound to "::" also hears IPv4 senders, whose addresses it gets in
// IPv4-mapped form; writing back to that address reaches the sender, as in
// Twisted (which hands out "::ffff:127.0.0.1" and sends to it). A port
// bound to "::1" still refuses IPv4 addresses (TestUDP_BadAddresses).
func TestUDP_DualStackAnswersIPv4Sender(t *testing.T) {
	r := udpReactor(t, nil)
	server, client := &recorder{}, &recorder{}
	var writeErr error
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		sp := listen(t, r, server, "::")
		cp := listen(t, r, client, "127.0.0.1")
		server.onData = func(rc *recorder, data []byte, addr net.Addr) {
			writeErr = rc.Transport.WriteTo(append([]byte("re:"), data...), addr)
			if writeErr != nil {
				stop()
			}
		}
		client.onData = func(*recorder, []byte, net.Addr) { stop() }
		if err := cp.WriteTo([]byte("a"), loopback(udpPortOf(sp))); err != nil {
			t.Fatal(err)
		}
	})
	if writeErr != nil {
		t.Errorf("answering the IPv4 sender: %v", writeErr)
	}
	var got []string
	for _, p := range client.packets {
		got = append(got, p.Data)
	}
	if diff := cmp.Diff([]string{"re:a"}, got); diff != "" {
		t.Errorf("client got (-want +got):\n%s", diff)
	}
}
