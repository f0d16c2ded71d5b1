package tlsbio

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// The engine on its own: two engines joined by in-memory lowers, on a fake
// reactor whose CallFromThread queue the test runs, so every step is the
// test's.

// fakeReactor queues CallFromThread calls for the test to run.
type fakeReactor struct {
	calls  chan func()
	logged []string
}

func (r *fakeReactor) CallFromThread(f func())                 { r.calls <- f }
func (r *fakeReactor) LogError(f *reactor.Failure, why string) { r.logged = append(r.logged, why) }

// lower is one side's transport: what the engine writes is queued for the
// peer, and closes are noted.
type lower struct {
	name   string
	out    [][]byte
	events []string
}

func (l *lower) Write(b []byte)       { l.out = append(l.out, append([]byte(nil), b...)) }
func (l *lower) LoseConnection()      { l.events = append(l.events, "lose") }
func (l *lower) LoseWriteConnection() { l.events = append(l.events, "loseWrite") }
func (l *lower) AbortConnection()     { l.events = append(l.events, "abort") }
func (l *lower) RegisterProducer(p protocol.Producer, streaming bool) error {
	return nil
}
func (l *lower) UnregisterProducer() {}

type upper struct {
	protocol.BaseProtocol
	events []string
	onData func([]byte)
}

func (u *upper) HandshakeCompleted() { u.events = append(u.events, "handshake") }
func (u *upper) DataReceived(b []byte) {
	u.events = append(u.events, "data:"+string(b))
	if u.onData != nil {
		u.onData(b)
	}
}
func (u *upper) ConnectionLost(r *reactor.Failure) {
	u.events = append(u.events, "lost:"+testkit.ReasonKind(r))
}

type pair struct {
	r           *fakeReactor
	sl, cl      *lower
	server, cli *Engine
	su, cu      *upper
}

func newPair(t *testing.T) *pair {
	ca, err := braidtest.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	p := &pair{r: &fakeReactor{calls: make(chan func(), 64)}, sl: &lower{name: "server"}, cl: &lower{name: "client"}, su: &upper{}, cu: &upper{}}
	cfg := ca.ClientConfig()
	cfg.ServerName = "localhost"
	p.server = New(p.r, p.sl, p.su, ca.ServerConfig(), true)
	p.cli = New(p.r, p.cl, p.cu, cfg, false)
	return p
}

// until moves what each side wrote to the other and runs the queued
// calls until cond holds. It waits for the handshake goroutines' calls;
// the limit only guards against a hang.
func (p *pair) until(t *testing.T, cond func() bool) {
	t.Helper()
	limit := time.After(30 * time.Second)
	for {
		for _, m := range []struct {
			from *lower
			to   *Engine
		}{{p.sl, p.cli}, {p.cl, p.server}} {
			out := m.from.out
			m.from.out = nil
			for _, b := range out {
				m.to.DataReceived(b)
			}
		}
		if cond() {
			return
		}
		if len(p.sl.out)+len(p.cl.out) > 0 {
			continue
		}
		select {
		case f := <-p.r.calls:
			f()
		case <-limit:
			t.Fatal("the condition never held")
		}
	}
}

func has(events []string, ev string) bool {
	for _, e := range events {
		if e == ev {
			return true
		}
	}
	return false
}

func TestEngine_HandshakeDataAndShutdown(t *testing.T) {
	p := newPair(t)
	p.cli.Write([]byte("early")) // before the handshake: kept
	p.until(t, func() bool { return has(p.su.events, "data:early") && p.cli.HandshakeDone() })
	p.server.Write([]byte("reply"))
	p.server.LoseConnection()
	p.until(t, func() bool { return has(p.sl.events, "lose") && has(p.cl.events, "lose") })
	// Each side's close_notify answered: both close underneath.
	if d := cmp.Diff([]string{"lose"}, p.sl.events); d != "" {
		t.Errorf("server lower (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"lose"}, p.cl.events); d != "" {
		t.Errorf("client lower (-want +got):\n%s", d)
	}
	done := reactor.NewFailure(reactor.ErrConnectionDone)
	p.server.ConnectionLost(done)
	p.cli.ConnectionLost(done)
	p.server.ConnectionLost(done) // once only
	if d := cmp.Diff([]string{"handshake", "data:early", "lost:done"}, p.su.events); d != "" {
		t.Errorf("server upper (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"handshake", "data:reply", "lost:done"}, p.cu.events); d != "" {
		t.Errorf("client upper (-want +got):\n%s", d)
	}
}

// A panic in the upper protocol's DataReceived is logged and aborts the
// connection; the protocol's reason is the panic.
func TestEngine_PanicInDataReceived(t *testing.T) {
	p := newPair(t)
	boom := errors.New("boom")
	p.su.onData = func([]byte) { panic(boom) }
	p.cli.Write([]byte("x"))
	p.until(t, func() bool { return has(p.sl.events, "abort") })
	if d := cmp.Diff([]string{"abort"}, p.sl.events); d != "" {
		t.Errorf("server lower (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"dataReceived"}, p.r.logged); d != "" {
		t.Errorf("logged (-want +got):\n%s", d)
	}
	p.server.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionAborted))
	if got := p.su.events[len(p.su.events)-1]; got != "lost:other(boom)" {
		t.Errorf("last server event %q", got)
	}
	p.cli.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionLost))
}

// The lower connection ending during the handshake: the goroutine is told,
// and the protocol gets ConnectionLost once it has ended.
func TestEngine_LowerLostDuringHandshake(t *testing.T) {
	p := newPair(t)
	p.server.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionDone))
	p.cli.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionDone))
	if d := cmp.Diff([]string{"lost:lost"}, p.su.events); d != "" {
		t.Errorf("server upper (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"lost:lost"}, p.cu.events); d != "" {
		t.Errorf("client upper (-want +got):\n%s", d)
	}
}
