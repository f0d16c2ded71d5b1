package braidtest_test

import (
	"errors"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// ListenMulticast is recorded with its arguments; the protocol is started
// on a FakeMulticastTransport that keeps the settings it is given, starting
// from the kernel's defaults, and stops with StopListening.
func TestMemoryReactor_ListenMulticast(t *testing.T) {
	r := braidtest.NewMemoryReactor()
	dp := &datagramEcho{}
	tr, err := r.ListenMulticast(5353, dp, protocol.ListenMulticastOptions{Interface: "127.0.0.1", ListenMultiple: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.MulticastPorts) != 1 {
		t.Fatalf("MulticastPorts = %+v", r.MulticastPorts)
	}
	rec := r.MulticastPorts[0]
	if rec.Port != 5353 || rec.Protocol != dp || !rec.Opts.ListenMultiple || rec.Transport != tr || dp.starts != 1 {
		t.Errorf("record %+v, starts %d", rec, dp.starts)
	}
	if h := tr.GetHost().(*net.UDPAddr); !h.IP.Equal(net.IPv4(127, 0, 0, 1)) || h.Port != 5353 {
		t.Errorf("GetHost = %v", h)
	}
	ttl, _ := tr.GetTTL()
	loop, _ := tr.GetLoopbackMode()
	out, _ := tr.GetOutgoingInterface()
	if ttl != 1 || !loop || out != "0.0.0.0" {
		t.Errorf("defaults: ttl %d loopback %v interface %q", ttl, loop, out)
	}

	tr.JoinGroup("225.0.0.250", "")
	tr.JoinGroup("225.0.0.251", "127.0.0.1")
	tr.JoinGroup("225.0.0.250", "")
	tr.LeaveGroup("225.0.0.251", "127.0.0.1")
	_ = tr.SetTTL(4)
	_ = tr.SetLoopbackMode(false)
	tr.SetOutgoingInterface("127.0.0.1")
	if diff := cmp.Diff([]braidtest.MulticastGroup{{Group: "225.0.0.250"}}, rec.Transport.Groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	ttl, _ = tr.GetTTL()
	loop, _ = tr.GetLoopbackMode()
	out, _ = tr.GetOutgoingInterface()
	if ttl != 4 || loop || out != "127.0.0.1" {
		t.Errorf("after setting: ttl %d loopback %v interface %q", ttl, loop, out)
	}

	dp.DatagramReceived([]byte("q"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9})
	if len(rec.Transport.Written) != 1 {
		t.Errorf("written %+v", rec.Transport.Written)
	}
	tr.StopListening()
	if dp.stops != 1 {
		t.Errorf("StopProtocol ran %d times", dp.stops)
	}
}

// RaisingMemoryReactor's ListenMulticast fails with ListenErr and leaves
// the protocol alone.
func TestRaisingMemoryReactor_ListenMulticast(t *testing.T) {
	boom := errors.New("boom")
	r := &braidtest.RaisingMemoryReactor{ListenErr: boom}
	dp := &datagramEcho{}
	if _, err := r.ListenMulticast(0, dp, protocol.ListenMulticastOptions{}); !errors.Is(err, boom) || dp.starts != 0 {
		t.Errorf("ListenMulticast: %v, starts %d", err, dp.starts)
	}
}
