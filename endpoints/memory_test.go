package endpoints_test

// Ports the endpoint tests of twisted/internet/test/test_endpoints.py that
// run on MemoryReactor: ClientEndpointTestCaseMixin and
// ServerEndpointTestCaseMixin for TCP4/TCP6/UNIX/SSL4, WrappingFactoryTests,
// WrappedIProtocolTests, ConnectProtocolTests, and the HostnameEndpoint
// classes that drive a deterministic resolver and MemoryReactorClock.

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/endpoints"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// recorder is a protocol noting its events.
type recorder struct {
	protocol.BaseProtocol
	events []string
}

func (p *recorder) ConnectionMade()                        { p.events = append(p.events, "made") }
func (p *recorder) DataReceived(b []byte)                  { p.events = append(p.events, "data:"+string(b)) }
func (p *recorder) ConnectionLost(reason *reactor.Failure) { p.events = append(p.events, "lost") }

type halfRecorder struct{ recorder }

func (p *halfRecorder) ReadConnectionLost()  { p.events = append(p.events, "readLost") }
func (p *halfRecorder) WriteConnectionLost() { p.events = append(p.events, "writeLost") }
func (p *halfRecorder) HandshakeCompleted()  { p.events = append(p.events, "handshake") }

// result returns what d fired with: its value, or its error.
func result(t *testing.T, d *reactor.Deferred) (any, error) {
	t.Helper()
	var v any
	var err error
	fired := false
	d.AddCallbacks(func(r any) (any, error) { v, fired = r, true; return nil, nil },
		func(f *reactor.Failure) (any, error) { err, fired = f, true; return nil, nil })
	if !fired {
		t.Fatal("the Deferred has not fired")
	}
	return v, err
}

func addr(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

// test_connect, test_endpointConnectSuccess: the Deferred fires with the
// factory's protocol once it is connected, after its ConnectionMade; the
// reactor was asked with the endpoint's arguments.
func TestClientEndpoint_ConnectSuccess(t *testing.T) {
	r := &unixReactor{}
	p := &recorder{}
	f := protocol.FactoryFor(func() protocol.Protocol { return p })
	for _, tc := range []struct {
		name string
		ep   endpoints.ClientEndpoint
		play func() protocol.Protocol
	}{
		{"TCP4", &endpoints.TCP4ClientEndpoint{Reactor: r, Host: "127.0.0.1", Port: 80, Opts: protocol.ConnectTCPOptions{Timeout: 10 * time.Second}},
			func() protocol.Protocol {
				c := r.TCPClients[len(r.TCPClients)-1]
				if c.Host != "127.0.0.1" || c.Port != 80 || c.Opts.Timeout != 10*time.Second {
					t.Errorf("ConnectTCP got %+v", c)
				}
				return c.MakeConnection(braidtest.NewStringTransport(nil, addr("127.0.0.1:80")))
			}},
		{"TCP6", &endpoints.TCP6ClientEndpoint{Reactor: r, Host: "::1", Port: 80},
			func() protocol.Protocol {
				c := r.TCPClients[len(r.TCPClients)-1]
				if c.Host != "::1" {
					t.Errorf("ConnectTCP host %q", c.Host)
				}
				return c.MakeConnection(braidtest.NewStringTransport(nil, addr("[::1]:80")))
			}},
		{"SSL4", &endpoints.SSL4ClientEndpoint{Reactor: r, Host: "127.0.0.1", Port: 443},
			func() protocol.Protocol {
				return r.SSLClients[len(r.SSLClients)-1].MakeConnection(braidtest.NewStringTransport(nil, addr("127.0.0.1:443")))
			}},
		{"UNIX", &endpoints.UNIXClientEndpoint{Reactor: r, Path: "/tmp/sock"},
			func() protocol.Protocol {
				if got := r.connects[len(r.connects)-1]; got != "/tmp/sock" {
					t.Errorf("ConnectUNIX %q", got)
				}
				w := r.unixFactories[len(r.unixFactories)-1].BuildProtocol(nil)
				protocol.Bind(w)
				w.MakeConnection(braidtest.NewStringTransport(nil, nil))
				return w
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.events = nil
			d := tc.ep.Connect(f)
			if d.Called() {
				t.Fatal("fired before the connection was made")
			}
			tc.play()
			v, err := result(t, d)
			if err != nil || v != p {
				t.Fatalf("Connect fired with %v, %v; want the protocol", v, err)
			}
			if d := cmp.Diff([]string{"made"}, p.events); d != "" {
				t.Errorf("events (-want +got):\n%s", d)
			}
		})
	}
}

// test_connectionFailed (ClientEndpointTestCaseMixin): a failed attempt
// fails the Deferred with the reactor's reason.
func TestClientEndpoint_ConnectFailure(t *testing.T) {
	r := &braidtest.RaisingMemoryReactor{ConnectErr: &protocol.ConnectionRefusedError{}}
	ep := &endpoints.TCP4ClientEndpoint{Reactor: r, Host: "127.0.0.1", Port: 80}
	_, err := result(t, ep.Connect(protocol.FactoryFor(func() protocol.Protocol { return &recorder{} })))
	if _, ok := errors.AsType[*protocol.ConnectionRefusedError](err); !ok {
		t.Errorf("Connect failed with %v, want the ConnectionRefusedError", err)
	}
}

// test_connectCancellation-style: cancelling the Deferred stops the
// attempt and fails with a ConnectingCancelledError naming the destination.
func TestClientEndpoint_Cancel(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	d := (&endpoints.TCP4ClientEndpoint{Reactor: r, Host: "127.0.0.1", Port: 80}).Connect(protocol.FactoryFor(func() protocol.Protocol { return &recorder{} }))
	d.Cancel()
	_, err := result(t, d)
	ce, ok := errors.AsType[*endpoints.ConnectingCancelledError](err)
	if !ok || ce.Address.String() != "127.0.0.1:80" {
		t.Errorf("cancelled Connect failed with %v", err)
	}
	if n := r.TCPClients[0].Connector.StopConnectingCalls; n != 1 {
		t.Errorf("StopConnecting called %d times, want 1", n)
	}
}

// WrappingFactoryTests.test_buildNoneProtocol and
// test_buildProtocolRaisesException: a factory that refuses, or panics,
// fails the Deferred.
func TestClientEndpoint_FactoryRefusesOrPanics(t *testing.T) {
	for name, build := range map[string]func() protocol.Protocol{
		"nil":   func() protocol.Protocol { return nil },
		"panic": func() protocol.Protocol { panic(errors.New("boom")) },
	} {
		t.Run(name, func(t *testing.T) {
			r := &braidtest.MemoryReactor{}
			d := (&endpoints.TCP4ClientEndpoint{Reactor: r, Host: "127.0.0.1", Port: 80}).Connect(protocol.FactoryFor(build))
			if got := r.TCPClients[0].MakeConnection(braidtest.NewStringTransport(nil, nil)); got != nil {
				t.Errorf("the wrapping factory returned %v, want nil", got)
			}
			_, err := result(t, d)
			if name == "nil" && !errors.Is(err, endpoints.ErrNoProtocol) || name == "panic" && (err == nil || err.Error() != "boom") {
				t.Errorf("Connect failed with %v", err)
			}
		})
	}
}

// WrappedIProtocolTests: the wrapper the transport sees passes data and
// the end on, and is half-closeable (and a handshake listener) only when
// the user's protocol is.
func TestClientEndpoint_WrapperPassesOn(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	for _, half := range []bool{false, true} {
		var p protocol.Protocol = &recorder{}
		if half {
			p = &halfRecorder{}
		}
		d := (&endpoints.TCP4ClientEndpoint{Reactor: r, Host: "127.0.0.1", Port: 80}).Connect(protocol.FactoryFor(func() protocol.Protocol { return p }))
		c := r.TCPClients[len(r.TCPClients)-1]
		w := c.Factory.BuildProtocol(nil)
		protocol.Bind(w)
		w.MakeConnection(braidtest.NewStringTransport(nil, nil))
		if _, err := result(t, d); err != nil {
			t.Fatal(err)
		}
		w.DataReceived([]byte("x"))
		hc, isHalf := w.(protocol.HalfCloseableProtocol)
		if isHalf != half {
			t.Errorf("wrapper half-closeable = %v, want %v", isHalf, half)
		}
		want := []string{"made", "data:x", "lost"}
		if half {
			hc.ReadConnectionLost()
			hc.WriteConnectionLost()
			w.(protocol.HandshakeListener).HandshakeCompleted()
			want = []string{"made", "data:x", "readLost", "writeLost", "handshake", "lost"}
		}
		w.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionDone))
		var got []string
		if half {
			got = p.(*halfRecorder).events
		} else {
			got = p.(*recorder).events
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("half=%v events (-want +got):\n%s", half, d)
		}
	}
}

// ConnectProtocolTests: ConnectProtocol connects the given protocol and
// fires with it.
func TestConnectProtocol(t *testing.T) {
	r := &braidtest.MemoryReactor{}
	p := &recorder{}
	d := endpoints.ConnectProtocol(&endpoints.TCP4ClientEndpoint{Reactor: r, Host: "127.0.0.1", Port: 80}, p)
	if got := r.TCPClients[0].Factory.BuildProtocol(nil); got == nil {
		t.Fatal("no protocol")
	} else {
		protocol.Bind(got)
		got.MakeConnection(braidtest.NewStringTransport(nil, nil))
	}
	if v, err := result(t, d); v != p || err != nil {
		t.Errorf("ConnectProtocol fired with %v, %v", v, err)
	}
}

// test_endpointListenSuccess, test_endpointListenFailure: Listen fires at
// once with the port, or with the reactor's error.
func TestServerEndpoint_Listen(t *testing.T) {
	r := &unixReactor{}
	f := protocol.FactoryFor(func() protocol.Protocol { return &recorder{} })
	for _, ep := range []endpoints.ServerEndpoint{
		&endpoints.TCP4ServerEndpoint{Reactor: r, Port: 80, Backlog: 5, Interface: "127.0.0.1"},
		&endpoints.TCP6ServerEndpoint{Reactor: r, Port: 80},
		&endpoints.SSL4ServerEndpoint{Reactor: r, Port: 443},
		&endpoints.UNIXServerEndpoint{Reactor: r, Address: "/tmp/s"},
	} {
		v, err := result(t, ep.Listen(f))
		if _, ok := v.(protocol.ListeningPort); !ok || err != nil {
			t.Errorf("%T.Listen fired with %v, %v", ep, v, err)
		}
	}
	if r.TCPServers[0].Opts != (protocol.ListenTCPOptions{Interface: "127.0.0.1", Backlog: 5}) || r.TCPServers[1].Opts.Interface != "::" ||
		len(r.SSLServers) != 1 || len(r.listens) != 1 {
		t.Errorf("recorded %+v %+v %v", r.TCPServers, r.SSLServers, r.listens)
	}
	want := errors.New("no")
	_, err := result(t, (&endpoints.TCP4ServerEndpoint{Reactor: &braidtest.RaisingMemoryReactor{ListenErr: want}}).Listen(f))
	if !errors.Is(err, want) {
		t.Errorf("failing Listen fired with %v", err)
	}
}

// resolver answers at once with addrs (or err), as the deterministic
// resolvers of the HostnameEndpoint tests do.
func resolver(err error, addrs ...string) endpoints.ResolveFunc {
	return func(host string, done func([]netip.Addr, error)) {
		var as []netip.Addr
		for _, a := range addrs {
			as = append(as, netip.MustParseAddr(a))
		}
		done(as, err)
	}
}

// HostnameEndpointsFasterConnectionTests, test_IPv4IsFaster and
// test_IPv6IsFaster, test_otherConnectionsCancelled: an attempt starts at
// once and the next one AttemptDelay later; the first to connect wins and
// the other is stopped.
func TestHostnameEndpoint_FirstToConnectWins(t *testing.T) {
	for _, winner := range []int{0, 1} {
		r := &braidtest.MemoryReactorClock{}
		p := &recorder{}
		ep := &endpoints.HostnameEndpoint{Reactor: r, Host: "www.example.com", Port: 80, Resolve: resolver(nil, "::1", "127.0.0.1")}
		d := ep.Connect(protocol.FactoryFor(func() protocol.Protocol { return p }))
		if n := len(r.TCPClients); n != 1 || r.TCPClients[0].Host != "::1" {
			t.Fatalf("attempts at once: %+v", r.TCPClients)
		}
		r.Advance(endpoints.DefaultAttemptDelay - time.Millisecond)
		if n := len(r.TCPClients); n != 1 {
			t.Fatalf("a second attempt before the delay")
		}
		r.Advance(time.Millisecond)
		if n := len(r.TCPClients); n != 2 || r.TCPClients[1].Host != "127.0.0.1" {
			t.Fatalf("attempts after the delay: %+v", r.TCPClients)
		}
		r.TCPClients[winner].MakeConnection(braidtest.NewStringTransport(nil, nil))
		if v, err := result(t, d); v != p || err != nil {
			t.Fatalf("Connect fired with %v, %v", v, err)
		}
		loser := r.TCPClients[1-winner].Connector
		if loser.StopConnectingCalls != 1 || r.TCPClients[winner].Connector.StopConnectingCalls != 0 {
			t.Errorf("winner %d: StopConnecting calls %d/%d", winner, r.TCPClients[0].Connector.StopConnectingCalls, r.TCPClients[1].Connector.StopConnectingCalls)
		}
		r.Advance(time.Hour)
		if len(r.TCPClients) != 2 || len(r.GetDelayedCalls()) != 0 {
			t.Errorf("attempts or timers left after the race: %d, %v", len(r.TCPClients), r.GetDelayedCalls())
		}
	}
}

// test_endpointConnectFailure, test_endpointConnectFailureAfterIteration:
// when every attempt fails, the Deferred fails with the last failure.
func TestHostnameEndpoint_AllFail(t *testing.T) {
	r := &braidtest.MemoryReactorClock{}
	ep := &endpoints.HostnameEndpoint{Reactor: r, Host: "example.com", Port: 80, Resolve: resolver(nil, "1.2.3.4", "1.2.3.5")}
	d := ep.Connect(protocol.FactoryFor(func() protocol.Protocol { return &recorder{} }))
	first, second := errors.New("first"), errors.New("second")
	c := r.TCPClients[0]
	c.Factory.ClientConnectionFailed(c.Connector, reactor.NewFailure(first))
	if len(r.TCPClients) != 1 || d.Called() {
		t.Fatal("a failure started the next attempt early, or ended the race")
	}
	r.Advance(endpoints.DefaultAttemptDelay)
	c = r.TCPClients[1]
	c.Factory.ClientConnectionFailed(c.Connector, reactor.NewFailure(second))
	if _, err := result(t, d); !errors.Is(err, second) {
		t.Errorf("Connect failed with %v, want the last failure", err)
	}
}

// HostnameEndpointsGAIFailureTests, test_nameResolution with no results,
// and cancellation: a resolver error or an empty answer is a
// DNSLookupError; cancelling while resolving is one too (as in Twisted);
// cancelling during the attempts stops them with a
// ConnectingCancelledError.
func TestHostnameEndpoint_ResolutionAndCancel(t *testing.T) {
	f := protocol.FactoryFor(func() protocol.Protocol { return &recorder{} })
	r := &braidtest.MemoryReactorClock{}
	for name, res := range map[string]endpoints.ResolveFunc{"error": resolver(errors.New("nxdomain")), "empty": resolver(nil)} {
		_, err := result(t, (&endpoints.HostnameEndpoint{Reactor: r, Host: "nope.example", Port: 80, Resolve: res}).Connect(f))
		if _, ok := errors.AsType[*endpoints.DNSLookupError](err); !ok {
			t.Errorf("%s: Connect failed with %v, want a DNSLookupError", name, err)
		}
	}
	var later func([]netip.Addr, error)
	d := (&endpoints.HostnameEndpoint{Reactor: r, Host: "slow.example", Port: 80, Resolve: func(h string, done func([]netip.Addr, error)) { later = done }}).Connect(f)
	d.Cancel()
	later([]netip.Addr{netip.MustParseAddr("1.2.3.4")}, nil) // ignored
	if _, err := result(t, d); !errors.Is(err, reactor.ErrCancelled) {
		t.Errorf("cancelled while resolving: %v", err)
	}
	if len(r.TCPClients) != 0 {
		t.Errorf("attempted after the cancel: %+v", r.TCPClients)
	}
	d = (&endpoints.HostnameEndpoint{Reactor: r, Host: "example.com", Port: 80, Resolve: resolver(nil, "1.2.3.4", "1.2.3.5")}).Connect(f)
	d.Cancel()
	_, err := result(t, d)
	if ce, ok := errors.AsType[*endpoints.ConnectingCancelledError](err); !ok || ce.Address.String() != "example.com:80" {
		t.Errorf("cancelled during attempts: %v", err)
	}
	if r.TCPClients[0].Connector.StopConnectingCalls != 1 {
		t.Error("the pending attempt was not stopped")
	}
	r.Advance(time.Hour)
	if len(r.TCPClients) != 1 {
		t.Error("a new attempt started after the cancel")
	}
}

// HostnameEndpointReprTests.
func TestHostnameEndpoint_String(t *testing.T) {
	for host, want := range map[string]string{"example.com": "<HostnameEndpoint example.com:80>", "::1": "<HostnameEndpoint [::1]:80>"} {
		if got := (&endpoints.HostnameEndpoint{Host: host, Port: 80}).String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
