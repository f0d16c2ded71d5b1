package braidtest_test

import (
	"errors"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// ReactorTests.test_connectDestination and test_listenDefaultHost, their
// SSL half: ConnectSSL and ListenSSL are recorded (with the config) apart
// from the TCP calls, and report the destination and address as the TCP
// ones do.
func TestMemoryReactor_SSLRecords(t *testing.T) {
	ca, err := braidtest.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	r := braidtest.NewMemoryReactor()
	f := protocol.FactoryFor(func() protocol.Protocol { return &protocol.BaseProtocol{} })
	port, err := r.ListenSSL(8242, f, ca.ServerConfig(), protocol.ListenTCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&net.TCPAddr{IP: net.IPv4zero, Port: 8242}, port.GetHost()); d != "" {
		t.Errorf("GetHost (-want +got):\n%s", d)
	}
	cfg := ca.ClientConfig()
	conn := r.ConnectSSL("192.0.2.7", 8321, protocol.ClientFactoryFor(nil), cfg, protocol.ConnectTCPOptions{})
	if d := cmp.Diff(&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 8321}, conn.GetDestination()); d != "" {
		t.Errorf("GetDestination (-want +got):\n%s", d)
	}
	if len(r.TCPServers) != 0 || len(r.TCPClients) != 0 || len(r.SSLServers) != 1 || len(r.SSLClients) != 1 {
		t.Fatalf("records: %d/%d TCP, %d/%d SSL", len(r.TCPServers), len(r.TCPClients), len(r.SSLServers), len(r.SSLClients))
	}
	if r.SSLServers[0].Port != 8242 || r.SSLServers[0].ListeningPort != port || r.SSLClients[0].Config != cfg || r.SSLClients[0].Connector != conn {
		t.Errorf("records %+v %+v", r.SSLServers[0], r.SSLClients[0])
	}
	st := braidtest.NewStringTransport(nil, nil)
	if p := r.SSLServers[0].MakeConnection(st); p == nil {
		t.Error("MakeConnection on the SSL record built no protocol")
	}
}

// RaisingMemoryReactor fails ListenSSL and ConnectSSL as it fails their
// TCP counterparts.
func TestRaisingMemoryReactor_SSL(t *testing.T) {
	want := errors.New("no")
	r := &braidtest.RaisingMemoryReactor{ListenErr: want, ConnectErr: want}
	if _, err := r.ListenSSL(0, protocol.FactoryFor(nil), nil, protocol.ListenTCPOptions{}); !errors.Is(err, want) {
		t.Errorf("ListenSSL = %v", err)
	}
	f := &failRecorder{}
	protocol.Bind(f)
	r.ConnectSSL("127.0.0.1", 1, f, nil, protocol.ConnectTCPOptions{})
	if !errors.Is(f.reason, want) {
		t.Errorf("ConnectSSL reported %v", f.reason)
	}
}

// failRecorder keeps the reason a connect failed with.
type failRecorder struct {
	protocol.BaseClientFactory
	reason error
}

func (f *failRecorder) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	f.reason = reason
}
