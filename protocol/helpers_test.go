package protocol_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/braid-go/braid"
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

// runUntil runs r until stop is called (or limit passes, which fails the
// test). start runs once the reactor is running.
func runUntil(t testing.TB, r *braid.Reactor, limit time.Duration, start func(stop func())) {
	t.Helper()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = r.Stop()
		}
	}
	timer := r.CallLater(limit, func() {
		t.Errorf("reactor still running after %v", limit)
		stop()
	})
	r.CallWhenRunning(func() { start(stop) })
	if err := r.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if timer.Active() {
		_ = timer.Cancel()
	}
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
	p.events = append(p.events, "lost:"+reasonKind(reason))
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

// reasonKind names a ConnectionLost reason for event traces.
func reasonKind(f *reactor.Failure) string {
	switch {
	case f == nil:
		return "nil"
	case errors.Is(f, reactor.ErrConnectionAborted):
		return "aborted"
	case errors.Is(f, reactor.ErrConnectionDone):
		return "done"
	case errors.Is(f, reactor.ErrConnectionLost):
		return "lost"
	}
	return "other(" + f.Error() + ")"
}

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

// freePort returns a loopback port nobody listens on (it was just released).
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
