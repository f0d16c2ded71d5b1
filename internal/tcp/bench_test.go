//go:build unix

package tcp

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Benchmarks of the TCP transport next to the same work done with Go's net
// package and one goroutine per connection. The side-by-side runner in
// bench/ runs the same workloads against Twisted too.

const benchChunk = 64 << 10

// tcpEchoClient writes one chunk, waits for all of it to come back, and
// repeats n times.
type tcpEchoClient struct {
	protocol.BaseProtocol
	chunk []byte
	n     int
	got   int
	done  func()
}

func (c *tcpEchoClient) ConnectionMade() { c.Transport.Write(c.chunk) }

func (c *tcpEchoClient) DataReceived(b []byte) {
	c.got += len(b)
	if c.got < len(c.chunk) {
		return
	}
	c.got -= len(c.chunk)
	c.n--
	if c.n > 0 {
		c.Transport.Write(c.chunk)
		return
	}
	c.Transport.LoseConnection()
}

func (c *tcpEchoClient) ConnectionLost(*reactor.Failure) { c.done() }

// BenchmarkTCPEcho64K: one connection on one reactor, 64 KiB written and
// echoed back per op; "default" is Twisted's behaviour (fresh slice per
// read, writes queued to the next pass), the others set TCPConnOptions on
// both ends: ReuseReadBuffer, WriteThrough, or both ("tuned").
func BenchmarkTCPEcho64K(b *testing.B) {
	for _, bc := range []struct {
		name string
		conn protocol.TCPConnOptions
	}{
		{"default", protocol.TCPConnOptions{}},
		{"reuse", protocol.TCPConnOptions{ReuseReadBuffer: true}},
		{"writethrough", protocol.TCPConnOptions{WriteThrough: true}},
		{"tuned", protocol.TCPConnOptions{ReuseReadBuffer: true, WriteThrough: true}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchEcho(b, bc.conn) })
	}
}

// benchEcho times the echo with conn on both ends. Neither tcpEcho nor
// tcpEchoClient keeps the slices it gets, so ReuseReadBuffer is safe here.
func benchEcho(b *testing.B, conn protocol.TCPConnOptions) {
	b.SetBytes(benchChunk)
	r := tcpReactor(b)
	b.ResetTimer()
	testkit.RunUntil(b, r, time.Minute, func(stop func()) {
		port := tcpListenWith(b, r, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }), conn)
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			return &tcpEchoClient{chunk: make([]byte, benchChunk), n: b.N, done: func() { port.StopListening(); stop() }}
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{Conn: conn})
	})
}

// BenchmarkNetEcho64K is the same with net.Conn and a goroutine per
// connection.
func BenchmarkNetEcho64K(b *testing.B) {
	b.SetBytes(benchChunk)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	chunk := make([]byte, benchChunk)
	buf := make([]byte, benchChunk)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(chunk); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// tcpChurnClient connects, sends one byte, waits for it to come back and
// closes; its ConnectionLost starts the next round.
type tcpChurnClient struct {
	protocol.BaseProtocol
	next func()
}

func (c *tcpChurnClient) ConnectionMade()                 { c.Transport.Write([]byte{'x'}) }
func (c *tcpChurnClient) DataReceived([]byte)             { c.Transport.LoseConnection() }
func (c *tcpChurnClient) ConnectionLost(*reactor.Failure) { c.next() }

// BenchmarkTCPChurn: per op, one connection made, one byte each way, closed.
func BenchmarkTCPChurn(b *testing.B) {
	r := tcpReactor(b)
	b.ResetTimer()
	testkit.RunUntil(b, r, time.Minute, func(stop func()) {
		port := tcpListen(b, r, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }))
		left := b.N
		var cf *protocol.BaseClientFactory
		next := func() {
			if left == 0 {
				port.StopListening()
				stop()
				return
			}
			left--
			Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
		}
		cf = protocol.ClientFactoryFor(func() protocol.Protocol { return &tcpChurnClient{next: next} })
		next()
	})
}

// BenchmarkNetChurn is the same with net.Dial and a goroutine per accepted
// connection.
func BenchmarkNetChurn(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	addr := "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	buf := make([]byte, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write([]byte{'x'}); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkForwarder64K: bulk data through ListenForward (its reactor on
// its own goroutine) from a net.Conn client to a net.Conn sink; one op is
// 64 KiB relayed. bench/ compares the same with socat and Twisted.
func BenchmarkForwarder64K(b *testing.B) {
	b.SetBytes(benchChunk)
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	r, err := reactor.New()
	if err != nil {
		b.Fatal(err)
	}
	fwd, err := protocol.ListenForward(tcpReactorTCP{r}, 0, "127.0.0.1", sink.Addr().(*net.TCPAddr).Port, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- r.Run() }()
	defer func() {
		r.CallFromThread(func() { _ = r.Stop() })
		<-ran
	}()
	got := make(chan int64, 1)
	go func() {
		c, err := sink.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		buf := make([]byte, benchChunk)
		var k int64
		for {
			m, err := c.Read(buf)
			k += int64(m)
			if err != nil {
				got <- k
				return
			}
		}
	}()
	c, err := net.Dial("tcp", fwd.GetHost().String())
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, benchChunk)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	_ = c.(*net.TCPConn).CloseWrite()
	if k := <-got; k != int64(b.N)*benchChunk {
		b.Fatalf("sink got %d bytes, want %d", k, int64(b.N)*benchChunk)
	}
	b.StopTimer()
	c.Close()
}
