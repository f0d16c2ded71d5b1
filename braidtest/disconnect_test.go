package braidtest_test

import (
	"testing"
	"time"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// connected returns an AccumulatingProtocol connected to a transport that
// tells it when the connection is lost.
func connected() (*braidtest.AccumulatingProtocol, *braidtest.StringTransportWithDisconnection) {
	p := &braidtest.AccumulatingProtocol{}
	tr := &braidtest.StringTransportWithDisconnection{Protocol: p}
	protocol.Bind(p)
	p.MakeConnection(tr)
	return p, tr
}

func TestWaitUntilAllDisconnected(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	p1, t1 := connected()
	p2, t2 := connected()
	d := braidtest.WaitUntilAllDisconnected(r, []protocol.Protocol{p1, p2})
	t1.LoseConnection()
	r.Advance(10 * time.Millisecond)
	if d.Called() {
		t.Fatal("fired with one protocol still connected")
	}
	t2.LoseConnection()
	r.Advance(9 * time.Millisecond)
	if d.Called() {
		t.Fatal("fired before the next look")
	}
	r.Advance(time.Millisecond)
	if !d.Called() || d.Result() != nil {
		t.Fatalf("after the next look: called %v, result %v", d.Called(), d.Result())
	}
	if n := len(r.GetDelayedCalls()); n != 0 {
		t.Fatalf("%d calls left scheduled", n)
	}
}

func TestWaitUntilAllDisconnected_AlreadyDisconnected(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	p, tr := connected()
	tr.LoseConnection()
	if d := braidtest.WaitUntilAllDisconnected(r, []protocol.Protocol{p}); !d.Called() {
		t.Fatal("did not fire at once")
	}
	if d := braidtest.WaitUntilAllDisconnected(r, nil); !d.Called() {
		t.Fatal("did not fire at once for no protocols")
	}
}

func TestWaitUntilAllDisconnected_NeedsReporters(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	p, _ := connected()
	v := panicValue(func() {
		braidtest.WaitUntilAllDisconnected(r, []protocol.Protocol{p, &protocol.ForwardingPort{}})
	})
	if v == nil {
		t.Fatal("a protocol with no Disconnected method was accepted")
	}
}
