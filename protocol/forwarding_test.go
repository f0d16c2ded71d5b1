//go:build unix

package protocol_test

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/tcp"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// tcpConchEcho is Conch's test Echo (C-01): it writes each chunk back and,
// if the chunk holds a newline, loses the connection (after the flush).
type tcpConchEcho struct{ protocol.BaseProtocol }

func (e *tcpConchEcho) DataReceived(b []byte) {
	e.Transport.Write(b)
	if bytes.IndexByte(b, '\n') >= 0 {
		e.Transport.LoseConnection()
	}
}

// tcpOwner records what ForwardingPorts hand back.
type tcpOwner struct {
	buffers [][]byte
	onDone  func()
}

func (o *tcpOwner) ForwardingPortDisconnected(buffer []byte) {
	o.buffers = append(o.buffers, buffer)
	if o.onDone != nil {
		o.onDone()
	}
}

// C-06: the port writes its data on connect, collects the reply and hands
// it over when the connection ends, whatever the reason.
func TestForwardingPort_SendsCollectsAndReports_C06(t *testing.T) {
	cases := []struct {
		name   string
		server func() protocol.Protocol
		want   [][]byte
	}{
		{"echo replies and closes", func() protocol.Protocol { return &tcpConchEcho{} }, [][]byte{[]byte("test\n")}},
		{"server closes without a reply", func() protocol.Protocol {
			return &recorder{onMade: func(p *recorder) { p.Transport.LoseConnection() }}
		}, [][]byte{{}}},
		{"server resets the connection", func() protocol.Protocol {
			return &recorder{onMade: func(p *recorder) { p.Transport.(protocol.TCPTransport).AbortConnection() }}
		}, [][]byte{{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReactor(t)
			owner := &tcpOwner{}
			var fp *protocol.ForwardingPort
			testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
				port := listen(t, r, protocol.FactoryFor(tc.server))
				owner.onDone = func() { port.StopListening(); stop() }
				cc := protocol.NewClientCreator(r, func() protocol.Protocol {
					fp = protocol.NewForwardingPort(owner, []byte("test\n"))
					if fp.Buffer != nil {
						t.Error("Buffer set before ConnectionMade")
					}
					return fp
				})
				cc.ConnectTCP("127.0.0.1", portOf(port), protocol.ConnectTCPOptions{})
			})
			if diff := cmp.Diff(tc.want, owner.buffers); diff != "" {
				t.Errorf("buffers handed to the owner (-want +got):\n%s", diff)
			}
		})
	}
}

// A protocol.ForwardingPort that never connects never reports, and its Buffer stays
// nil — Conch's processEnded then fires with None (C-09, C-15).
func TestForwardingPort_NeverConnected_C15(t *testing.T) {
	r := newReactor(t)
	owner := &tcpOwner{}
	var fp *protocol.ForwardingPort
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		d := protocol.NewClientCreator(r, func() protocol.Protocol { fp = protocol.NewForwardingPort(owner, []byte("x\n")); return fp }).
			ConnectTCP("127.0.0.1", testkit.FreePort(t), protocol.ConnectTCPOptions{})
		d.AddErrback(func(*reactor.Failure) (any, error) { stop(); return nil, nil })
	})
	if len(owner.buffers) != 0 || fp.Buffer != nil {
		t.Errorf("owner got %q, Buffer %q; want nothing and nil", owner.buffers, fp.Buffer)
	}
}

// proxyPeak samples the largest write buffer of the forwarder's own
// transports while the reactor runs.
func proxyPeak(r *braid.Reactor, peak *int, done *bool) {
	var sample func()
	sample = func() {
		for _, rd := range r.GetReaders() {
			if c, ok := rd.(*tcp.Conn); ok && isProxy(c.Protocol()) {
				*peak = max(*peak, c.Buffered())
			}
		}
		for _, wr := range r.GetWriters() {
			if c, ok := wr.(*tcp.Conn); ok && isProxy(c.Protocol()) {
				*peak = max(*peak, c.Buffered())
			}
		}
		if !*done {
			r.CallLater(200*time.Microsecond, sample)
		}
	}
	sample()
}

// isProxy tells the forwarder's own ends from the test's client and target.
func isProxy(p protocol.Protocol) bool {
	switch p.(type) {
	case nil, *recorder, *echo, *tcpReplyAtEOF:
		return false
	}
	return true
}

// 10 MiB through the forwarder to an echo server and back arrive intact,
// and the forwarder's buffers stay bounded by its flow control (each
// transport at most its 64 KiB high-water mark plus one read), both with
// protocol.ListenForward (write-through) and with Twisted's queued writes.
func TestForwarder_10MiBIntactAndBounded(t *testing.T) {
	const size = 10 << 20
	payload := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name         string
		writeThrough bool
	}{
		{"ListenForward", true},
		{"ProxyFactory with queued writes", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReactor(t)
			var client *recorder
			peak, done := 0, false
			testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
				target := listen(t, r, protocol.FactoryFor(func() protocol.Protocol { return &echo{} }))
				pf := protocol.NewProxyFactory(r, "127.0.0.1", portOf(target))
				pf.HalfClose, pf.WriteThrough = true, tc.writeThrough
				fwd := listen(t, r, pf)
				proxyPeak(r, &peak, &done)
				cf := protocol.ClientFactoryFor(func() protocol.Protocol {
					client = &recorder{
						onMade: func(p *recorder) {
							for off := 0; off < size; off += 1 << 20 {
								p.Transport.Write(payload[off : off+1<<20])
							}
						},
						onData: func(p *recorder, _ []byte) {
							if len(p.data) == size {
								p.Transport.LoseConnection()
							}
						},
						onLost: func(*recorder) {
							done = true
							fwd.StopListening()
							target.StopListening()
							r.CallLater(10*time.Millisecond, stop)
						},
					}
					return client
				})
				r.ConnectTCP("127.0.0.1", portOf(fwd), cf, protocol.ConnectTCPOptions{})
			})
			if len(client.data) != size || !bytes.Equal(client.data, payload) {
				t.Fatalf("got %d bytes back (intact: %v), want %d", len(client.data), bytes.Equal(client.data, payload), size)
			}
			t.Logf("peak forwarder transport buffer: %d bytes", peak)
			if limit := 2 * protocol.DefaultBufferSize; peak > limit {
				t.Errorf("forwarder buffered up to %d bytes, want at most %d", peak, limit)
			}
			if !tc.writeThrough && peak == 0 {
				t.Error("no forwarder buffer was ever seen non-empty: the bound was not exercised")
			}
			if n := len(r.GetReaders()) + len(r.GetWriters()); n != 0 {
				t.Errorf("%d descriptors left registered", n)
			}
		})
	}
}

// tcpReplyAtEOF reads a request until EOF, then answers with its length
// and closes: a server that needs half-close.
type tcpReplyAtEOF struct {
	protocol.BaseProtocol
	n int
}

func (s *tcpReplyAtEOF) DataReceived(b []byte) { s.n += len(b) }
func (s *tcpReplyAtEOF) ReadConnectionLost() {
	s.Transport.Write([]byte("got " + strconv.Itoa(s.n)))
	s.Transport.LoseConnection()
}
func (s *tcpReplyAtEOF) WriteConnectionLost() {}

// Half-close through the forwarder: with HalfClose the client's EOF reaches
// the server and the answer comes back; without it (Twisted's forwarder)
// the first EOF closes both connections and the answer is lost.
func TestForwarder_HalfClose(t *testing.T) {
	cases := []struct {
		halfClose bool
		want      string
	}{
		{true, "got 200000"},
		{false, ""},
	}
	for _, tc := range cases {
		t.Run("HalfClose="+strconv.FormatBool(tc.halfClose), func(t *testing.T) {
			r := newReactor(t)
			var client *halfRecorder
			testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
				target := listen(t, r, protocol.FactoryFor(func() protocol.Protocol { return &tcpReplyAtEOF{} }))
				pf := protocol.NewProxyFactory(r, "127.0.0.1", portOf(target))
				pf.HalfClose = tc.halfClose
				fwd := listen(t, r, pf)
				cf := protocol.ClientFactoryFor(func() protocol.Protocol {
					client = &halfRecorder{onReadLost: func(p *halfRecorder) { p.Transport.LoseConnection() }}
					client.onMade = func(p *recorder) {
						p.Transport.Write(make([]byte, 200_000))
						p.Transport.(protocol.TCPTransport).LoseWriteConnection()
					}
					client.onLost = func(*recorder) {
						fwd.StopListening()
						target.StopListening()
						r.CallLater(20*time.Millisecond, stop)
					}
					return client
				})
				r.ConnectTCP("127.0.0.1", portOf(fwd), cf, protocol.ConnectTCPOptions{})
			})
			if string(client.data) != tc.want {
				t.Errorf("client got %q, want %q", client.data, tc.want)
			}
			if client.lost != 1 || !contains(client.events, "lost:done") {
				t.Errorf("client events %v, want one clean ConnectionLost", client.events)
			}
			if n := len(r.GetReaders()) + len(r.GetWriters()); n != 0 {
				t.Errorf("%d descriptors left registered", n)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A forwarder whose target refuses closes the accepted connection cleanly.
func TestForwarder_TargetRefusedClosesClient(t *testing.T) {
	r := newReactor(t)
	var client *recorder
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		fwd, err := protocol.ListenForward(r, 0, "127.0.0.1", testkit.FreePort(t), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			client = &recorder{onLost: func(*recorder) { fwd.StopListening(); stop() }}
			return client
		})
		r.ConnectTCP("127.0.0.1", portOf(fwd), cf, protocol.ConnectTCPOptions{})
	})
	if diff := cmp.Diff([]string{"made", "lost:done"}, client.events); diff != "" {
		t.Errorf("client events (-want +got):\n%s", diff)
	}
}
