package iosim_test

import (
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// SucceedOnce joins the oldest pending connect with the first listener on
// its port and takes that connect off the list; connects to ports nobody
// listens on stay pending.
func TestConnectionCompleter_SucceedOnce(t *testing.T) {
	log := &events{}
	r := &recordingReactor{}
	if _, err := r.ListenTCP(8080, factoryOf(&tracer{name: "s", log: log, onMade: func(p *tracer) { p.write("welcome") }}), protocol.ListenTCPOptions{}); err != nil {
		t.Fatal(err)
	}
	nowhere := &clientFactory{log: log}
	nowhere.Protocol = func() protocol.Protocol { return &tracer{name: "lost", log: log} }
	r.ConnectTCP("192.0.2.7", 9999, nowhere, protocol.ConnectTCPOptions{})
	client := &clientFactory{log: log}
	client.Protocol = func() protocol.Protocol { return &tracer{name: "c", log: log} }
	r.ConnectTCP("192.0.2.7", 8080, client, protocol.ConnectTCPOptions{})

	cc := iosim.NewConnectionCompleter(r)
	pump := cc.SucceedOnce(iosim.Options{})
	if pump == nil {
		t.Fatal("SucceedOnce found nothing to connect")
	}
	checkEvents(t, events{"s made", "c made", `c got "welcome"`}, log)
	if got := pump.ClientIO.GetPeer().String(); got != "192.0.2.7:8080" {
		t.Errorf("client's peer %s, want the recorded destination", got)
	}
	if got := pump.Client.(*tracer).Factory; got != client {
		t.Errorf("client protocol's Factory is %v, want the client factory", got)
	}
	if n := len(r.connects); n != 1 || r.connects[0].Port != 9999 {
		t.Errorf("pending connects %+v, want only the one to port 9999", r.connects)
	}
	if again := cc.SucceedOnce(iosim.Options{}); again != nil {
		t.Errorf("SucceedOnce connected %v to a port nobody listens on", again)
	}
}

// FailOnce fails the oldest pending connect, by default as refused.
func TestConnectionCompleter_FailOnce(t *testing.T) {
	log := &events{}
	r := &recordingReactor{}
	first := &clientFactory{log: log}
	second := &clientFactory{log: log}
	r.ConnectTCP("192.0.2.7", 1, first, protocol.ConnectTCPOptions{})
	r.ConnectTCP("192.0.2.7", 2, second, protocol.ConnectTCPOptions{})
	cc := iosim.NewConnectionCompleter(r)

	var refused *protocol.ConnectionRefusedError
	first.failed = func(reason *reactor.Failure) {
		if !errors.As(reason, &refused) || !errors.Is(reason, syscall.ECONNREFUSED) {
			t.Errorf("default reason %v, want a ConnectionRefusedError for ECONNREFUSED", reason)
		}
	}
	if !cc.FailOnce(nil) {
		t.Fatal("FailOnce found nothing to fail")
	}
	errTimeout := &protocol.TimeoutError{}
	if !cc.FailOnce(reactor.NewFailure(errTimeout)) {
		t.Fatal("FailOnce found nothing to fail the second time")
	}
	if cc.FailOnce(nil) {
		t.Error("FailOnce failed a connect that was not pending")
	}
	want := events{
		"failed to connect to 192.0.2.7:1: " + (&protocol.ConnectionRefusedError{OSError: syscall.ECONNREFUSED}).Error(),
		"failed to connect to 192.0.2.7:2: " + errTimeout.Error(),
	}
	checkEvents(t, want, log)
}

// The server's address comes from the record when the host is an IP
// address, from Options when set there.
func TestConnectionCompleter_Addresses(t *testing.T) {
	cases := []struct {
		name, host string
		opts       iosim.Options
		want       string
	}{
		{"IP literal", "203.0.113.9", iosim.Options{}, "203.0.113.9:80"},
		{"host name", "example.com", iosim.Options{}, "192.0.2.1:80"},
		{"chosen", "203.0.113.9", iosim.Options{ServerAddr: &net.TCPAddr{IP: net.IPv4(198, 51, 100, 80), Port: 8000}}, "198.51.100.80:8000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &recordingReactor{}
			_, _ = r.ListenTCP(80, factoryOf(&protocol.BaseProtocol{}), protocol.ListenTCPOptions{})
			r.ConnectTCP(tc.host, 80, protocol.ClientFactoryFor(func() protocol.Protocol { return &protocol.BaseProtocol{} }), protocol.ConnectTCPOptions{})
			pump := iosim.NewConnectionCompleter(r).SucceedOnce(tc.opts)
			if got := pump.ServerIO.GetHost().String(); got != tc.want {
				t.Errorf("server address %s, want %s", got, tc.want)
			}
			if got := pump.ClientIO.GetPeer().String(); got != tc.want {
				t.Errorf("client's peer %s, want %s", got, tc.want)
			}
		})
	}
}
