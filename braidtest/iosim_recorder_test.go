package braidtest_test

import (
	"strings"
	"testing"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/protocol"
)

// A ConnectionCompleter completes MemoryReactor's recorded calls: the
// connect whose port is listened on is joined to the listener in memory and
// taken off TCPClients; the other is failed; data flows through the pump.
func TestMemoryReactor_ConnectionCompleter(t *testing.T) {
	r := braidtest.NewMemoryReactorClock()
	server := braidtest.NewAccumulatingFactory()
	if _, err := r.ListenTCP(8080, server, protocol.ListenTCPOptions{}); err != nil {
		t.Fatal(err)
	}
	client := braidtest.NewAccumulatingFactory()
	r.ConnectTCP("127.0.0.1", 8080, client, protocol.ConnectTCPOptions{})
	refused := newRecordingFactory()
	r.ConnectTCP("127.0.0.1", 9, refused, protocol.ConnectTCPOptions{})

	cc := iosim.NewConnectionCompleter(r)
	pump := cc.SucceedOnce(iosim.Options{})
	if pump == nil {
		t.Fatal("SucceedOnce found nothing to connect")
	}
	if len(r.TCPClients) != 1 || r.TCPClients[0].Port != 9 {
		t.Fatalf("TCPClients after SucceedOnce = %+v, want only the connect to port 9", r.TCPClients)
	}
	pump.Client.(*braidtest.AccumulatingProtocol).Transport.Write([]byte("ping"))
	pump.Flush()
	if got := string(pump.Server.(*braidtest.AccumulatingProtocol).Data); got != "ping" {
		t.Errorf("server received %q, want %q", got, "ping")
	}

	if !cc.FailOnce(nil) {
		t.Fatal("FailOnce found nothing to fail")
	}
	if len(r.TCPClients) != 0 {
		t.Errorf("TCPClients after FailOnce = %+v, want none", r.TCPClients)
	}
	if len(refused.lines) == 0 || !strings.HasPrefix(refused.lines[len(refused.lines)-1], "ClientConnectionFailed") {
		t.Errorf("refused factory saw %q, want ClientConnectionFailed last", refused.lines)
	}
}

// RemoveTCPConnect ignores an index out of range instead of panicking.
func TestMemoryReactor_RemoveTCPConnectOutOfRange(t *testing.T) {
	r := braidtest.NewMemoryReactor()
	r.ConnectTCP("127.0.0.1", 1, newRecordingFactory(), protocol.ConnectTCPOptions{})
	r.RemoveTCPConnect(-1)
	r.RemoveTCPConnect(1)
	if len(r.TCPConnects()) != 1 {
		t.Errorf("TCPConnects = %+v, want the one connect kept", r.TCPConnects())
	}
	r.RemoveTCPConnect(0)
	if len(r.TCPConnects()) != 0 {
		t.Errorf("TCPConnects = %+v, want none", r.TCPConnects())
	}
}
