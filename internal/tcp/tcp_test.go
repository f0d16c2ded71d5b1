//go:build unix

package tcp

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// tcpCountingFactory records StartFactory/StopFactory (T-03).
type tcpCountingFactory struct {
	protocol.BaseFactory
	trace *[]string
}

func (f *tcpCountingFactory) StartFactory() { *f.trace = append(*f.trace, "startFactory") }
func (f *tcpCountingFactory) StopFactory()  { *f.trace = append(*f.trace, "stopFactory") }

// The E-16 scenario end to end: tcpEcho server, ClientCreator client writing
// "te" then "st\n", ConnectionMade before the Deferred fires (T-08), both
// sides ConnectionDone, StopFactory before the StopListening Deferred.
func TestTCP_EchoThroughClientCreator_T01_T03_T08(t *testing.T) {
	r := tcpReactor(t)
	var trace []string
	var server *tcpEcho
	f := &tcpCountingFactory{trace: &trace}
	f.Protocol = func() protocol.Protocol { server = &tcpEcho{}; return server }
	var client *tcpRecorder
	var stopDeferredFired bool
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		port := tcpListen(t, r, f)
		cc := tcpClientCreator(r, func() protocol.Protocol {
			client = &tcpRecorder{}
			client.onMade = func(p *tcpRecorder) {
				trace = append(trace, "client connectionMade")
				p.Transport.Write([]byte("te"))
				p.Transport.Write([]byte("st\n"))
			}
			client.onData = func(p *tcpRecorder, b []byte) {
				if string(p.data) == "test\n" {
					trace = append(trace, "client got test")
					p.Transport.LoseConnection()
				}
			}
			client.onLost = func(p *tcpRecorder) {
				trace = append(trace, "client connectionLost "+testkit.ReasonKind(p.reason))
				d := port.StopListening()
				d.AddCallback(func(v any) (any, error) {
					trace = append(trace, "stopListening fired")
					stopDeferredFired = v == nil
					if again := port.StopListening(); again != nil {
						t.Errorf("second StopListening returned %v, want nil (T-04)", again)
					}
					stop()
					return nil, nil
				})
			}
			return client
		})
		d := cc.ConnectTCP("127.0.0.1", tcpPortOf(port), protocol.ConnectTCPOptions{})
		d.AddCallback(func(v any) (any, error) {
			trace = append(trace, "deferred fired")
			if v != protocol.Protocol(client) {
				t.Errorf("Deferred fired with %v, want the client protocol", v)
			}
			return nil, nil
		})
		d.AddErrback(func(f *reactor.Failure) (any, error) { t.Errorf("connect failed: %v", f); stop(); return nil, nil })
	})
	want := []string{
		"startFactory", "client connectionMade", "deferred fired", "client got test",
		"client connectionLost done", "stopFactory", "stopListening fired",
	}
	if diff := cmp.Diff(want, trace); diff != "" {
		t.Errorf("event trace (-want +got):\n%s", diff)
	}
	if !stopDeferredFired {
		t.Error("StopListening's Deferred did not fire with nil")
	}
	if client.Factory != nil {
		t.Errorf("ClientCreator protocol has Factory %v, want nil (T-08)", client.Factory)
	}
	if server == nil || server.Factory != protocol.Factory(f) {
		t.Errorf("server protocol's Factory = %v, want the listening factory (T-02)", server)
	}
	if client.lost != 1 {
		t.Errorf("client ConnectionLost called %d times, want 1", client.lost)
	}
}

// T-07, T-09, T-10: the protocol is built at once; a refused attempt
// errbacks on a later pass with a ConnectionRefusedError matching
// ECONNREFUSED.
func TestClientCreator_RefusedConnection_T07_T09_T10(t *testing.T) {
	r := tcpReactor(t)
	port := testkit.FreePort(t)
	built := 0
	var got *reactor.Failure
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		cc := tcpClientCreator(r, func() protocol.Protocol { built++; return &tcpRecorder{} })
		d := cc.ConnectTCP("127.0.0.1", port, protocol.ConnectTCPOptions{Timeout: time.Second})
		if built != 1 {
			t.Errorf("protocol built %d times before any connect result, want 1 (T-07)", built)
		}
		if d.Called() {
			t.Error("Deferred fired synchronously; Twisted fires it via callLater(0) (T-09)")
		}
		d.AddCallbacks(func(v any) (any, error) {
			t.Errorf("connected to a port nobody listens on: %v", v)
			stop()
			return nil, nil
		}, func(f *reactor.Failure) (any, error) { got = f; stop(); return nil, nil })
	})
	if got == nil {
		t.Fatal("no failure")
	}
	refused, ok := errors.AsType[*protocol.ConnectionRefusedError](got)
	if !ok {
		t.Fatalf("failure %v (%T) is not a ConnectionRefusedError", got, got.Value())
	}
	if _, ok := errors.AsType[*protocol.ConnectError](got); !ok || !errors.Is(got, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(ECONNREFUSED)/errors.As(*ConnectError) false for %v", got)
	}
	if refused.OSError != syscall.ECONNREFUSED {
		t.Errorf("OSError = %v, want ECONNREFUSED (111)", refused.OSError)
	}
	if want := "127.0.0.1:" + strconv.Itoa(port); !strings.Contains(got.Error(), want) {
		t.Errorf("message %q does not name %s", got.Error(), want)
	}
}

// tcpStuckListener returns a loopback port whose accept queue is full, so a
// further connect hangs in SYN-SENT (the kernel drops the SYNs).
func tcpStuckListener(t *testing.T) int {
	t.Helper()
	fd, err := newStreamSocket(unix.AF_INET)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	port := sa.(*unix.SockaddrInet4).Port
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
		if err != nil {
			return port // the queue is full: this one timed out
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatalf("could not fill the accept queue of port %d", port)
	return 0
}

// T-09: no connect within the timeout gives error.TimeoutError.
func TestClientCreator_Timeout_T09(t *testing.T) {
	port := tcpStuckListener(t)
	r := tcpReactor(t)
	var got *reactor.Failure
	start := time.Now()
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		d := tcpClientCreator(r, func() protocol.Protocol { return &tcpRecorder{} }).ConnectTCP("127.0.0.1", port, protocol.ConnectTCPOptions{Timeout: 150 * time.Millisecond})
		d.AddBoth(func(v any) (any, error) { got, _ = v.(*reactor.Failure); stop(); return nil, nil })
	})
	if _, ok := errors.AsType[*protocol.TimeoutError](got); !ok {
		t.Fatalf("got %v, want a *protocol.TimeoutError", got)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("timed out after %v, before the 150ms timeout", el)
	}
}

// E-17: cancelling the Deferred stops the attempt with CancelledError and
// leaves no descriptor or timed call behind.
func TestClientCreator_CancelAbortsAttempt_E17(t *testing.T) {
	cases := []struct {
		name  string
		port  func(t *testing.T) int
		delay time.Duration
	}{
		{"before connect(2)", tcpStuckListener, 0},
		{"while in SYN-SENT", tcpStuckListener, 20 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port := tc.port(t)
			r := tcpReactor(t)
			var got *reactor.Failure
			var proto *tcpRecorder
			testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
				d := tcpClientCreator(r, func() protocol.Protocol { proto = &tcpRecorder{}; return proto }).ConnectTCP("127.0.0.1", port, protocol.ConnectTCPOptions{})
				d.AddBoth(func(v any) (any, error) { got, _ = v.(*reactor.Failure); return nil, nil })
				cancel := func() {
					d.Cancel()
					r.CallLater(10*time.Millisecond, func() {
						if n := len(r.GetReaders()) + len(r.GetWriters()); n != 0 {
							t.Errorf("%d descriptors still registered after cancel", n)
						}
						if n := len(r.GetDelayedCalls()); n != 1 { // tcpRun's limit
							t.Errorf("%d delayed calls left after cancel: %v", n-1, r.GetDelayedCalls())
						}
						stop()
					})
				}
				if tc.delay == 0 {
					cancel()
				} else {
					r.CallLater(tc.delay, cancel)
				}
			})
			if got == nil || !errors.Is(got, reactor.ErrCancelled) {
				t.Fatalf("got %v, want CancelledError", got)
			}
			if len(proto.events) != 0 {
				t.Errorf("protocol saw %v, want nothing", proto.events)
			}
		})
	}
}

// Cancelling after the connection is made but before the Deferred has fired
// (from ConnectionMade, T-08) drops the connection: the protocol sees it
// made and lost, the Deferred fails with CancelledError — Twisted's "very
// unlikely case" in ClientCreator's docstring.
func TestClientCreator_CancelAfterConnect_T08(t *testing.T) {
	r := tcpReactor(t)
	var got any
	var proto *tcpRecorder
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }))
		var d *reactor.Deferred
		d = tcpClientCreator(r, func() protocol.Protocol {
			proto = &tcpRecorder{
				onMade: func(*tcpRecorder) { d.Cancel() },
				onLost: func(*tcpRecorder) { port.StopListening(); stop() },
			}
			return proto
		}).ConnectTCP("127.0.0.1", tcpPortOf(port), protocol.ConnectTCPOptions{})
		d.AddBoth(func(v any) (any, error) { got = v; return nil, nil })
	})
	if f, ok := got.(*reactor.Failure); !ok || !errors.Is(f, reactor.ErrCancelled) {
		t.Errorf("Deferred result %v, want CancelledError", got)
	}
	if diff := cmp.Diff([]string{"made", "lost:done"}, proto.events); diff != "" {
		t.Errorf("protocol events (-want +got):\n%s", diff)
	}
}

// T-04: a port in use, or a bad interface, fails synchronously with
// *CannotListenError naming interface and port.
func TestListenTCP_CannotListen_T04(t *testing.T) {
	r := tcpReactor(t)
	defer r.Close()
	var trace []string
	f := &tcpCountingFactory{trace: &trace}
	p := tcpListen(t, r, f)
	busy := tcpPortOf(p)
	cases := []struct {
		name  string
		port  int
		iface string
		is    error
	}{
		{"address in use", busy, "127.0.0.1", syscall.EADDRINUSE},
		{"not an IP", 0, "localhost.invalid", nil},
		{"port out of range", 70000, "127.0.0.1", nil},
		{"address not local", 0, "192.0.2.1", syscall.EADDRNOTAVAIL},
	}
	for _, tc := range cases {
		_, err := Listen(r, tc.port, &tcpCountingFactory{trace: &trace}, protocol.ListenTCPOptions{Interface: tc.iface})
		cle, ok := errors.AsType[*protocol.CannotListenError](err)
		if !ok {
			t.Errorf("%s: err = %v, want *CannotListenError", tc.name, err)
			continue
		}
		if cle.Port != tc.port || cle.Interface != tc.iface {
			t.Errorf("%s: error names %s:%d", tc.name, cle.Interface, cle.Port)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v does not match %v", tc.name, err, tc.is)
		}
	}
	if diff := cmp.Diff([]string{"startFactory"}, trace); diff != "" {
		t.Errorf("factory trace (-want +got):\n%s", diff)
	}
	p.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionDone))
}

// T-03: DoStart/DoStop count ports: StartFactory on the first, StopFactory
// when the last stops.
func TestFactory_StartStopCountsPorts_T03(t *testing.T) {
	r := tcpReactor(t)
	var trace []string
	f := &tcpCountingFactory{trace: &trace}
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		p1 := tcpListen(t, r, f)
		p2 := tcpListen(t, r, f)
		trace = append(trace, "two listening")
		p1.StopListening().AddCallback(func(any) (any, error) {
			trace = append(trace, "p1 stopped")
			p2.StopListening().AddCallback(func(any) (any, error) {
				trace = append(trace, "p2 stopped")
				stop()
				return nil, nil
			})
			return nil, nil
		})
	})
	want := []string{"startFactory", "two listening", "p1 stopped", "stopFactory", "p2 stopped"}
	if diff := cmp.Diff(want, trace); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// Echo over IPv4 and IPv6 loopback with a plain ClientFactory; addresses
// and descriptor names are right.
func TestTCP_EchoIPv4AndIPv6_T01(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			r := tcpReactor(t)
			var client *tcpRecorder
			var names []string
			testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
				port, err := Listen(r, 0, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }), protocol.ListenTCPOptions{Interface: host})
				if err != nil {
					t.Fatalf("Listen(%s): %v", host, err)
				}
				names = append(names, port.String())
				cf := protocol.ClientFactoryFor(func() protocol.Protocol {
					client = &tcpRecorder{}
					client.onMade = func(p *tcpRecorder) {
						c := p.Transport.(*Conn)
						names = append(names, c.String())
						if c.GetPeer().String() != port.GetHost().String() {
							t.Errorf("client peer %v, want %v", c.GetPeer(), port.GetHost())
						}
						p.Transport.WriteSequence([][]byte{[]byte("hel"), nil, []byte("lo")})
					}
					client.onData = func(p *tcpRecorder, _ []byte) {
						if len(p.data) == 5 {
							p.Transport.LoseConnection()
						}
					}
					client.onLost = func(*tcpRecorder) { port.StopListening(); stop() }
					return client
				})
				Connect(r, host, tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
			})
			if string(client.data) != "hello" {
				t.Errorf("echoed %q, want %q", client.data, "hello")
			}
			if len(names) != 2 || !tcpContains(names[0], "TCP port ") || !tcpContains(names[1], "TCP connection ") || !tcpContains(names[1], " -> ") {
				t.Errorf("descriptor names %q", names)
			}
		})
	}
}

// Socket options round-trip through the transport.
func TestTCP_SocketOptions(t *testing.T) {
	r := tcpReactor(t)
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }))
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			return &tcpRecorder{onMade: func(p *tcpRecorder) {
				c := p.Transport.(protocol.TCPTransport)
				for _, on := range []bool{true, false} {
					if err := c.SetTCPNoDelay(on); err != nil {
						t.Error(err)
					}
					if got, err := c.GetTCPNoDelay(); err != nil || got != on {
						t.Errorf("GetTCPNoDelay = %v, %v; want %v", got, err, on)
					}
					if err := c.SetTCPKeepAlive(on); err != nil {
						t.Error(err)
					}
					if got, err := c.GetTCPKeepAlive(); err != nil || got != on {
						t.Errorf("GetTCPKeepAlive = %v, %v; want %v", got, err, on)
					}
				}
				p.Transport.LoseConnection()
			}, onLost: func(p *tcpRecorder) {
				if err := p.Transport.(protocol.TCPTransport).SetTCPNoDelay(true); err == nil {
					t.Error("SetTCPNoDelay on a closed connection succeeded")
				}
				port.StopListening()
				stop()
			}}
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
	})
}

// Bad input to Connect arrives as ClientConnectionFailed, never a panic.
func TestConnectTCP_BadInput(t *testing.T) {
	cases := []struct {
		host string
		port int
	}{
		{"127.0.0.1", -1},
		{"127.0.0.1", 65536},
		{"", 80},
		{"name.invalid", 80},
	}
	for _, tc := range cases {
		r := tcpReactor(t)
		var reason *reactor.Failure
		testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
			f := &tcpFailFactory{onFail: func(f *reactor.Failure) { reason = f; stop() }}
			f.Protocol = func() protocol.Protocol { return &tcpRecorder{} }
			Connect(r, tc.host, tc.port, f, protocol.ConnectTCPOptions{Timeout: time.Second})
		})
		if _, ok := errors.AsType[*protocol.ConnectError](reason); reason == nil || !ok {
			t.Errorf("Connect(%q, %d): failure %v, want a ConnectError", tc.host, tc.port, reason)
		}
	}
}

type tcpFailFactory struct {
	protocol.BaseClientFactory
	onFail func(*reactor.Failure)
}

func (f *tcpFailFactory) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	f.onFail(reason)
}

// tcpRetryFactory reconnects from ClientConnectionFailed until tries run
// out, recording the factory's start and stop (T-03 for connectors).
type tcpRetryFactory struct {
	protocol.BaseClientFactory
	tries int
	trace []string
	done  func()
}

func (f *tcpRetryFactory) StartFactory() { f.trace = append(f.trace, "startFactory") }
func (f *tcpRetryFactory) StopFactory()  { f.trace = append(f.trace, "stopFactory") }
func (f *tcpRetryFactory) StartedConnecting(c protocol.Connector) {
	f.trace = append(f.trace, "startedConnecting "+string(c.(*Connector).State()))
}
func (f *tcpRetryFactory) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	f.trace = append(f.trace, "failed "+string(c.(*Connector).State()))
	if f.tries--; f.tries > 0 {
		if err := c.Connect(); err != nil {
			f.trace = append(f.trace, "connect: "+err.Error())
		}
		return
	}
	f.done()
}

// A connector may Connect again from ClientConnectionFailed; the factory is
// started once and stopped once, after the last failure (T-03). Connect on
// a connector that is connecting is refused.
func TestConnector_ReconnectFromClientConnectionFailed_T03(t *testing.T) {
	r := tcpReactor(t)
	f := &tcpRetryFactory{tries: 3}
	f.Protocol = func() protocol.Protocol { return &tcpRecorder{} }
	var again error
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		f.done = func() { r.CallLater(0, stop) }
		c := Connect(r, "127.0.0.1", testkit.FreePort(t), f, protocol.ConnectTCPOptions{})
		again = c.Connect()
	})
	want := []string{
		"startFactory", "startedConnecting connecting",
		"failed disconnected", "startedConnecting connecting",
		"failed disconnected", "startedConnecting connecting",
		"failed disconnected", "stopFactory",
	}
	if diff := cmp.Diff(want, f.trace); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if again != protocol.ErrAlreadyConnecting {
		t.Errorf("Connect while connecting: %v, want protocol.ErrAlreadyConnecting", again)
	}
}

// ConnectTCPOptions.BindAddress binds the client socket before connecting.
func TestConnectTCP_BindAddress(t *testing.T) {
	r := tcpReactor(t)
	bindPort := testkit.FreePort(t)
	var host net.Addr
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }))
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			return &tcpRecorder{onMade: func(p *tcpRecorder) {
				host = p.Transport.GetHost()
				p.Transport.LoseConnection()
			}, onLost: func(*tcpRecorder) { port.StopListening(); stop() }}
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{BindAddress: &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: bindPort}})
	})
	if want := "127.0.0.1:" + strconv.Itoa(bindPort); host == nil || host.String() != want {
		t.Errorf("client bound to %v, want %s", host, want)
	}
}
