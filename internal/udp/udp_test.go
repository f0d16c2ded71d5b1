//go:build unix

package udp

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Ports test_udp's test_startStop and test_stopProtocolScheduling:
// StartProtocol runs inside ListenUDP; after StopListening, StopProtocol
// runs on a later pass (not inside the call), then the Deferred fires.
func TestUDP_StartStopOrder(t *testing.T) {
	r := udpReactor(t, nil)
	rc := &recorder{}
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		p := listen(t, r, rc, "127.0.0.1")
		rc.events = append(rc.events, "listening")
		d := p.StopListening()
		rc.events = append(rc.events, "stopListening returned")
		if again := p.StopListening(); again != nil {
			t.Error("a second StopListening returned a Deferred")
		}
		d.AddCallback(func(v any) (any, error) {
			rc.events = append(rc.events, "deferred fired")
			stop()
			return nil, nil
		})
	})
	want := []string{"start", "listening", "stopListening returned", "stop", "deferred fired"}
	if diff := cmp.Diff(want, rc.events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rc.Transport != nil || rc.NumPorts != 0 {
		t.Errorf("after DoStop: Transport %v, NumPorts %d", rc.Transport, rc.NumPorts)
	}
}

// Ports test_stopProtocolScheduling: StopListening from StartProtocol.
func TestUDP_StopListeningInStartProtocol(t *testing.T) {
	r := udpReactor(t, nil)
	var inStart, stoppedInStart bool
	var stopped bool
	rc := &startStopper{}
	rc.onStart = func() {
		inStart = true
		rc.Transport.StopListening()
		inStart = false
	}
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		rc.onStop = func() {
			stopped, stoppedInStart = true, inStart
			stop()
		}
		listen(t, r, rc, "127.0.0.1")
	})
	if !stopped || stoppedInStart {
		t.Errorf("stopped %v, stopped inside StartProtocol %v; want true, false", stopped, stoppedInStart)
	}
}

type startStopper struct {
	recorder
	onStart func()
}

func (s *startStopper) StartProtocol() { s.onStart() }

// Ports test_rebind: a port number given back by StopListening can be
// bound again.
func TestUDP_Rebind(t *testing.T) {
	r := udpReactor(t, nil)
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		p := listen(t, r, &recorder{}, "127.0.0.1")
		n := udpPortOf(p)
		p.StopListening().AddCallback(func(any) (any, error) {
			p2, err := Listen(r, n, &recorder{}, protocol.ListenUDPOptions{Interface: "127.0.0.1"})
			if err != nil {
				t.Errorf("rebinding port %d: %v", n, err)
				stop()
				return nil, nil
			}
			p2.StopListening().AddCallback(func(any) (any, error) { stop(); return nil, nil })
			return nil, nil
		})
	})
}

// Ports test_bindError and test_invalidInterface: failures are a
// *CannotListenError and the protocol is not started.
func TestUDP_ListenFailures(t *testing.T) {
	r := udpReactor(t, nil)
	first := listen(t, r, &recorder{}, "127.0.0.1")
	defer first.ConnectionLost(nil)
	cases := []struct {
		name  string
		port  int
		iface string
		check func(error) bool
	}{
		{"port in use", udpPortOf(first), "127.0.0.1", func(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }},
		{"interface is a name", 0, "localhost", func(err error) bool {
			_, ok := errors.AsType[*protocol.InvalidAddressError](err)
			return ok
		}},
		{"port out of range", 70000, "127.0.0.1", func(err error) bool { return strings.Contains(err.Error(), "out of range") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := &recorder{}
			p, err := Listen(r, c.port, rc, protocol.ListenUDPOptions{Interface: c.iface})
			if p != nil || err == nil {
				t.Fatalf("Listen = %v, %v; want an error", p, err)
			}
			if _, ok := errors.AsType[*protocol.CannotListenError](err); !ok || !c.check(err) {
				t.Errorf("error %v (%T) is not the expected kind", err, err)
			}
			if len(rc.events) != 0 {
				t.Errorf("protocol was called: %v", rc.events)
			}
		})
	}
}

// Ports test_sendPackets (and test_oldAddress, test_getHost): datagrams go
// both ways, to an unconnected port with WriteTo and from a connected one
// with Write, and each arrives with its sender's address.
func TestUDP_SendPackets(t *testing.T) {
	for _, iface := range []string{"127.0.0.1", "::1"} {
		t.Run(iface, func(t *testing.T) {
			r := udpReactor(t, nil)
			server, client := &recorder{}, &recorder{}
			testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
				sp := listen(t, r, server, iface)
				cp := listen(t, r, client, iface)
				if h := sp.GetHost().(*net.UDPAddr); !h.IP.Equal(net.ParseIP(iface)) || h.Port == 0 {
					t.Errorf("GetHost = %v", h)
				}
				server.onData = func(rc *recorder, data []byte, addr net.Addr) {
					if err := rc.Transport.WriteTo(append([]byte("re:"), data...), addr); err != nil {
						t.Error(err)
					}
				}
				client.onData = func(rc *recorder, data []byte, addr net.Addr) {
					if len(rc.packets) == 2 {
						sp.StopListening()
						cp.StopListening().AddCallback(func(any) (any, error) { stop(); return nil, nil })
					}
				}
				serverAddr := sp.GetHost()
				if err := cp.WriteTo([]byte("a"), serverAddr); err != nil {
					t.Error(err)
				}
				if err := cp.Write([]byte("x")); !errors.Is(err, protocol.ErrUDPNotConnected) {
					t.Errorf("Write on an unconnected port: %v", err)
				}
				if err := cp.Connect(iface, udpPortOf(sp)); err != nil {
					t.Fatal(err)
				}
				if err := cp.Write([]byte("b")); err != nil {
					t.Error(err)
				}
				if err := cp.WriteTo([]byte("c"), &net.UDPAddr{IP: net.ParseIP(iface), Port: 9}); !errors.Is(err, protocol.ErrUDPConnected) {
					t.Errorf("WriteTo another address on a connected port: %v", err)
				}
			})
			clientAddr := net.JoinHostPort(iface, "")
			for i, p := range server.packets {
				if !strings.HasPrefix(p.From, clientAddr[:len(clientAddr)-1]) {
					t.Errorf("packet %d from %s, want %s…", i, p.From, clientAddr)
				}
				server.packets[i].From = ""
			}
			if diff := cmp.Diff([]packet{{"a", ""}, {"b", ""}}, server.packets); diff != "" {
				t.Errorf("server got (-want +got):\n%s", diff)
			}
			var got []string
			for _, p := range client.packets {
				got = append(got, p.Data)
			}
			if diff := cmp.Diff([]string{"re:a", "re:b"}, got); diff != "" {
				t.Errorf("client got (-want +got):\n%s", diff)
			}
		})
	}
}

// Ports test_connectionRefused: a connected port that writes to a port
// nobody listens on hears ConnectionRefused; an unconnected one is never
// told.
func TestUDP_ConnectionRefused(t *testing.T) {
	r := udpReactor(t, nil)
	client := &refusedRecorder{}
	server := &refusedRecorder{}
	closed := testkit.FreePort(t)
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		cp := listen(t, r, client, "127.0.0.1")
		sp := listen(t, r, server, "127.0.0.1")
		client.onRefused = func() {
			if client.refused > 1 {
				return
			}
			// Stop after the writes: a stopped port's socket is closed.
			r.CallLater(0, func() {
				cp.StopListening()
				sp.StopListening().AddCallback(func(any) (any, error) { stop(); return nil, nil })
			})
		}
		if err := cp.Connect("127.0.0.1", closed); err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			msg := []byte{byte('0' + i)}
			if err := cp.Write(msg); err != nil {
				t.Errorf("connected write %d: %v", i, err)
			}
			if err := sp.WriteTo(msg, loopback(closed)); err != nil {
				t.Errorf("unconnected write %d: %v", i, err)
			}
		}
	})
	if client.refused == 0 {
		t.Error("the connected port never heard ConnectionRefused")
	}
	if server.refused != 0 {
		t.Errorf("the unconnected port heard ConnectionRefused %d times", server.refused)
	}
}

// Ports test_badConnect, test_connectingToHostnameRaisesInvalidAddressError,
// test_writingToHostnameRaisesInvalidAddressError and the wrong-family
// write tests.
func TestUDP_BadAddresses(t *testing.T) {
	r := udpReactor(t, nil)
	v4 := listen(t, r, &recorder{}, "127.0.0.1")
	defer v4.ConnectionLost(nil)
	v6 := listen(t, r, &recorder{}, "::1")
	defer v6.ConnectionLost(nil)
	invalid := func(err error) bool { _, ok := errors.AsType[*protocol.InvalidAddressError](err); return ok }
	cases := []struct {
		name string
		err  error
		ok   func(error) bool
	}{
		{"connect to a host name", v4.Connect("localhost", 80), invalid},
		{"write to an IPv6 address on an IPv4 port", v4.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv6loopback, Port: 9}), invalid},
		{"write to an IPv4 address on an IPv6 port", v6.WriteTo([]byte("x"), loopback(9)), invalid},
		{"write to no address", v4.WriteTo([]byte("x"), nil), invalid},
		{"write to a TCP address", v4.WriteTo([]byte("x"), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}), invalid},
		{"write a datagram too long", v4.WriteTo(make([]byte, 70000), loopback(9)), func(err error) bool {
			_, ok := errors.AsType[*protocol.MessageLengthError](err)
			return ok && errors.Is(err, syscall.EMSGSIZE)
		}},
	}
	for _, c := range cases {
		if !c.ok(c.err) {
			t.Errorf("%s: error %v (%T)", c.name, c.err, c.err)
		}
	}
	if err := v4.Connect("127.0.0.1", 80); err != nil {
		t.Fatal(err)
	}
	if err := v4.Connect("127.0.0.1", 80); !errors.Is(err, protocol.ErrUDPConnected) {
		t.Errorf("second Connect: %v", err)
	}
	if err := v4.Write(make([]byte, 70000)); err == nil {
		t.Error("connected write of a datagram too long succeeded")
	}
}

// Ports test_writeSequence: the slices arrive as one datagram.
func TestUDP_WriteSequence(t *testing.T) {
	r := udpReactor(t, nil)
	rc := &recorder{}
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		p := listen(t, r, rc, "127.0.0.1")
		rc.onData = func(*recorder, []byte, net.Addr) {
			p.StopListening().AddCallback(func(any) (any, error) { stop(); return nil, nil })
		}
		if err := p.WriteSequence([][]byte{[]byte("some"), []byte("thing")}, p.GetHost()); err != nil {
			t.Error(err)
		}
	})
	if len(rc.packets) != 1 || rc.packets[0].Data != "something" {
		t.Errorf("got %v, want one datagram \"something\"", rc.packets)
	}
}

// Ports test_datagramReceivedError: a panic in DatagramReceived is logged
// and the port goes on reading.
func TestUDP_PanicInDatagramReceivedIsLogged(t *testing.T) {
	var logged []reactor.ErrorEvent
	r := udpReactor(t, &logged)
	rc := &recorder{}
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		p := listen(t, r, rc, "127.0.0.1")
		rc.onData = func(rc *recorder, data []byte, addr net.Addr) {
			if string(data) == "boom" {
				panic("bad datagram")
			}
			p.StopListening().AddCallback(func(any) (any, error) { stop(); return nil, nil })
		}
		_ = p.WriteTo([]byte("boom"), p.GetHost())
		_ = p.WriteTo([]byte("fine"), p.GetHost())
	})
	if diff := cmp.Diff([]string{"start", "datagram boom", "datagram fine", "stop"}, rc.events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(logged) != 1 || !strings.Contains(logged[0].Failure.Error(), "bad datagram") {
		t.Errorf("logged %v, want the panic", logged)
	}
}

// Ports testShutdownFromDatagramReceived: a reactor stopped from
// DatagramReceived closes the port, and StopProtocol runs.
func TestUDP_ReactorShutdownStopsProtocol(t *testing.T) {
	r := udpReactor(t, nil)
	rc := &recorder{}
	var p *Port
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		p = listen(t, r, rc, "127.0.0.1")
		rc.onData = func(*recorder, []byte, net.Addr) { stop() }
		_ = p.WriteTo([]byte("x"), p.GetHost())
	})
	if diff := cmp.Diff([]string{"start", "datagram x", "stop"}, rc.events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if p.Fileno() != -1 {
		t.Error("socket left open after shutdown")
	}
}

// A datagram longer than MaxPacketSize is cut to it, as recvfrom cuts it.
func TestUDP_MaxPacketSize(t *testing.T) {
	r := udpReactor(t, nil)
	rc := &recorder{}
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		p, err := Listen(r, 0, rc, protocol.ListenUDPOptions{Interface: "127.0.0.1", MaxPacketSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		rc.onData = func(*recorder, []byte, net.Addr) {
			p.StopListening().AddCallback(func(any) (any, error) { stop(); return nil, nil })
		}
		_ = p.WriteTo([]byte("abcdefgh"), p.GetHost())
	})
	if len(rc.packets) != 1 || rc.packets[0].Data != "abcd" {
		t.Errorf("got %v, want one datagram cut to abcd", rc.packets)
	}
}

// Ports test_allowBroadcast.
func TestUDP_BroadcastAllowed(t *testing.T) {
	r := udpReactor(t, nil)
	p := listen(t, r, &recorder{}, "127.0.0.1")
	if on, err := p.GetBroadcastAllowed(); on || err != nil {
		t.Fatalf("GetBroadcastAllowed at start = %v, %v", on, err)
	}
	if err := p.SetBroadcastAllowed(true); err != nil {
		t.Fatal(err)
	}
	if on, err := p.GetBroadcastAllowed(); !on || err != nil {
		t.Errorf("after SetBroadcastAllowed(true) = %v, %v", on, err)
	}
	p.ConnectionLost(nil)
	if err := p.SetBroadcastAllowed(false); !errors.Is(err, reactor.ErrConnectionClosed) {
		t.Errorf("on a closed port: %v", err)
	}
	if err := p.WriteTo([]byte("x"), loopback(9)); !errors.Is(err, reactor.ErrConnectionClosed) {
		t.Errorf("WriteTo on a closed port: %v", err)
	}
}

// A nil protocol is refused with a clear error.
func TestUDP_NilProtocol(t *testing.T) {
	r := udpReactor(t, nil)
	if _, err := Listen(r, 0, nil, protocol.ListenUDPOptions{}); err == nil || !strings.Contains(err.Error(), "nil protocol") {
		t.Errorf("Listen(nil) = %v", err)
	}
}
