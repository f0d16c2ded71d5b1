package protocol_test

import (
	"net"
	"testing"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// newReactor returns a reactor whose logged errors fail the test.
func newReactor(t testing.TB) *braid.Reactor {
	t.Helper()
	r, err := braid.New(reactor.WithErrorObserver(func(ev reactor.ErrorEvent) {
		t.Errorf("reactor logged an error (%s): %v", ev.Why, ev.Failure)
	}))
	if err != nil {
		t.Fatalf("braid.New: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// recorder is a protocol that records what happens to it.
type recorder struct {
	protocol.BaseProtocol
	events []string
	data   []byte
	lost   int
	onMade func(p *recorder)
	onData func(p *recorder, b []byte)
	onLost func(p *recorder)
}

func (p *recorder) ConnectionMade() {
	p.events = append(p.events, "made")
	if p.onMade != nil {
		p.onMade(p)
	}
}

func (p *recorder) DataReceived(b []byte) {
	if len(p.events) == 0 || p.events[len(p.events)-1] != "data" {
		p.events = append(p.events, "data")
	}
	p.data = append(p.data, b...)
	if p.onData != nil {
		p.onData(p, b)
	}
}

func (p *recorder) ConnectionLost(reason *reactor.Failure) {
	p.lost++
	p.events = append(p.events, "lost:"+testkit.ReasonKind(reason))
	if p.onLost != nil {
		p.onLost(p)
	}
}

// halfRecorder is a recorder that is also half-closeable.
type halfRecorder struct {
	recorder
	onReadLost func(p *halfRecorder)
}

func (p *halfRecorder) ReadConnectionLost() {
	p.events = append(p.events, "readConnectionLost")
	if p.onReadLost != nil {
		p.onReadLost(p)
	}
}

func (p *halfRecorder) WriteConnectionLost() { p.events = append(p.events, "writeConnectionLost") }

// echo writes back what it receives.
type echo struct{ protocol.BaseProtocol }

func (e *echo) DataReceived(b []byte) { e.Transport.Write(b) }

// listen starts a port on 127.0.0.1 with a fresh port number.
func listen(t testing.TB, r *braid.Reactor, f protocol.Factory) protocol.ListeningPort {
	t.Helper()
	p, err := r.ListenTCP(0, f, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		t.Fatalf("ListenTCP: %v", err)
	}
	return p
}

func portOf(p protocol.ListeningPort) int { return p.GetHost().(*net.TCPAddr).Port }
