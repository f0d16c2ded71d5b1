//go:build unix

package tcp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// tcpPingServer answers "a" with "A" and then does what then says with
// "b"; it records whether its writer was presumed writable (not
// registered with the poller) when it wrote "B".
type tcpPingServer struct {
	protocol.BaseProtocol
	r        *reactor.Reactor
	then     func(s *tcpPingServer)
	presumed bool
	end      string
}

func (s *tcpPingServer) ConnectionLost(f *reactor.Failure) { s.end = "lost:" + testkit.ReasonKind(f) }

func (s *tcpPingServer) DataReceived(b []byte) {
	switch string(b) {
	case "a":
		s.Transport.Write([]byte("A"))
	case "b":
		s.then(s)
	}
}

func (s *tcpPingServer) writeB() {
	s.presumed = s.Transport.(*Conn).WritablePresumed()
	s.Transport.Write([]byte("B"))
}

// T-05, E-17: a connection whose kernel buffer has room is not registered
// with the poller for writing (WritablePresumed), yet what it sends, and
// on which pass, is what Twisted's FileDescriptor does: bytes written from
// DataReceived go out no sooner than the next poll, so an AbortConnection
// from a CallLater(0) drops them; bytes written from a timed call go out
// on that pass's poll. Each case was run under Twisted 22.4 (client events
// as below, the server ConnectionAborted or ConnectionDone).
func TestTCP_QueuedWriteSentWhenTwistedWould_T05(t *testing.T) {
	cases := []struct {
		name       string
		then       func(s *tcpPingServer)
		wantData   string
		wantClient []string
		wantServer string
	}{{
		name: "write in DataReceived, abort from CallLater(0)",
		then: func(s *tcpPingServer) {
			s.writeB()
			s.r.CallLater(0, s.Transport.(protocol.TCPTransport).AbortConnection)
		},
		wantData:   "A",
		wantClient: []string{"made", "data", "lost:lost"},
		wantServer: "lost:aborted",
	}, {
		name: "write in a CallLater(0), abort from the next CallLater(0)",
		then: func(s *tcpPingServer) {
			s.r.CallLater(0, func() {
				s.writeB()
				s.r.CallLater(0, s.Transport.(protocol.TCPTransport).AbortConnection)
			})
		},
		wantData:   "AB",
		wantClient: []string{"made", "data", "lost:lost"},
		wantServer: "lost:aborted",
	}, {
		name: "write in DataReceived, then LoseConnection",
		then: func(s *tcpPingServer) {
			s.writeB()
			s.Transport.LoseConnection()
		},
		wantData:   "AB",
		wantClient: []string{"made", "data", "lost:done"},
		wantServer: "lost:done",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tcpReactor(t)
			var server *tcpPingServer
			var client *tcpRecorder
			testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
				port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
					server = &tcpPingServer{r: r, then: tc.then}
					return server
				}))
				cf := protocol.ClientFactoryFor(func() protocol.Protocol {
					client = &tcpRecorder{
						onMade: func(p *tcpRecorder) { p.Transport.Write([]byte("a")) },
						onData: func(p *tcpRecorder, b []byte) {
							if string(p.data) == "A" {
								p.Transport.Write([]byte("b"))
							}
						},
						onLost: func(*tcpRecorder) { port.StopListening(); stop() },
					}
					return client
				})
				Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
			})
			if !server.presumed {
				t.Fatalf("the server's writer was not presumed writable when it wrote B: the test did not exercise it")
			}
			if got, want := string(client.data), tc.wantData; got != want {
				t.Errorf("client received %q, want %q", got, want)
			}
			if diff := cmp.Diff(tc.wantClient, client.events); diff != "" {
				t.Errorf("client events (-want +got):\n%s", diff)
			}
			if server.end != tc.wantServer {
				t.Errorf("server ended with %q, want %q", server.end, tc.wantServer)
			}
		})
	}
}

// A writer is dropped once its buffer drains, so an idle connection leaves
// the reactor free to block, and GetWriters is as in Twisted once nothing
// is queued.
func TestTCP_IdleConnectionStopsWriting(t *testing.T) {
	r := tcpReactor(t)
	var writers []reactor.WriteDescriptor
	var client *tcpRecorder
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }))
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			client = &tcpRecorder{
				onMade: func(p *tcpRecorder) { p.Transport.Write([]byte("ping")) },
				onData: func(p *tcpRecorder, b []byte) {
					if string(p.data) != "ping" {
						return
					}
					// Both ends just wrote; after a pause with nothing
					// to send, neither may still be a writer.
					r.CallLater(20*time.Millisecond, func() {
						writers = r.GetWriters()
						p.Transport.LoseConnection()
					})
				},
				onLost: func(*tcpRecorder) { port.StopListening(); stop() },
			}
			return client
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
	})
	if string(client.data) != "ping" {
		t.Fatalf("client got %q, want the echo", client.data)
	}
	if len(writers) != 0 {
		t.Errorf("registered writers after 20 ms idle: %v, want none", writers)
	}
}
