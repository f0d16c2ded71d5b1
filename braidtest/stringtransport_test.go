package braidtest_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

func TestStringTransport_WritesAreCopied(t *testing.T) {
	tr := &braidtest.StringTransport{}
	if got := tr.Value(); got == nil || len(got) != 0 {
		t.Fatalf("Value of a new transport = %#v, want an empty, non-nil slice", got)
	}
	b := []byte("abc")
	tr.Write(b)
	tr.WriteSequence([][]byte{[]byte("de"), nil, []byte("f")})
	b[0] = 'X'
	v := tr.Value()
	if string(v) != "abcdef" {
		t.Fatalf("Value = %q, want %q", v, "abcdef")
	}
	tr.Clear()
	tr.Write([]byte("zz"))
	if string(v) != "abcdef" || string(tr.Value()) != "zz" {
		t.Fatalf("after Clear and Write: earlier Value = %q, Value = %q", v, tr.Value())
	}
}

func TestStringTransport_AbortConnection(t *testing.T) {
	tr := &braidtest.StringTransport{}
	tr.AbortConnection()
	if !tr.Aborting || !tr.Disconnecting || !tr.Connected() {
		t.Fatalf("after AbortConnection: Aborting=%v Disconnecting=%v Connected=%v; want true, true, true",
			tr.Aborting, tr.Disconnecting, tr.Connected())
	}
}

func TestStringTransport_LenientAllowsProducingAfterLoseConnection(t *testing.T) {
	tr := &braidtest.StringTransport{Lenient: true}
	tr.LoseConnection()
	tr.PauseProducing()
	tr.ResumeProducing()
	if tr.ProducerState != braidtest.Producing {
		t.Fatalf("ProducerState = %v, want producing", tr.ProducerState)
	}
	tr.StopProducing()
	mustPanicWith(t, braidtest.ErrProducerStopped, tr.ResumeProducing)
}

// A streaming producer must be able to pause, as on braid's transports.
func TestStringTransport_StreamingProducerMustPause(t *testing.T) {
	tr := &braidtest.StringTransport{}
	p := braidtest.NewNonStreamingProducer(tr)
	if err := tr.RegisterProducer(p, true); !errors.Is(err, protocol.ErrNotPushProducer) {
		t.Fatalf("RegisterProducer(pull, true) = %v, want ErrNotPushProducer", err)
	}
	if tr.Producer != nil {
		t.Fatal("a refused producer was recorded")
	}
}

// The producer pair of the two doubles: a NonStreamingProducer driven by
// the test writes into a StringTransport and unregisters itself.
func TestStringTransport_WithNonStreamingProducer(t *testing.T) {
	tr := &braidtest.StringTransport{}
	p := braidtest.NewNonStreamingProducer(tr)
	if err := tr.RegisterProducer(p, false); err != nil {
		t.Fatal(err)
	}
	for tr.Producer != nil {
		tr.Producer.ResumeProducing()
	}
	if string(tr.Value()) != "0123456789" || !p.Result.Called() {
		t.Fatalf("Value = %q, Result called = %v", tr.Value(), p.Result.Called())
	}
}

func TestStringTransport_TCPOptions(t *testing.T) {
	tr := &braidtest.StringTransport{}
	_ = tr.SetTCPNoDelay(true)
	_ = tr.SetTCPKeepAlive(true)
	tr.LoseWriteConnection()
	nd, err1 := tr.GetTCPNoDelay()
	ka, err2 := tr.GetTCPKeepAlive()
	if !nd || !ka || err1 != nil || err2 != nil || !tr.WriteDisconnecting || tr.Disconnecting {
		t.Fatalf("NoDelay=%v,%v KeepAlive=%v,%v WriteDisconnecting=%v Disconnecting=%v", nd, err1, ka, err2, tr.WriteDisconnecting, tr.Disconnecting)
	}
}

func TestStringTransportWithDisconnection_TellsProtocolOnce(t *testing.T) {
	cases := []struct {
		name    string
		close   func(tr *braidtest.StringTransportWithDisconnection)
		want    error
		aborted bool
	}{
		{"LoseConnection", (*braidtest.StringTransportWithDisconnection).LoseConnection, reactor.ErrConnectionDone, false},
		{"AbortConnection", (*braidtest.StringTransportWithDisconnection).AbortConnection, reactor.ErrConnectionAborted, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &braidtest.AccumulatingProtocol{}
			tr := &braidtest.StringTransportWithDisconnection{Protocol: p}
			protocol.Bind(p)
			p.MakeConnection(tr)
			c.close(tr)
			c.close(tr)
			tr.LoseConnection()
			if p.Closed != 1 || !errors.Is(p.ClosedReason, c.want) {
				t.Fatalf("Closed = %d, reason %v; want 1, %v", p.Closed, p.ClosedReason, c.want)
			}
			// Twisted's double leaves disconnecting alone, so producing may go on.
			if tr.Disconnecting || tr.Connected() || tr.Aborting != c.aborted {
				t.Fatalf("Disconnecting=%v Connected=%v Aborting=%v", tr.Disconnecting, tr.Connected(), tr.Aborting)
			}
			tr.PauseProducing()
		})
	}
}

func TestStringTransportWithDisconnection_NoProtocolPanics(t *testing.T) {
	tr := &braidtest.StringTransportWithDisconnection{}
	if v := panicValue(tr.LoseConnection); v == nil {
		t.Fatal("LoseConnection without a Protocol did not panic")
	}
}

func TestAccumulatingProtocol_RecordsTheConnection(t *testing.T) {
	f := braidtest.NewAccumulatingFactory()
	made := reactor.NewDeferred(nil)
	f.ProtocolConnectionMade = made
	var first, second *braidtest.AccumulatingProtocol
	for i, pp := range []**braidtest.AccumulatingProtocol{&first, &second} {
		p, ok := f.BuildProtocol(nil).(*braidtest.AccumulatingProtocol)
		if !ok || p.Factory != protocol.Factory(f) {
			t.Fatalf("protocol %d: BuildProtocol gave %T with Factory %v", i, p, p.Factory)
		}
		*pp = p
	}
	tr := &braidtest.StringTransportWithDisconnection{Protocol: first}
	protocol.Bind(first)
	first.MakeConnection(tr)
	if made.Result() != any(first) || f.ProtocolConnectionMade != nil {
		t.Fatalf("ProtocolConnectionMade result = %v, field = %v; want the first protocol, nil", made.Result(), f.ProtocolConnectionMade)
	}
	protocol.Bind(second)
	second.MakeConnection(&braidtest.StringTransport{}) // nothing left to fire

	first.DataReceived([]byte("hel"))
	first.DataReceived([]byte("lo"))
	closed := reactor.NewDeferred(nil)
	first.ClosedDeferred = closed
	if first.Disconnected() {
		t.Fatal("Disconnected before ConnectionLost")
	}
	tr.LoseConnection()
	got := struct {
		Data           string
		Made, Closed   int
		Done, Fired    bool
		ClosedDeferred *reactor.Deferred
	}{string(first.Data), first.Made, first.Closed, errors.Is(first.ClosedReason, reactor.ErrConnectionDone), closed.Called(), first.ClosedDeferred}
	want := got
	want.Data, want.Made, want.Closed, want.Done, want.Fired, want.ClosedDeferred = "hello", 1, 1, true, true, nil
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b *reactor.Deferred) bool { return a == b })); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if !first.Disconnected() || !first.Connected {
		t.Fatalf("Disconnected = %v, BaseProtocol.Connected = %v; want true, true (Twisted leaves connected alone)", first.Disconnected(), first.Connected)
	}
}
