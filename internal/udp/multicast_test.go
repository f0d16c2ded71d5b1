//go:build unix

package udp

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

const group = "225.0.0.250"

func listenMulticast(t testing.TB, r *reactor.Reactor, p protocol.DatagramProtocol, port int, multiple bool) *MulticastPort {
	t.Helper()
	m, err := ListenMulticast(r, port, p, protocol.ListenMulticastOptions{ListenMultiple: multiple})
	if err != nil {
		t.Fatalf("ListenMulticast: %v", err)
	}
	t.Cleanup(func() { m.ConnectionLost(nil) })
	return m
}

// joinOnLoopback joins group on 127.0.0.1 and sends through it. Where the
// kernel refuses multicast on the loopback interface, traffic tests are
// skipped outside CI, saying why.
func joinOnLoopback(t *testing.T, ports ...*MulticastPort) {
	t.Helper()
	for _, m := range ports {
		if err := syncErr(m.JoinGroup(group, "127.0.0.1")); err != nil {
			if os.Getenv("CI") == "" {
				t.Skipf("skipping: this host's loopback interface does not take multicast (%v); the option tests still run", err)
			}
			t.Fatal(err)
		}
		if err := syncErr(m.SetOutgoingInterface("127.0.0.1")); err != nil {
			t.Fatal(err)
		}
	}
}

// syncErr returns the error of a Deferred that has already fired.
func syncErr(d *reactor.Deferred) error {
	var err error
	fired := false
	d.AddBoth(func(v any) (any, error) {
		fired = true
		if f, ok := v.(*reactor.Failure); ok {
			err = f
		}
		return nil, nil
	})
	if !fired {
		return errors.New("deferred has not fired")
	}
	return err
}

// Ports testTTL, test_interface and the option half of test_loopback.
func TestMulticast_Options(t *testing.T) {
	r := udpReactor(t, nil)
	m := listenMulticast(t, r, &recorder{}, 0, false)
	if ttl, err := m.GetTTL(); ttl != 1 || err != nil {
		t.Errorf("GetTTL = %d, %v; want 1", ttl, err)
	}
	if err := m.SetTTL(2); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := m.GetTTL(); ttl != 2 {
		t.Errorf("GetTTL after SetTTL(2) = %d", ttl)
	}
	if err := m.SetTTL(256); err == nil {
		t.Error("SetTTL(256) succeeded")
	}
	if on, err := m.GetLoopbackMode(); !on || err != nil {
		t.Errorf("GetLoopbackMode = %v, %v; want true", on, err)
	}
	if err := m.SetLoopbackMode(false); err != nil {
		t.Fatal(err)
	}
	if on, _ := m.GetLoopbackMode(); on {
		t.Error("loopback still on after SetLoopbackMode(false)")
	}
	if a, err := m.GetOutgoingInterface(); a != "0.0.0.0" || err != nil {
		t.Errorf("GetOutgoingInterface = %q, %v", a, err)
	}
	if err := syncErr(m.SetOutgoingInterface("127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if a, _ := m.GetOutgoingInterface(); a != "127.0.0.1" {
		t.Errorf("GetOutgoingInterface after setting it = %q", a)
	}
	if err := syncErr(m.SetOutgoingInterface("localhost")); err == nil {
		t.Error("SetOutgoingInterface with a name succeeded")
	}
}

// Ports test_joinLeave and test_joinFailure.
func TestMulticast_JoinLeave(t *testing.T) {
	r := udpReactor(t, nil)
	m := listenMulticast(t, r, &recorder{}, 0, false)
	for _, step := range []struct {
		name string
		d    *reactor.Deferred
	}{
		{"join", m.JoinGroup(group, "")},
		{"leave", m.LeaveGroup(group, "")},
		{"join on 127.0.0.1", m.JoinGroup(group, "127.0.0.1")},
		{"leave on 127.0.0.1", m.LeaveGroup(group, "127.0.0.1")},
	} {
		if err := syncErr(step.d); err != nil {
			t.Errorf("%s: %v", step.name, err)
		}
	}
	for _, bad := range []string{"127.0.0.1", "not-an-address"} {
		err := syncErr(m.JoinGroup(bad, ""))
		if _, ok := errors.AsType[*protocol.MulticastJoinError](err); !ok {
			t.Errorf("JoinGroup(%q) = %v, want a *MulticastJoinError", bad, err)
		}
	}
}

// Multicast is IPv4 only, as in Twisted: an IPv6 port says so.
func TestMulticast_IPv6PortRefusesOptions(t *testing.T) {
	r := udpReactor(t, nil)
	m, err := ListenMulticast(r, 0, &recorder{}, protocol.ListenMulticastOptions{Interface: "::1"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.ConnectionLost(nil)
	if _, err := m.GetTTL(); !errors.Is(err, errIPv4Only) {
		t.Errorf("GetTTL on an IPv6 port: %v", err)
	}
	if err := syncErr(m.JoinGroup(group, "")); !errors.Is(err, errIPv4Only) {
		t.Errorf("JoinGroup on an IPv6 port: %v", err)
	}
}

// Ports test_multicast and the traffic half of test_loopback: a member
// gets a datagram sent to the group, its own included while loopback is
// on.
func TestMulticast_Traffic(t *testing.T) {
	r := udpReactor(t, nil)
	server, sender := &recorder{}, &recorder{}
	sp := listenMulticast(t, r, server, 0, false)
	cp := listenMulticast(t, r, sender, 0, false)
	joinOnLoopback(t, sp, cp)
	dest := &net.UDPAddr{IP: net.ParseIP(group), Port: udpPortOf(sp)}
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		server.onData = func(rc *recorder, data []byte, addr net.Addr) {
			if len(rc.packets) == 2 {
				stop()
			}
		}
		if err := cp.WriteTo([]byte("from the other port"), dest); err != nil {
			t.Error(err)
		}
		if err := sp.WriteTo([]byte("from itself"), dest); err != nil {
			t.Error(err)
		}
	})
	var got []string
	for _, p := range server.packets {
		got = append(got, p.Data)
	}
	if diff := cmp.Diff([]string{"from the other port", "from itself"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Ports test_multiListen: with ListenMultiple two sockets bind the same
// port and both get the group's datagrams.
func TestMulticast_ListenMultiple(t *testing.T) {
	r := udpReactor(t, nil)
	first, second := &recorder{}, &recorder{}
	p1 := listenMulticast(t, r, first, 0, true)
	p2 := listenMulticast(t, r, second, udpPortOf(p1), true)
	if _, err := ListenMulticast(r, udpPortOf(p1), &recorder{}, protocol.ListenMulticastOptions{}); err == nil {
		t.Error("a third socket without ListenMultiple bound the port too")
	}
	joinOnLoopback(t, p1, p2)
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		done := func(*recorder, []byte, net.Addr) {
			if len(first.packets) > 0 && len(second.packets) > 0 {
				stop()
			}
		}
		first.onData, second.onData = done, done
		_ = p1.WriteTo([]byte("hello world"), &net.UDPAddr{IP: net.ParseIP(group), Port: udpPortOf(p1)})
	})
	if len(first.packets) != 1 || len(second.packets) != 1 {
		t.Errorf("first got %v, second %v; want the datagram once each", first.packets, second.packets)
	}
}
