package braidtest_test

// This file ports twisted/internet/test/test_testing.py (Twisted 22.4), 40
// tests. Each ported test is named after its original (a subtest, where a
// table gathers repeating cases).
//
// Ported as compile-time assertions (interfaces_test.go and the `var _`
// lines beside each type), the Go counterpart of zope.interface's
// verifyObject:
//   - StringTransportTests.test_interfaces
//   - ReactorTests.test_memoryReactorProvides
//   - ReactorTests.test_raisingReactorProvides
//
// Ported in part: test_connectDestination and test_listenDefaultHost keep
// their TCP half here and their SSL half in ssl_test.go; connectUNIX and
// listenUNIX are not in MemoryReactor yet.
//
// Not ported, with why:
//   - DeprecationTests (14 tests: test_accumulatingProtocol,
//     test_lineSendingProtocol, test_fakeDatagramTransport,
//     test_stringTransport, test_stringTransportWithDisconnection,
//     test_stringIOWithoutClosing, test__fakeConnector, test__fakePort,
//     test_memoryReactor, test_memoryReactorClock, test_raisingMemoryReactor,
//     test_nonStreamingProducer, test_waitUntilAllDisconnected,
//     test_eventLoggingObserver): they check that importing the old
//     twisted.test.proto_helpers names emits a DeprecationWarning. braidtest
//     has one name per double and no deprecated aliases or import-time
//     warnings.

import (
	"errors"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// panicValue runs f and returns what it panicked with, or nil.
func panicValue(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// mustPanicWith fails the test unless f panics with an error wrapping want
// (Twisted's assertRaises(RuntimeError, ...)).
func mustPanicWith(t *testing.T, want error, f func()) {
	t.Helper()
	v := panicValue(f)
	err, ok := v.(error)
	if !ok || !errors.Is(err, want) {
		t.Fatalf("panic value = %v, want an error wrapping %v", v, want)
	}
}

// pushProducer is a protocol.PushProducer that does nothing, standing in
// for Twisted's object().
type pushProducer struct{ name string }

func (*pushProducer) PauseProducing()  {}
func (*pushProducer) ResumeProducing() {}
func (*pushProducer) StopProducing()   {}

// StringTransportTests.test_registerProducer: RegisterProducer records its
// arguments.
func TestStringTransport_RegisterProducer(t *testing.T) {
	for _, streaming := range []bool{true, false} {
		tr := &braidtest.StringTransport{}
		p := &pushProducer{}
		if err := tr.RegisterProducer(p, streaming); err != nil {
			t.Fatalf("RegisterProducer(p, %v) = %v", streaming, err)
		}
		if tr.Producer != p || tr.Streaming != streaming {
			t.Errorf("after RegisterProducer(p, %v): Producer = %v, Streaming = %v", streaming, tr.Producer, tr.Streaming)
		}
	}
}

// StringTransportTests.test_disallowedRegisterProducer: a second producer
// is refused, and the first stays.
func TestStringTransport_DisallowedRegisterProducer(t *testing.T) {
	tr := &braidtest.StringTransport{}
	first := &pushProducer{name: "first"}
	if err := tr.RegisterProducer(first, true); err != nil {
		t.Fatal(err)
	}
	if err := tr.RegisterProducer(&pushProducer{name: "second"}, false); !errors.Is(err, protocol.ErrProducerRegistered) {
		t.Fatalf("second RegisterProducer = %v, want ErrProducerRegistered", err)
	}
	if tr.Producer != first || !tr.Streaming {
		t.Errorf("Producer = %v, Streaming = %v; want the first, true", tr.Producer, tr.Streaming)
	}
}

// StringTransportTests.test_unregisterProducer: UnregisterProducer forgets
// the producer, and another may be registered.
func TestStringTransport_UnregisterProducer(t *testing.T) {
	tr := &braidtest.StringTransport{}
	if err := tr.RegisterProducer(&pushProducer{name: "old"}, false); err != nil {
		t.Fatal(err)
	}
	tr.UnregisterProducer()
	if tr.Producer != nil {
		t.Fatalf("Producer = %v after UnregisterProducer, want nil", tr.Producer)
	}
	second := &pushProducer{name: "new"}
	if err := tr.RegisterProducer(second, true); err != nil {
		t.Fatal(err)
	}
	if tr.Producer != second || !tr.Streaming {
		t.Errorf("Producer = %v, Streaming = %v; want the new one, true", tr.Producer, tr.Streaming)
	}
}

// StringTransportTests.test_invalidUnregisterProducer: UnregisterProducer
// with nothing registered is a mistake (RuntimeError in Twisted, a panic
// here).
func TestStringTransport_InvalidUnregisterProducer(t *testing.T) {
	tr := &braidtest.StringTransport{}
	mustPanicWith(t, braidtest.ErrNoProducer, tr.UnregisterProducer)
}

// StringTransportTests.test_initialProducerState, test_pauseProducing,
// test_resumeProducing and test_stopProducing: the producer state follows
// the last call.
func TestStringTransport_ProducerState(t *testing.T) {
	cases := []struct {
		name  string
		calls func(tr *braidtest.StringTransport)
		want  braidtest.ProducerState
		words string
	}{
		{"InitialProducerState", func(*braidtest.StringTransport) {}, braidtest.Producing, "producing"},
		{"PauseProducing", func(tr *braidtest.StringTransport) { tr.PauseProducing() }, braidtest.Paused, "paused"},
		{"ResumeProducing", func(tr *braidtest.StringTransport) { tr.PauseProducing(); tr.ResumeProducing() }, braidtest.Producing, "producing"},
		{"StopProducing", func(tr *braidtest.StringTransport) { tr.StopProducing() }, braidtest.Stopped, "stopped"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &braidtest.StringTransport{}
			c.calls(tr)
			if tr.ProducerState != c.want || tr.ProducerState.String() != c.words {
				t.Errorf("ProducerState = %v (%q), want %v (%q)", int(tr.ProducerState), tr.ProducerState, int(c.want), c.words)
			}
		})
	}
}

// StringTransportTests.test_stoppedTransportCannotPause,
// test_stoppedTransportCannotResume, test_disconnectingTransportCannotPause
// and test_disconnectingTransportCannotResume: once stopped, or once
// LoseConnection was called, the transport refuses to pause or resume.
func TestStringTransport_CannotPauseOrResume(t *testing.T) {
	stop := func(tr *braidtest.StringTransport) { tr.StopProducing() }
	lose := func(tr *braidtest.StringTransport) { tr.LoseConnection() }
	pause := func(tr *braidtest.StringTransport) { tr.PauseProducing() }
	resume := func(tr *braidtest.StringTransport) { tr.ResumeProducing() }
	cases := []struct {
		name         string
		before, call func(tr *braidtest.StringTransport)
		want         error
	}{
		{"StoppedTransportCannotPause", stop, pause, braidtest.ErrProducerStopped},
		{"StoppedTransportCannotResume", stop, resume, braidtest.ErrProducerStopped},
		{"DisconnectingTransportCannotPause", lose, pause, braidtest.ErrDisconnecting},
		{"DisconnectingTransportCannotResume", lose, resume, braidtest.ErrDisconnecting},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &braidtest.StringTransport{}
			c.before(tr)
			mustPanicWith(t, c.want, func() { c.call(tr) })
		})
	}
}

// StringTransportTests.test_loseConnectionSetsDisconnecting.
func TestStringTransport_LoseConnectionSetsDisconnecting(t *testing.T) {
	tr := &braidtest.StringTransport{}
	if tr.Disconnecting {
		t.Fatal("Disconnecting before LoseConnection")
	}
	tr.LoseConnection()
	if !tr.Disconnecting {
		t.Fatal("Disconnecting false after LoseConnection")
	}
}

// StringTransportTests.test_specifiedHostAddress,
// test_specifiedPeerAddress, test_defaultHostAddress and
// test_defaultPeerAddress: the addresses given are reported; without them,
// IPv4 TCP addresses (Twisted's defaults).
func TestStringTransport_Addresses(t *testing.T) {
	given := &net.UnixAddr{Name: "/given", Net: "unix"}
	cases := []struct {
		name string
		got  net.Addr
		want net.Addr
	}{
		{"SpecifiedHostAddress", braidtest.NewStringTransport(given, nil).GetHost(), given},
		{"SpecifiedPeerAddress", braidtest.NewStringTransport(nil, given).GetPeer(), given},
		{"DefaultHostAddress", (&braidtest.StringTransport{}).GetHost(), &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 12345}},
		{"DefaultPeerAddress", (&braidtest.StringTransport{}).GetPeer(), &net.TCPAddr{IP: net.IPv4(192, 168, 1, 1), Port: 54321}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.want == given {
				if c.got != given {
					t.Errorf("got %v, want the very address given", c.got)
				}
				return
			}
			if diff := cmp.Diff(c.want, c.got); diff != "" {
				t.Errorf("address (-want +got):\n%s", diff)
			}
			if a, ok := c.got.(*net.TCPAddr); !ok || a.IP.To4() == nil {
				t.Errorf("got %#v, want an IPv4 *net.TCPAddr", c.got)
			}
		})
	}
}

// ReactorTests.test_connectDestination (its TCP half): the connector's
// destination reflects what ConnectTCP was given. A *net.TCPAddr cannot
// hold a host name (braid's real connector reports a nil IP then), so the
// name is checked on the record and the connector.
func TestMemoryReactor_ConnectDestination(t *testing.T) {
	cases := []struct {
		host   string
		wantIP net.IP
	}{
		{"test.example.com", nil},
		{"192.0.2.7", net.ParseIP("192.0.2.7")},
		{"::1", net.ParseIP("::1")},
	}
	for _, c := range cases {
		t.Run(c.host, func(t *testing.T) {
			r := braidtest.NewMemoryReactor()
			conn := r.ConnectTCP(c.host, 8321, protocol.ClientFactoryFor(nil), protocol.ConnectTCPOptions{})
			want := &net.TCPAddr{IP: c.wantIP, Port: 8321}
			if diff := cmp.Diff(want, conn.GetDestination()); diff != "" {
				t.Errorf("GetDestination (-want +got):\n%s", diff)
			}
			fc, ok := conn.(*braidtest.FakeConnector)
			if !ok {
				t.Fatalf("ConnectTCP returned %T, want *braidtest.FakeConnector", conn)
			}
			if fc.Host != c.host || r.TCPClients[0].Host != c.host || r.TCPClients[0].Connector != fc {
				t.Errorf("host recorded as %q (connector) and %q (record), want %q", fc.Host, r.TCPClients[0].Host, c.host)
			}
		})
	}
}

// ReactorTests.test_listenDefaultHost (its TCP half): a port listened on
// without an interface reports 0.0.0.0 and the port given.
func TestMemoryReactor_ListenDefaultHost(t *testing.T) {
	r := braidtest.NewMemoryReactor()
	port, err := r.ListenTCP(8242, protocol.FactoryFor(nil), protocol.ListenTCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &net.TCPAddr{IP: net.IPv4zero, Port: 8242}
	if diff := cmp.Diff(want, port.GetHost()); diff != "" {
		t.Errorf("GetHost (-want +got):\n%s", diff)
	}
}

// fakeDescriptor is a reactor.ReadDescriptor and WriteDescriptor that is
// never called (Twisted's tests use object()).
type fakeDescriptor struct{ fd int }

func (d *fakeDescriptor) Fileno() int                     { return d.fd }
func (d *fakeDescriptor) ConnectionLost(*reactor.Failure) {}
func (d *fakeDescriptor) DoRead() error                   { return nil }
func (d *fakeDescriptor) DoWrite() error                  { return nil }

// ReactorTests.test_readers and test_writers: adding twice lists once;
// removing empties the set.
func TestMemoryReactor_ReadersAndWriters(t *testing.T) {
	cases := []struct {
		name   string
		add    func(r *braidtest.MemoryReactor, d *fakeDescriptor)
		remove func(r *braidtest.MemoryReactor, d *fakeDescriptor)
		list   func(r *braidtest.MemoryReactor) []any
	}{
		{
			"Readers",
			func(r *braidtest.MemoryReactor, d *fakeDescriptor) { _ = r.AddReader(d) },
			func(r *braidtest.MemoryReactor, d *fakeDescriptor) { r.RemoveReader(d) },
			func(r *braidtest.MemoryReactor) []any { return toAny(r.GetReaders()) },
		},
		{
			"Writers",
			func(r *braidtest.MemoryReactor, d *fakeDescriptor) { _ = r.AddWriter(d) },
			func(r *braidtest.MemoryReactor, d *fakeDescriptor) { r.RemoveWriter(d) },
			func(r *braidtest.MemoryReactor) []any { return toAny(r.GetWriters()) },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := braidtest.NewMemoryReactor()
			d := &fakeDescriptor{fd: 7}
			c.add(r, d)
			c.add(r, d)
			if got := c.list(r); len(got) != 1 || got[0] != any(d) {
				t.Fatalf("after adding twice: %v, want [%v]", got, d)
			}
			c.remove(r, d)
			if got := c.list(r); len(got) != 0 {
				t.Fatalf("after removing: %v, want none", got)
			}
		})
	}
}

func toAny[S ~[]E, E any](s S) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// testConsumer ports NonStreamingProducerTests' TestConsumer: it records
// its writes and producer.
type testConsumer struct {
	writes            []string
	producer          protocol.Producer
	producerStreaming bool
}

func (c *testConsumer) RegisterProducer(p protocol.Producer, streaming bool) error {
	c.producer, c.producerStreaming = p, streaming
	return nil
}

func (c *testConsumer) UnregisterProducer() { c.producer, c.producerStreaming = nil, false }

func (c *testConsumer) Write(data []byte) { c.writes = append(c.writes, string(data)) }

// NonStreamingProducerTests.test_producesOnly10Times: ten ResumeProducing
// calls write the counter each time; the producer then unregisters itself,
// and an eleventh call fails.
func TestNonStreamingProducer_ProducesOnly10Times(t *testing.T) {
	consumer := &testConsumer{}
	producer := braidtest.NewNonStreamingProducer(consumer)
	if err := consumer.RegisterProducer(producer, false); err != nil {
		t.Fatal(err)
	}
	if consumer.producer != producer || producer.Consumer != consumer || consumer.producerStreaming {
		t.Fatal("the producer and the consumer do not know each other as a pull pair")
	}
	for range 10 {
		producer.ResumeProducing()
	}
	want := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	if diff := cmp.Diff(want, consumer.writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if consumer.producer != nil || consumer.producerStreaming || producer.Consumer != nil {
		t.Error("the producer did not unregister itself after ten writes")
	}
	if !producer.Result.Called() {
		t.Error("Result has not fired after ten writes")
	}
	mustPanicWith(t, braidtest.ErrProducerDone, producer.ResumeProducing)
}

// NonStreamingProducerTests.test_cannotPauseProduction: a pull producer
// cannot be paused. Twisted's pauseProducing raises; here the method does
// not exist, so the producer is no PushProducer and a consumer refuses it
// as streaming.
func TestNonStreamingProducer_CannotPauseProduction(t *testing.T) {
	consumer := &testConsumer{}
	producer := braidtest.NewNonStreamingProducer(consumer)
	if err := consumer.RegisterProducer(producer, false); err != nil {
		t.Fatal(err)
	}
	producer.ResumeProducing()
	if _, ok := any(producer).(protocol.PushProducer); ok {
		t.Fatal("NonStreamingProducer is a PushProducer; it must not be pausable")
	}
	tr := &braidtest.StringTransport{}
	if err := tr.RegisterProducer(producer, true); !errors.Is(err, protocol.ErrNotPushProducer) {
		t.Fatalf("RegisterProducer(nonStreaming, true) = %v, want ErrNotPushProducer", err)
	}
}
