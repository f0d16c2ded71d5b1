package endpoints_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/endpoints"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// signallingReactor tells the test when a function has been queued with
// CallFromThread, so that it can Iterate then rather than poll.
type signallingReactor struct {
	braidtest.MemoryReactor
	queued chan struct{}
}

func (r *signallingReactor) CallFromThread(f func()) {
	r.MemoryReactor.CallFromThread(f)
	r.queued <- struct{}{}
}

// A TCP6ClientEndpoint given a host name resolves it and then connects;
// cancelling its Deferred during that connection attempt stops the attempt
// (Twisted's Deferred waits on the connect Deferred, so cancel reaches the
// wrapping factory's canceller) and fails with ConnectingCancelledError.
func TestTCP6ClientEndpoint_CancelAfterResolution(t *testing.T) {
	defer endpoints.SetLookupIP6(func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("::1")}, nil
	})()
	r := &signallingReactor{queued: make(chan struct{}, 1)}
	ep := &endpoints.TCP6ClientEndpoint{Reactor: r, Host: "ipv6.example", Port: 80}
	d := ep.Connect(protocol.FactoryFor(func() protocol.Protocol { return &recorder{} }))
	<-r.queued
	r.Iterate(0)
	if len(r.TCPClients) != 1 || r.TCPClients[0].Host != "::1" {
		t.Fatalf("ConnectTCP calls: %+v", r.TCPClients)
	}
	d.Cancel()
	_, err := result(t, d)
	if _, ok := errors.AsType[*endpoints.ConnectingCancelledError](err); !ok {
		t.Errorf("cancelled connect failed with %v, want a *ConnectingCancelledError", err)
	}
	if n := r.TCPClients[0].Connector.StopConnectingCalls; n != 1 {
		t.Errorf("StopConnecting called %d times, want 1", n)
	}
}

// Cancelling while the name resolves fails with CancelledError, and the
// resolution's late answer connects nothing.
func TestTCP6ClientEndpoint_CancelDuringResolution(t *testing.T) {
	release := make(chan struct{})
	defer endpoints.SetLookupIP6(func(context.Context, string) ([]netip.Addr, error) {
		<-release
		return []netip.Addr{netip.MustParseAddr("::1")}, nil
	})()
	r := &signallingReactor{queued: make(chan struct{}, 1)}
	ep := &endpoints.TCP6ClientEndpoint{Reactor: r, Host: "ipv6.example", Port: 80}
	d := ep.Connect(protocol.FactoryFor(func() protocol.Protocol { return &recorder{} }))
	d.Cancel()
	_, err := result(t, d)
	if !errors.Is(err, reactor.ErrCancelled) {
		t.Errorf("cancelled resolution failed with %v, want ErrCancelled", err)
	}
	close(release)
	<-r.queued
	r.Iterate(0)
	if len(r.TCPClients) != 0 {
		t.Errorf("connected after cancel: %+v", r.TCPClients)
	}
}
