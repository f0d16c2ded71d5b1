package iosim_test

// The tests of Twisted 22.4's twisted/test/test_iosim.py, one for one, named
// after the originals (17 tests):
//
//	FakeTransportTests        test_connectionSerial, test_writeSequence,
//	                          test_writeAfterClose
//	StrictPushProducerTests   the twelve tests of the test helper itself,
//	                          as subtests of TestStrictPushProducer
//	IOPumpTests               test_serverStreamingProducer,
//	                          test_clientStreamingProducer, as subtests of
//	                          TestIOPump_StreamingProducer
//
// Not ported: none. Every original keeps its meaning in Go:
// StrictPushProducer's violations, which raise ValueError in Twisted, are
// recorded as an error by the Go helper instead, and the subtests check both
// the error and that the state did not change. The behaviour braid adds or
// changes is specified in transport_test.go, pump_test.go, close_test.go
// and completer_test.go.

import (
	"testing"

	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/protocol"
)

// test_connectionSerial: each transport has a number no other has.
func TestFakeTransport_ConnectionSerial(t *testing.T) {
	a := iosim.NewFakeServer(nil)
	b := iosim.NewFakeClient(nil)
	if a.Serial() == b.Serial() {
		t.Errorf("two transports share serial %d", a.Serial())
	}
}

// test_writeSequence: WriteSequence queues each slice after what Write
// queued.
func TestFakeTransport_WriteSequence(t *testing.T) {
	a := iosim.NewFakeClient(nil)
	a.Write([]byte("a"))
	a.WriteSequence([][]byte{[]byte("b"), []byte("c"), []byte("d")})
	if got := string(a.Pending()); got != "abcd" {
		t.Errorf("queued %q, want %q", got, "abcd")
	}
}

// test_writeAfterClose: writes after LoseConnection are accepted and
// dropped.
func TestFakeTransport_WriteAfterClose(t *testing.T) {
	a := iosim.NewFakeClient(nil)
	a.Write([]byte("before"))
	a.LoseConnection()
	a.Write([]byte("after"))
	if got := string(a.Pending()); got != "before" {
		t.Errorf("queued %q, want %q", got, "before")
	}
}

// StrictPushProducerTests: the helper allows exactly the transitions of a
// push producer's life and reports any other call.
func TestStrictPushProducer(t *testing.T) {
	initial := newStrictPushProducer
	stopped := func() *strictPushProducer { p := initial(); p.StopProducing(); return p }
	paused := func() *strictPushProducer { p := initial(); p.PauseProducing(); return p }
	resumed := func() *strictPushProducer { p := paused(); p.ResumeProducing(); return p }
	stop := (*strictPushProducer).StopProducing
	pause := (*strictPushProducer).PauseProducing
	resume := (*strictPushProducer).ResumeProducing

	cases := []struct {
		name      string // the original test, without "test_"
		start     func() *strictPushProducer
		op        func(*strictPushProducer)
		wantState string
		wantErr   bool
	}{
		{"stopThenStop", stopped, stop, "stopped", true},
		{"stopThenPause", stopped, pause, "stopped", true},
		{"stopThenResume", stopped, resume, "stopped", true},
		{"pauseThenStop", paused, stop, "stopped", false},
		{"pauseThenPause", paused, pause, "paused", true},
		{"pauseThenResume", paused, resume, "running", false},
		{"resumeThenStop", resumed, stop, "stopped", false},
		{"resumeThenPause", resumed, pause, "paused", false},
		{"resumeThenResume", resumed, resume, "running", true},
		{"stop", initial, stop, "stopped", false},
		{"pause", initial, pause, "paused", false},
		{"resume", initial, resume, "running", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.start()
			if p.err != nil {
				t.Fatalf("setting up: %v", p.err)
			}
			tc.op(p)
			if p.state != tc.wantState {
				t.Errorf("state %q, want %q", p.state, tc.wantState)
			}
			if gotErr := p.err != nil; gotErr != tc.wantErr {
				t.Errorf("error %v, want an error: %v", p.err, tc.wantErr)
			}
		})
	}
}

// test_serverStreamingProducer, test_clientStreamingProducer: a pump makes
// no call on a streaming producer registered with either transport, so it
// ends as it started, running.
func TestIOPump_StreamingProducer(t *testing.T) {
	for _, mode := range []string{"server", "client"} {
		t.Run(mode+"StreamingProducer", func(t *testing.T) {
			serverProto := &protocol.BaseProtocol{}
			serverTransport := iosim.NewFakeServer(serverProto)
			clientProto := &protocol.BaseProtocol{}
			clientTransport := iosim.NewFakeClient(clientProto)
			pump := iosim.Connect(serverProto, serverTransport, clientProto, clientTransport, iosim.Options{NoGreet: true})

			producer := newStrictPushProducer()
			victim := map[string]*iosim.FakeTransport{"server": serverTransport, "client": clientTransport}[mode]
			if err := victim.RegisterProducer(producer, true); err != nil {
				t.Fatalf("RegisterProducer: %v", err)
			}
			pump.Pump()
			if producer.state != "running" || producer.err != nil {
				t.Errorf("producer %q (error %v), want running without error", producer.state, producer.err)
			}
		})
	}
}
