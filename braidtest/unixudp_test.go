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

// Ports test_memoryReactor's recording of listenUNIX/connectUNIX/listenUDP:
// each call is recorded with its arguments, and the result reports the
// address.
func TestMemoryReactor_RecordsUNIXAndUDP(t *testing.T) {
	r := braidtest.NewMemoryReactor()
	sf := &countingFactory{}
	port, err := r.ListenUNIX("/run/app.sock", sf, protocol.ListenUNIXOptions{Mode: 0o600, WantPID: true})
	if err != nil {
		t.Fatal(err)
	}
	cf := &countingFactory{}
	conn := r.ConnectUNIX("/run/app.sock", cf, protocol.ConnectUNIXOptions{CheckPID: true})
	dp := &datagramEcho{}
	udp, err := r.ListenUDP(53, dp, protocol.ListenUDPOptions{Interface: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.UNIXServers) != 1 || r.UNIXServers[0].Address != "/run/app.sock" || !r.UNIXServers[0].Opts.WantPID {
		t.Errorf("UNIXServers = %+v", r.UNIXServers)
	}
	if len(r.UNIXClients) != 1 || !r.UNIXClients[0].Opts.CheckPID || r.UNIXClients[0].Connector != conn {
		t.Errorf("UNIXClients = %+v", r.UNIXClients)
	}
	if len(r.UDPPorts) != 1 || r.UDPPorts[0].Port != 53 || r.UDPPorts[0].Protocol != dp || r.UDPPorts[0].Transport != udp {
		t.Errorf("UDPPorts = %+v", r.UDPPorts)
	}
	got := []string{port.GetHost().String(), conn.GetDestination().String(), udp.GetHost().String()}
	if diff := cmp.Diff([]string{"/run/app.sock", "/run/app.sock", "127.0.0.1:53"}, got); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	if sf.starts != 1 || cf.starts != 1 || cf.connecting != 1 || dp.starts != 1 || dp.Transport != udp {
		t.Errorf("server starts %d, client starts %d connecting %d, datagram starts %d transport %v",
			sf.starts, cf.starts, cf.connecting, dp.starts, dp.Transport)
	}
	// The test plays a datagram; the protocol's reply is recorded.
	from := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 4000}
	dp.DatagramReceived([]byte("ping"), from)
	fake := r.UDPPorts[0].Transport
	if diff := cmp.Diff([]braidtest.Datagram{{Data: []byte("ping"), Addr: from}}, fake.Written); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	udp.StopListening()
	if dp.stops != 1 || fake.StopListeningCalls != 1 {
		t.Errorf("after StopListening: stops %d, calls %d", dp.stops, fake.StopListeningCalls)
	}
}

// RaisingMemoryReactor fails every UNIX and UDP call with the error set.
func TestRaisingMemoryReactor_UNIXAndUDP(t *testing.T) {
	boom := errors.New("boom")
	r := &braidtest.RaisingMemoryReactor{ListenErr: boom}
	if _, err := r.ListenUNIX("/x", &countingFactory{}, protocol.ListenUNIXOptions{}); err != boom {
		t.Errorf("ListenUNIX = %v", err)
	}
	dp := &datagramEcho{}
	if _, err := r.ListenUDP(0, dp, protocol.ListenUDPOptions{}); err != boom || dp.starts != 0 {
		t.Errorf("ListenUDP = %v, protocol started %d times", err, dp.starts)
	}
	cf := &countingFactory{}
	r.ConnectUNIX("/x", cf, protocol.ConnectUNIXOptions{})
	if !errors.Is(cf.failed, braidtest.ErrRefused) || cf.stops != 1 {
		t.Errorf("ConnectUNIX reported %v, stops %d", cf.failed, cf.stops)
	}
}

// FakeDatagramTransport records writes with and without an address, and
// Connect.
func TestFakeDatagramTransport_Records(t *testing.T) {
	var tr braidtest.FakeDatagramTransport
	to := &net.UDPAddr{IP: net.IPv6loopback, Port: 9}
	buf := []byte("one")
	_ = tr.WriteTo(buf, to)
	buf[0] = 'X' // the transport kept a copy
	_ = tr.Connect("::1", 9)
	_ = tr.Write([]byte("two"))
	want := []braidtest.Datagram{{Data: []byte("one"), Addr: to}, {Data: []byte("two")}}
	if diff := cmp.Diff(want, tr.Written); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if tr.Peer.String() != "[::1]:9" {
		t.Errorf("Peer = %v", tr.Peer)
	}
	if d := tr.StopListening(); d == nil || !d.Called() {
		t.Error("first StopListening did not return a fired Deferred")
	}
	if d := tr.StopListening(); d != nil {
		t.Error("second StopListening returned a Deferred")
	}
}

// countingFactory counts what a port or connector tells a client factory.
type countingFactory struct {
	protocol.BaseClientFactory
	starts, stops, connecting int
	failed                    error
}

func (f *countingFactory) StartFactory()                        { f.starts++ }
func (f *countingFactory) StopFactory()                         { f.stops++ }
func (f *countingFactory) StartedConnecting(protocol.Connector) { f.connecting++ }
func (f *countingFactory) ClientConnectionFailed(_ protocol.Connector, r *reactor.Failure) {
	f.failed = r
}

// datagramEcho sends each datagram back where it came from.
type datagramEcho struct {
	protocol.BaseDatagramProtocol
	starts, stops int
}

func (p *datagramEcho) StartProtocol() { p.starts++ }
func (p *datagramEcho) StopProtocol()  { p.stops++ }
func (p *datagramEcho) DatagramReceived(data []byte, addr net.Addr) {
	_ = p.Transport.WriteTo(data, addr)
}
