package protocol

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/reactor"
)

// tcpConchEcho is Conch's test Echo (C-01): it writes each chunk back and,
// if the chunk holds a newline, loses the connection (after the flush).
type tcpConchEcho struct{ BaseProtocol }

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
		server func() Protocol
		want   [][]byte
	}{
		{"echo replies and closes", func() Protocol { return &tcpConchEcho{} }, [][]byte{[]byte("test\n")}},
		{"server closes without a reply", func() Protocol {
			return &tcpRecorder{onMade: func(p *tcpRecorder) { p.Transport.LoseConnection() }}
		}, [][]byte{{}}},
		{"server resets the connection", func() Protocol {
			return &tcpRecorder{onMade: func(p *tcpRecorder) { p.Transport.(TCPTransport).AbortConnection() }}
		}, [][]byte{{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tcpReactor(t)
			owner := &tcpOwner{}
			var fp *ForwardingPort
			tcpRun(t, r, 5*time.Second, func(stop func()) {
				port := tcpListen(t, r, FactoryFor(tc.server))
				owner.onDone = func() { port.StopListening(); stop() }
				cc := NewClientCreator(r, func() Protocol {
					fp = NewForwardingPort(owner, []byte("test\n"))
					if fp.Buffer != nil {
						t.Error("Buffer set before ConnectionMade")
					}
					return fp
				})
				cc.ConnectTCP("127.0.0.1", tcpPortOf(port), 0)
			})
			if diff := cmp.Diff(tc.want, owner.buffers); diff != "" {
				t.Errorf("buffers handed to the owner (-want +got):\n%s", diff)
			}
		})
	}
}

// A ForwardingPort that never connects never reports, and its Buffer stays
// nil — Conch's processEnded then fires with None (C-09, C-15).
func TestForwardingPort_NeverConnected_C15(t *testing.T) {
	r := tcpReactor(t)
	owner := &tcpOwner{}
	var fp *ForwardingPort
	tcpRun(t, r, 5*time.Second, func(stop func()) {
		d := NewClientCreator(r, func() Protocol { fp = NewForwardingPort(owner, []byte("x\n")); return fp }).
			ConnectTCP("127.0.0.1", tcpFreePort(t), 0)
		d.AddErrback(func(*reactor.Failure) (any, error) { stop(); return nil, nil })
	})
	if len(owner.buffers) != 0 || fp.Buffer != nil {
		t.Errorf("owner got %q, Buffer %q; want nothing and nil", owner.buffers, fp.Buffer)
	}
}

// tcpProxyPeak samples the largest write buffer of the forwarder's own
// transports while the reactor runs.
func tcpProxyPeak(r *reactor.Reactor, peak *int, done *bool) {
	var sample func()
	sample = func() {
		for _, rd := range r.GetReaders() {
			if c, ok := rd.(*TCPConnection); ok && isProxy(c.Protocol()) {
				*peak = max(*peak, c.Buffered())
			}
		}
		for _, wr := range r.GetWriters() {
			if c, ok := wr.(*TCPConnection); ok && isProxy(c.Protocol()) {
				*peak = max(*peak, c.Buffered())
			}
		}
		if !*done {
			r.CallLater(200*time.Microsecond, sample)
		}
	}
	sample()
}

func isProxy(p Protocol) bool {
	switch p.(type) {
	case *ProxyServer, *ProxyClient, *halfCloseServer, *halfCloseClient:
		return true
	}
	return false
}

// 10 MiB through the forwarder to an echo server and back arrive intact,
// and the forwarder's buffers stay bounded by its flow control (each
// transport at most its 64 KiB high-water mark plus one read), both with
// ListenForward (write-through) and with Twisted's queued writes.
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
			r := tcpReactor(t)
			var client *tcpRecorder
			peak, done := 0, false
			tcpRun(t, r, 60*time.Second, func(stop func()) {
				target := tcpListen(t, r, FactoryFor(func() Protocol { return &tcpEcho{} }))
				pf := NewProxyFactory(r, "127.0.0.1", tcpPortOf(target))
				pf.HalfClose, pf.WriteThrough = true, tc.writeThrough
				fwd := tcpListen(t, r, pf)
				tcpProxyPeak(r, &peak, &done)
				cf := ClientFactoryFor(func() Protocol {
					client = &tcpRecorder{
						onMade: func(p *tcpRecorder) {
							for off := 0; off < size; off += 1 << 20 {
								p.Transport.Write(payload[off : off+1<<20])
							}
						},
						onData: func(p *tcpRecorder, _ []byte) {
							if len(p.data) == size {
								p.Transport.LoseConnection()
							}
						},
						onLost: func(*tcpRecorder) {
							done = true
							fwd.StopListening()
							target.StopListening()
							r.CallLater(10*time.Millisecond, stop)
						},
					}
					return client
				})
				ConnectTCP(r, "127.0.0.1", tcpPortOf(fwd), cf, 0)
			})
			if len(client.data) != size || !bytes.Equal(client.data, payload) {
				t.Fatalf("got %d bytes back (intact: %v), want %d", len(client.data), bytes.Equal(client.data, payload), size)
			}
			t.Logf("peak forwarder transport buffer: %d bytes", peak)
			if limit := 2 * DefaultBufferSize; peak > limit {
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
	BaseProtocol
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
			r := tcpReactor(t)
			var client *tcpHalfRecorder
			tcpRun(t, r, 10*time.Second, func(stop func()) {
				target := tcpListen(t, r, FactoryFor(func() Protocol { return &tcpReplyAtEOF{} }))
				pf := NewProxyFactory(r, "127.0.0.1", tcpPortOf(target))
				pf.HalfClose = tc.halfClose
				fwd := tcpListen(t, r, pf)
				cf := ClientFactoryFor(func() Protocol {
					client = &tcpHalfRecorder{onReadLost: func(p *tcpHalfRecorder) { p.Transport.LoseConnection() }}
					client.onMade = func(p *tcpRecorder) {
						p.Transport.Write(make([]byte, 200_000))
						p.Transport.(TCPTransport).LoseWriteConnection()
					}
					client.onLost = func(*tcpRecorder) {
						fwd.StopListening()
						target.StopListening()
						r.CallLater(20*time.Millisecond, stop)
					}
					return client
				})
				ConnectTCP(r, "127.0.0.1", tcpPortOf(fwd), cf, 0)
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
	r := tcpReactor(t)
	var client *tcpRecorder
	tcpRun(t, r, 5*time.Second, func(stop func()) {
		fwd, err := ListenForward(r, 0, "127.0.0.1", "127.0.0.1", tcpFreePort(t))
		if err != nil {
			t.Fatal(err)
		}
		cf := ClientFactoryFor(func() Protocol {
			client = &tcpRecorder{onLost: func(*tcpRecorder) { fwd.StopListening(); stop() }}
			return client
		})
		ConnectTCP(r, "127.0.0.1", tcpPortOf(fwd), cf, 0)
	})
	if diff := cmp.Diff([]string{"made", "lost:done"}, client.events); diff != "" {
		t.Errorf("client events (-want +got):\n%s", diff)
	}
}
