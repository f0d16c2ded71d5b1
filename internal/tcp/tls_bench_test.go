//go:build unix

package tcp

import (
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
)

// BenchmarkTLSEcho16K is BenchmarkTCPEcho64K over TLS with one record's
// worth of data per round trip (bench/'s "TLS echo" row).
func BenchmarkTLSEcho16K(b *testing.B) {
	const chunk = 16 << 10
	b.SetBytes(chunk)
	ca := testCA(b)
	r := tcpReactor(b)
	b.ResetTimer()
	testkit.RunUntil(b, r, time.Minute, func(stop func()) {
		port, err := ListenSSL(r, 0, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }), ca.ServerConfig(), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
		if err != nil {
			b.Fatal(err)
		}
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			return &tcpEchoClient{chunk: make([]byte, chunk), n: b.N, done: func() { port.StopListening(); stop() }}
		})
		ConnectSSL(r, "127.0.0.1", tcpPortOf(port), cf, ca.ClientConfig(), protocol.ConnectTCPOptions{})
	})
}
