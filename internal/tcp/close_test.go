//go:build unix

package tcp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// tcpHalfRecorder is a tcpRecorder that is also a HalfCloseableProtocol.
type tcpHalfRecorder struct {
	tcpRecorder
	onReadLost func(p *tcpHalfRecorder)
}

func (p *tcpHalfRecorder) ReadConnectionLost() {
	p.events = append(p.events, "readConnectionLost")
	if p.onReadLost != nil {
		p.onReadLost(p)
	}
}

func (p *tcpHalfRecorder) WriteConnectionLost() { p.events = append(p.events, "writeConnectionLost") }

// tcpPlainPeer runs f against a blocking net.Conn to addr in a goroutine and
// reports its error on the returned channel.
func tcpPlainPeer(port int, f func(c *net.TCPConn) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 30*time.Second) // a hang guard only
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		// Only a guard against a hang: on a loaded machine (-race, busy
		// neighbours) the reactor may take seconds to get to this peer.
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		done <- f(c.(*net.TCPConn))
	}()
	return done
}

// T-06: a peer that resets the connection (SO_LINGER 0, then close) while
// we read, or while we write, gives ConnectionLost wrapping ECONNRESET or
// EPIPE — never ConnectionDone — exactly once.
func TestTCP_PeerResetMidStream_T06(t *testing.T) {
	cases := []struct {
		name    string
		made    func(p *tcpRecorder) // server side
		peer    func(c *net.TCPConn) error
		errnoOK []error
	}{
		{
			name: "while reading",
			peer: func(c *net.TCPConn) error {
				if _, err := c.Write(bytes.Repeat([]byte("x"), 100_000)); err != nil {
					return err
				}
				time.Sleep(20 * time.Millisecond)
				_ = c.SetLinger(0)
				return nil
			},
			errnoOK: []error{syscall.ECONNRESET},
		},
		{
			name: "while writing",
			made: func(p *tcpRecorder) {
				p.Transport.Write(make([]byte, 32<<20)) // far more than the socket buffers hold
			},
			peer: func(c *net.TCPConn) error {
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err != nil {
					return err
				}
				_ = c.SetLinger(0)
				return nil
			},
			errnoOK: []error{syscall.ECONNRESET, syscall.EPIPE},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tcpReactor(t)
			var server *tcpRecorder
			var peerErr <-chan error
			testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
				var port *Port
				port = tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
					server = &tcpRecorder{onMade: tc.made, onLost: func(*tcpRecorder) { port.StopListening(); stop() }}
					return server
				}))
				peerErr = tcpPlainPeer(tcpPortOf(port), tc.peer)
			})
			if err := <-peerErr; err != nil {
				t.Fatalf("peer: %v", err)
			}
			if server.lost != 1 {
				t.Fatalf("ConnectionLost called %d times, want 1", server.lost)
			}
			if !errors.Is(server.reason, reactor.ErrConnectionLost) || errors.Is(server.reason, reactor.ErrConnectionDone) {
				t.Errorf("reason %v: want ConnectionLost, not ConnectionDone", server.reason)
			}
			matched := false
			for _, e := range tc.errnoOK {
				matched = matched || errors.Is(server.reason, e)
			}
			if !matched {
				t.Errorf("reason %v does not wrap any of %v", server.reason, tc.errnoOK)
			}
			if !strings.Contains(server.reason.Error(), "TCP connection 127.0.0.1:") {
				t.Errorf("reason %q does not name the connection", server.reason.Error())
			}
		})
	}
}

// T-05: LoseConnection sends every buffered byte before closing; the peer
// gets them all, then ConnectionDone (E-17, with more than the (shrunk)
// socket buffers can hold so that the transport's own buffer is exercised).
func TestTCP_LoseConnectionFlushesBuffer_T05(t *testing.T) {
	const size = 2 << 20
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	r := tcpReactor(t)
	var client *tcpRecorder
	var server *tcpRecorder
	bufferedAtClose := 0
	testkit.RunUntil(t, r, 20*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
			server = &tcpRecorder{onMade: func(p *tcpRecorder) {
				smallSocketBuffers(t, p.Transport.(*Conn))
				p.Transport.Write(payload)
				bufferedAtClose = p.Transport.(*Conn).Buffered()
				p.Transport.LoseConnection()
				p.Transport.LoseConnection() // a second call changes nothing
			}}
			return server
		}))
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			client = &tcpRecorder{
				onMade: func(p *tcpRecorder) { smallSocketBuffers(t, p.Transport.(*Conn)) },
				onLost: func(*tcpRecorder) { port.StopListening(); stop() }}
			return client
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
	})
	if bufferedAtClose == 0 {
		t.Errorf("nothing was buffered when LoseConnection was called; the test does not exercise the buffer")
	}
	if len(client.data) != size || !bytes.Equal(client.data, payload) {
		t.Fatalf("client got %d bytes (intact: %v), want all %d", len(client.data), bytes.Equal(client.data, payload), size)
	}
	for name, p := range map[string]*tcpRecorder{"client": client, "server": server} {
		if p.lost != 1 || !errors.Is(p.reason, reactor.ErrConnectionDone) {
			t.Errorf("%s: ConnectionLost x%d, reason %v; want once, ConnectionDone", name, p.lost, p.reason)
		}
	}
}

// T-05, E-17: AbortConnection drops the buffer; locally ConnectionAborted,
// at the peer ConnectionLost.
func TestTCP_AbortConnection_T05(t *testing.T) {
	r := tcpReactor(t)
	var client, server *tcpRecorder
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
			server = &tcpRecorder{onMade: func(p *tcpRecorder) {
				p.Transport.(protocol.TCPTransport).AbortConnection()
				p.Transport.(protocol.TCPTransport).AbortConnection()
				p.Transport.LoseConnection()
			}}
			return server
		}))
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			client = &tcpRecorder{onLost: func(*tcpRecorder) { port.StopListening(); stop() }}
			return client
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
	})
	if diff := cmp.Diff([]string{"made", "lost:aborted"}, server.events); diff != "" {
		t.Errorf("server events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"made", "lost:lost"}, client.events); diff != "" {
		t.Errorf("client events (-want +got):\n%s", diff)
	}
}

// Half-close: LoseWriteConnection shuts our writing side once the buffer is
// sent; a HalfCloseableProtocol peer gets ReadConnectionLost and can still
// answer; a plain protocol gets ConnectionLost(ConnectionDone) at EOF.
func TestTCP_HalfClose(t *testing.T) {
	cases := []struct {
		name         string
		halfServer   bool
		serverEvents []string
		clientEvents []string
		clientData   string
	}{
		{
			name:         "half-closeable server answers after EOF",
			halfServer:   true,
			serverEvents: []string{"made", "data", "readConnectionLost", "lost:done"},
			clientEvents: []string{"made", "writeConnectionLost", "data", "readConnectionLost", "lost:done"},
			clientData:   "pong",
		},
		{
			name:         "plain server loses the connection at EOF",
			serverEvents: []string{"made", "data", "lost:done"},
			clientEvents: []string{"made", "writeConnectionLost", "readConnectionLost", "lost:done"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tcpReactor(t)
			var server *tcpRecorder
			var client *tcpHalfRecorder
			var serverData string
			testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
				port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
					if tc.halfServer {
						h := &tcpHalfRecorder{onReadLost: func(p *tcpHalfRecorder) {
							p.Transport.Write([]byte("pong"))
							p.Transport.Write([]byte("")) // empty writes are ignored
							p.Transport.LoseConnection()
						}}
						server = &h.tcpRecorder
						return h
					}
					server = &tcpRecorder{}
					return server
				}))
				cf := protocol.ClientFactoryFor(func() protocol.Protocol {
					client = &tcpHalfRecorder{onReadLost: func(p *tcpHalfRecorder) { p.Transport.LoseConnection() }}
					client.onMade = func(p *tcpRecorder) {
						p.Transport.Write([]byte("ping"))
						p.Transport.(protocol.TCPTransport).LoseWriteConnection()
						p.Transport.(protocol.TCPTransport).LoseWriteConnection()
					}
					client.onLost = func(*tcpRecorder) { port.StopListening(); stop() }
					return client
				})
				Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
			})
			serverData = string(server.data)
			if serverData != "ping" || string(client.data) != tc.clientData {
				t.Errorf("server got %q, client got %q; want ping, %q", serverData, client.data, tc.clientData)
			}
			if diff := cmp.Diff(tc.serverEvents, server.events); diff != "" {
				t.Errorf("server events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.clientEvents, client.events); diff != "" {
				t.Errorf("client events (-want +got):\n%s", diff)
			}
		})
	}
}

// T-02, E-17: BuildProtocol returning nil closes the accepted socket; the
// client still connects (ClientCreator fires) and then gets ConnectionDone.
func TestTCP_BuildProtocolNilClosesSocket_T02(t *testing.T) {
	r := tcpReactor(t)
	var client *tcpRecorder
	var fired any
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol { return nil }))
		cc := tcpClientCreator(r, func() protocol.Protocol {
			client = &tcpRecorder{onLost: func(*tcpRecorder) { port.StopListening(); stop() }}
			return client
		})
		cc.ConnectTCP("127.0.0.1", tcpPortOf(port), protocol.ConnectTCPOptions{}).AddBoth(func(v any) (any, error) { fired = v; return nil, nil })
	})
	if fired != protocol.Protocol(client) {
		t.Errorf("ClientCreator fired with %v, want the protocol", fired)
	}
	if diff := cmp.Diff([]string{"made", "lost:done"}, client.events); diff != "" {
		t.Errorf("client events (-want +got):\n%s", diff)
	}
}

// stopping the reactor tells every open connection and port
// ConnectionLost and closes their sockets.
func TestTCP_ReactorShutdownDisconnectsAll_R13(t *testing.T) {
	before := tcpOpenFDs(t)
	r := tcpReactor(t)
	var client, server *tcpRecorder
	var names []string
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol { server = &tcpRecorder{}; return server }))
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			client = &tcpRecorder{onMade: func(*tcpRecorder) {
				r.CallLater(20*time.Millisecond, func() {
					for _, rd := range r.GetReaders() {
						names = append(names, rd.(interface{ String() string }).String())
					}
					stop()
				})
			}}
			return client
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
	})
	if len(names) != 3 {
		t.Errorf("readers before shutdown: %q, want the port and two connections", names)
	}
	for name, p := range map[string]*tcpRecorder{"client": client, "server": server} {
		if diff := cmp.Diff([]string{"made", "lost:lost"}, p.events); diff != "" {
			t.Errorf("%s events (-want +got):\n%s", name, diff)
		}
	}
	if after := tcpOpenFDs(t); after != before {
		t.Errorf("open descriptors %d before, %d after shutdown", before, after)
	}
}

// tcpKeeper keeps every slice DataReceived gives it, without copying
// (unless its connection reuses the read buffer, see reuse).
type tcpKeeper struct {
	protocol.BaseProtocol
	kept     [][]byte
	reuse    bool // the port sets TCPConnOptions.ReuseReadBuffer
	scribble bool // append junk to every slice it keeps
	opts     protocol.TCPConnOptions
	onEnd    func()
}

// ConnectionMade notes the options the connection was made with.
func (k *tcpKeeper) ConnectionMade() { k.opts = k.Transport.(*Conn).opts }
func (k *tcpKeeper) DataReceived(b []byte) {
	if k.reuse {
		b = append([]byte(nil), b...) // the promise ReuseReadBuffer asks for
	}
	k.kept = append(k.kept, b)
	if n := len(k.kept); k.scribble && n > 1 {
		// The slices are ours: growing the previous one must not write
		// into the memory this read was given.
		_ = append(k.kept[n-2], tcpJunk...)
	}
}

// tcpJunk is what the keeper appends: longer than any spare capacity a read
// slice could reach into the next read's memory with, short enough that
// thousands of appends stay quick under -race.
var tcpJunk = bytes.Repeat([]byte{0xEE}, 4<<10)

func (k *tcpKeeper) ConnectionLost(*reactor.Failure) { k.onEnd() }

// docs/DESIGN.md §2: a slice handed to DataReceived is the receiver's to keep —
// later reads never overwrite it, whatever the read sizes, and appending to
// it never overwrites a later read. With ReuseReadBuffer (the protocol
// copies) the bytes are equally intact.
func TestTCP_DataReceivedSliceIsTheReceiversToKeep(t *testing.T) {
	// Twice slabSize: reads cross from one slab to the next.
	payload := make([]byte, 2*slabSize+12345)
	for i := range payload {
		payload[i] = byte(i * 31 / 7)
	}
	cases := []struct {
		reuse    bool
		bufSize  int // bounds the read size: both sides of slabMinRead
		scribble bool
	}{{false, 0, false}, {false, slabMinRead + 1000, false}, {false, 1000, false}, {false, 0, true}, {false, 1000, true}, {true, 0, false}}
	for _, tc := range cases {
		reuse := tc.reuse
		t.Run(fmt.Sprintf("ReuseReadBuffer=%v,BufferSize=%d,append=%v", tc.reuse, tc.bufSize, tc.scribble), func(t *testing.T) {
			r := tcpReactor(t)
			var k *tcpKeeper
			conn := protocol.TCPConnOptions{ReuseReadBuffer: reuse, BufferSize: tc.bufSize}
			// The limit only catches a hang: on a busy machine under -race
			// some 2,000 small reads take seconds.
			testkit.RunUntil(t, r, 2*time.Minute, func(stop func()) {
				var port *Port
				port = tcpListenWith(t, r, protocol.FactoryFor(func() protocol.Protocol {
					k = &tcpKeeper{reuse: reuse, scribble: tc.scribble, onEnd: func() { port.StopListening(); stop() }}
					return k
				}), conn)
				cf := protocol.ClientFactoryFor(func() protocol.Protocol {
					return &tcpRecorder{onMade: func(p *tcpRecorder) {
						// Chunks of many sizes, so reads are small and large.
						for off, size := 0, 1; off < len(payload); size = (size*3 + 1) % (200 << 10) {
							end := min(off+size+1, len(payload))
							p.Transport.Write(payload[off:end])
							off = end
						}
						p.Transport.LoseConnection()
					}}
				})
				Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
			})
			if k.opts != conn {
				t.Errorf("connection made with %+v, want %+v", k.opts, conn)
			}
			got := bytes.Join(k.kept, nil)
			if !bytes.Equal(got, payload) {
				t.Fatalf("kept slices joined: %d bytes, intact %v; want the %d bytes sent", len(got), bytes.Equal(got, payload), len(payload))
			}
			t.Logf("%d reads", len(k.kept))
		})
	}
}
