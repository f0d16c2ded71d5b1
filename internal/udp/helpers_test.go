//go:build unix

package udp

import (
	"net"
	"testing"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// udpReactor returns a reactor whose logged errors fail the test, unless
// logged is given: then they are collected there.
func udpReactor(t testing.TB, logged *[]reactor.ErrorEvent) *reactor.Reactor {
	t.Helper()
	r, err := reactor.New(reactor.WithErrorObserver(func(ev reactor.ErrorEvent) {
		if logged != nil {
			*logged = append(*logged, ev)
			return
		}
		t.Errorf("reactor logged an error (%s): %v", ev.Why, ev.Failure)
	}))
	if err != nil {
		t.Fatalf("reactor.New: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// recorder is a DatagramProtocol that records what happens to it.
type recorder struct {
	protocol.BaseDatagramProtocol
	events  []string
	packets []packet
	onData  func(rc *recorder, data []byte, addr net.Addr)
	onStop  func()
}

type packet struct {
	Data string
	From string
}

func (rc *recorder) StartProtocol() { rc.events = append(rc.events, "start") }

func (rc *recorder) StopProtocol() {
	rc.events = append(rc.events, "stop")
	if rc.onStop != nil {
		rc.onStop()
	}
}

func (rc *recorder) DatagramReceived(data []byte, addr net.Addr) {
	rc.events = append(rc.events, "datagram "+string(data))
	rc.packets = append(rc.packets, packet{string(data), addr.String()})
	if rc.onData != nil {
		rc.onData(rc, data, addr)
	}
}

// refusedRecorder also wants ConnectionRefused.
type refusedRecorder struct {
	recorder
	refused   int
	onRefused func()
}

func (rc *refusedRecorder) ConnectionRefused() {
	rc.refused++
	rc.events = append(rc.events, "refused")
	if rc.onRefused != nil {
		rc.onRefused()
	}
}

func listen(t testing.TB, r *reactor.Reactor, p protocol.DatagramProtocol, iface string) *Port {
	t.Helper()
	port, err := Listen(r, 0, p, protocol.ListenUDPOptions{Interface: iface})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return port
}

func udpPortOf(p protocol.UDPTransport) int { return p.GetHost().(*net.UDPAddr).Port }

func loopback(port int) *net.UDPAddr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port} }
