package iosim_test

import (
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/protocol"
)

// Write keeps a copy: the caller may reuse its slice at once.
func TestFakeTransport_WriteCopies(t *testing.T) {
	a := iosim.NewFakeClient(nil)
	b := []byte("abc")
	a.Write(b)
	copy(b, "xyz")
	a.WriteSequence([][]byte{b})
	b[0] = '!'
	if got := string(a.Pending()); got != "abcxyz" {
		t.Errorf("queued %q, want %q", got, "abcxyz")
	}
}

// AbortConnection drops the queue and every later write.
func TestFakeTransport_AbortDropsQueue(t *testing.T) {
	a := iosim.NewFakeClient(nil)
	a.Write([]byte("queued"))
	a.AbortConnection()
	a.Write([]byte("after"))
	if got := a.Pending(); len(got) != 0 {
		t.Errorf("queued %q after AbortConnection, want nothing", got)
	}
	if !a.Disconnecting() || a.Disconnected() {
		t.Errorf("Disconnecting %v, Disconnected %v; want true, false until a pump tells the protocol", a.Disconnecting(), a.Disconnected())
	}
}

// The default addresses of the two roles mirror each other, and
// ConnectedServerAndClient hands each factory the other end's address.
func TestFakeTransport_Addresses(t *testing.T) {
	server := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 4321}
	client := &net.TCPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 54321}
	st, ct := iosim.NewFakeServer(nil), iosim.NewFakeClient(nil)
	got := []net.Addr{st.GetHost(), st.GetPeer(), ct.GetHost(), ct.GetPeer()}
	if diff := cmp.Diff([]string{server.String(), client.String(), client.String(), server.String()}, addrStrings(got)); diff != "" {
		t.Errorf("default addresses (-want +got):\n%s", diff)
	}

	cases := []struct {
		name                   string
		opts                   iosim.Options
		wantServer, wantClient string
	}{
		{"defaults", iosim.Options{}, server.String(), client.String()},
		{"chosen", iosim.Options{
			ServerAddr: &net.TCPAddr{IP: net.IPv4(203, 0, 113, 5), Port: 80},
			ClientAddr: &net.TCPAddr{IP: net.IPv4(203, 0, 113, 6), Port: 40000},
		}, "203.0.113.5:80", "203.0.113.6:40000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var built []net.Addr
			factory := func() protocol.Factory {
				return &addrFactory{built: &built}
			}
			client, server, _ := iosim.ConnectedServerAndClient(factory(), factory(), tc.opts)
			ct := client.(*protocol.BaseProtocol).Transport
			st := server.(*protocol.BaseProtocol).Transport
			got := addrStrings(append(built, st.GetHost(), st.GetPeer(), ct.GetHost(), ct.GetPeer()))
			// The client is built first, as in Twisted, and given the
			// server's address.
			want := []string{tc.wantServer, tc.wantClient, tc.wantServer, tc.wantClient, tc.wantClient, tc.wantServer}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("addresses: BuildProtocol client, server; server host, peer; client host, peer (-want +got):\n%s", diff)
			}
		})
	}
}

// addrFactory records the address each BuildProtocol is given.
type addrFactory struct {
	protocol.BaseFactory
	built *[]net.Addr
}

func (f *addrFactory) BuildProtocol(addr net.Addr) protocol.Protocol {
	*f.built = append(*f.built, addr)
	return &protocol.BaseProtocol{}
}

func addrStrings(addrs []net.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

// The TCP options are flags the transport records.
func TestFakeTransport_TCPFlags(t *testing.T) {
	a := iosim.NewFakeClient(nil)
	read := func() []bool {
		nd, err1 := a.GetTCPNoDelay()
		ka, err2 := a.GetTCPKeepAlive()
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("getting the flags: %v", err)
		}
		return []bool{nd, ka}
	}
	if diff := cmp.Diff([]bool{false, false}, read()); diff != "" {
		t.Errorf("initial flags (-want +got):\n%s", diff)
	}
	if err := errors.Join(a.SetTCPNoDelay(true), a.SetTCPKeepAlive(true)); err != nil {
		t.Fatalf("setting the flags: %v", err)
	}
	if diff := cmp.Diff([]bool{true, true}, read()); diff != "" {
		t.Errorf("flags once set (-want +got):\n%s", diff)
	}
}

// RegisterProducer follows protocol.Consumer: one producer at a time, a
// streaming one must be able to pause, a pull producer is resumed at once.
func TestFakeTransport_RegisterProducer(t *testing.T) {
	log := &events{}
	a := iosim.NewFakeClient(nil)
	if err := a.RegisterProducer(&onlyProducer{}, true); !errors.Is(err, protocol.ErrNotPushProducer) {
		t.Errorf("streaming producer without PauseProducing: %v, want ErrNotPushProducer", err)
	}
	pull := &pullProducer{t: a, chunks: []string{"x"}, log: log}
	if err := a.RegisterProducer(pull, false); err != nil {
		t.Fatalf("RegisterProducer: %v", err)
	}
	if err := a.RegisterProducer(newStrictPushProducer(), true); !errors.Is(err, protocol.ErrProducerRegistered) {
		t.Errorf("second producer: %v, want ErrProducerRegistered", err)
	}
	if p, streaming := a.Producer(); p != pull || streaming {
		t.Errorf("Producer() = %v, %v; want the pull producer, false", p, streaming)
	}
	if diff := cmp.Diff(events{"producer resumed"}, *log); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := string(a.Pending()); got != "x" {
		t.Errorf("queued %q, want the producer's %q", got, "x")
	}
	a.UnregisterProducer()
	if p, _ := a.Producer(); p != nil {
		t.Errorf("Producer() = %v after UnregisterProducer, want nil", p)
	}
}

// onlyProducer is a Producer that cannot pause.
type onlyProducer struct{}

func (onlyProducer) ResumeProducing() {}
func (onlyProducer) StopProducing()   {}

// StopProducing is LoseConnection, as in Twisted; pausing is recorded.
func TestFakeTransport_ProducerMethods(t *testing.T) {
	a := iosim.NewFakeServer(nil)
	a.PauseProducing()
	if !a.Paused() {
		t.Error("not Paused after PauseProducing")
	}
	a.ResumeProducing()
	if a.Paused() {
		t.Error("Paused after ResumeProducing")
	}
	a.StopProducing()
	if !a.Disconnecting() {
		t.Error("StopProducing did not start closing the connection")
	}
}

// String tells transports apart by role and serial, and names the
// protocol's type.
func TestFakeTransport_String(t *testing.T) {
	a := iosim.NewFakeServer(&protocol.BaseProtocol{})
	want := "iosim.FakeTransport(server #" + strconv.FormatUint(a.Serial(), 10) + ", *protocol.BaseProtocol)"
	if got := a.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if !a.IsServer() || iosim.NewFakeClient(nil).IsServer() {
		t.Error("IsServer does not follow the constructor")
	}
}
