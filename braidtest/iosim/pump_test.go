package iosim_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// pumpAll pumps until a pump moves nothing, logging each pump's result
// after the events it caused.
func pumpAll(t *testing.T, pump *iosim.IOPump, log *events) {
	t.Helper()
	for range 20 {
		moved := pump.Pump()
		log.add("pump: %v", moved)
		if !moved {
			return
		}
	}
	t.Fatal("still pumping after 20 pumps")
}

func checkEvents(t *testing.T, want events, got *events) {
	t.Helper()
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// ConnectedServerAndClient connects the server first, then the client, and
// flushes their greetings; the client's bytes reach the server first.
func TestConnectedServerAndClient_Greets(t *testing.T) {
	log := &events{}
	server := &tracer{name: "s", log: log, onMade: func(p *tracer) { p.write("hello") }}
	client := &tracer{name: "c", log: log,
		onMade: func(p *tracer) { p.write("hi") },
		onData: func(p *tracer, b []byte) { p.write("nice to meet you") },
	}
	pump := connectPair(iosim.Options{}, server, client)
	checkEvents(t, events{
		"s made", "c made",
		`s got "hi"`, `c got "hello"`,
		`s got "nice to meet you"`,
	}, log)
	if pump.Flush() {
		t.Error("Flush after the greeting moved something")
	}
	if pump.Client != client || pump.Server != server || pump.ClientIO != client.Transport || pump.ServerIO != server.Transport {
		t.Error("the pump does not name the protocols and transports it joins")
	}
}

// Options.NoGreet (Twisted's greet=False) leaves the greetings queued;
// Connect binds the protocols and gives a transport made without one its
// protocol.
func TestConnect_NoGreet(t *testing.T) {
	log := &events{}
	server := &tracer{name: "s", log: log, onMade: func(p *tracer) { p.write("hello") }}
	client := &tracer{name: "c", log: log}
	st, ct := iosim.NewFakeServer(nil), iosim.NewFakeClient(client)
	pump := iosim.Connect(server, st, client, ct, iosim.Options{NoGreet: true})
	if st.Protocol() != server {
		t.Errorf("server transport's protocol is %v, want the server", st.Protocol())
	}
	if got := string(st.Pending()); got != "hello" {
		t.Errorf("server queued %q, want the greeting still there", got)
	}
	pumpAll(t, pump, log)
	checkEvents(t, events{"s made", "c made", `c got "hello"`, "pump: true", "pump: false"}, log)
}

// Each Pump moves what was written before it once; what the protocols write
// in response moves on the next.
func TestIOPump_PumpMovesOnce(t *testing.T) {
	log := &events{}
	countDown := func(p *tracer, b []byte) {
		if n, _ := strconv.Atoi(string(b)); n > 0 {
			p.write(strconv.Itoa(n - 1))
		}
	}
	server := &tracer{name: "s", log: log, onData: countDown}
	client := &tracer{name: "c", log: log, onData: countDown}
	pump := connectPair(iosim.Options{NoGreet: true}, server, client)
	client.write("3")
	pumpAll(t, pump, log)
	checkEvents(t, events{
		"s made", "c made",
		`s got "3"`, "pump: true",
		`c got "2"`, "pump: true",
		`s got "1"`, "pump: true",
		`c got "0"`, "pump: true",
		"pump: false",
	}, log)
}

// A pull producer is resumed on every pump, after the queues were taken, so
// what it writes moves on the next (this one unregisters when it has nothing
// left); once the connection is lost the producer is stopped.
func TestIOPump_PullProducer(t *testing.T) {
	log := &events{}
	server := &tracer{name: "s", log: log}
	client := &tracer{name: "c", log: log}
	pump := connectPair(iosim.Options{}, server, client)
	*log = nil
	producer := &pullProducer{t: client.tcp(), chunks: []string{"a", "b"}, log: log}
	if err := client.tcp().RegisterProducer(producer, false); err != nil {
		t.Fatalf("RegisterProducer: %v", err)
	}
	pumpAll(t, pump, log)
	checkEvents(t, events{
		"producer resumed",
		"producer resumed", `s got "a"`, "pump: true",
		"producer resumed", `s got "b"`, "pump: true",
		"pump: false",
	}, log)

	*log = nil
	client.Transport.LoseConnection()
	producer.chunks = []string{"dropped", "dropped", "dropped"}
	if err := client.tcp().RegisterProducer(producer, false); err != nil {
		t.Fatalf("RegisterProducer again: %v", err)
	}
	pumpAll(t, pump, log)
	checkEvents(t, events{
		"producer resumed",
		"producer resumed", "s lost: done", "pump: true",
		"producer resumed", "producer stopped", "c lost: done", "pump: true",
		"pump: false",
	}, log)
}

// A streaming producer is never paused or resumed by the pump, and is
// stopped, once, when the connection is lost.
func TestIOPump_StreamingProducerStoppedOnLoss(t *testing.T) {
	server := &protocol.BaseProtocol{}
	client := &protocol.BaseProtocol{}
	_, _, pump := iosim.ConnectedServerAndClient(factoryOf(server), factoryOf(client), iosim.Options{})
	producer := newStrictPushProducer()
	st := server.Transport.(*iosim.FakeTransport)
	if err := st.RegisterProducer(producer, true); err != nil {
		t.Fatalf("RegisterProducer: %v", err)
	}
	client.Transport.Write(bytes.Repeat([]byte("x"), 1<<20))
	client.Transport.LoseConnection()
	pump.Flush()
	if producer.state != "stopped" || producer.err != nil {
		t.Errorf("producer %q (error %v), want stopped without error", producer.state, producer.err)
	}
	if p, _ := st.Producer(); p != nil {
		t.Errorf("producer still registered after the connection was lost: %v", p)
	}
	late := newStrictPushProducer()
	if err := st.RegisterProducer(late, true); err != nil || late.state != "stopped" {
		t.Errorf("producer registered after the loss: error %v, state %q; want it stopped at once", err, late.state)
	}
}

// With a Clock, every pump starts by advancing it by 0, so calls scheduled
// with CallLater(0) run between pumps; the WithoutClock forms leave it
// alone (Twisted's advanceClock=False).
func TestIOPump_AdvancesClock(t *testing.T) {
	clock := reactor.NewClock()
	log := &events{}
	// The server buffers its replies and sends them from a CallLater(0),
	// as Twisted's TLS does with small writes.
	server := &tracer{name: "s", log: log, onData: func(p *tracer, b []byte) {
		clock.CallLater(0, func() { p.write(strings.ToUpper(string(b))) })
	}}
	client := &tracer{name: "c", log: log}
	pump := connectPair(iosim.Options{Clock: clock}, server, client)
	*log = nil
	client.write("hello")
	if !pump.FlushWithoutClock() {
		t.Error("FlushWithoutClock moved nothing")
	}
	if n := len(clock.GetDelayedCalls()); n != 1 {
		t.Errorf("%d calls pending after FlushWithoutClock, want the reply's", n)
	}
	if pump.PumpWithoutClock() {
		t.Error("PumpWithoutClock ran the pending call")
	}
	pump.Flush()
	checkEvents(t, events{`s got "hello"`, `c got "HELLO"`}, log)
	if pump.Clock != iosim.Clock(clock) {
		t.Error("Options.Clock did not become the pump's Clock")
	}
}

// Flush gives up, panicking, after 1000 pumps that all moved something.
func TestIOPump_FlushGivesUpAfter1000Pumps(t *testing.T) {
	echo := func(p *tracer, b []byte) { p.write("again") }
	log := &events{}
	server := &tracer{name: "s", log: log, onData: echo}
	client := &tracer{name: "c", log: log, onData: echo}
	pump := connectPair(iosim.Options{NoGreet: true}, server, client)
	client.write("go")
	defer func() {
		v := recover()
		if msg, _ := v.(string); !strings.Contains(msg, "1000 pumps") {
			t.Errorf("Flush panicked with %v, want a message naming the 1000 pumps", v)
		}
		if n := strings.Count(strings.Join(*log, "\n"), "got"); n != 1000 {
			t.Errorf("%d deliveries before giving up, want 1000", n)
		}
	}()
	pump.Flush()
	t.Error("Flush returned")
}

// Debug receives a line per pump and per thing moved.
func TestIOPump_Debug(t *testing.T) {
	var trace bytes.Buffer
	server := &tracer{name: "s", log: &events{}, onMade: func(p *tracer) { p.write("hello") }}
	client := &tracer{name: "c", log: &events{}, onData: func(p *tracer, b []byte) {
		p.tcp().LoseConnection()
	}}
	connectPair(iosim.Options{Debug: &trace}, server, client)
	want := strings.Join([]string{
		"-- pump --",
		`S->C "hello"`,
		"-- pump --",
		"S lost: connection was closed cleanly",
		"-- pump --",
		"C lost: connection was closed cleanly",
		"-- pump --",
		"",
	}, "\n")
	if diff := cmp.Diff(want, trace.String()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// A factory that builds no protocol refuses the connection: the other end
// is connected, then loses the connection cleanly.
func TestConnectedServerAndClient_Refused(t *testing.T) {
	refuse := protocol.FactoryFor(func() protocol.Protocol { return nil })
	t.Run("server refuses", func(t *testing.T) {
		log := &events{}
		c := &tracer{name: "c", log: log}
		client, server, _ := iosim.ConnectedServerAndClient(refuse, factoryOf(c), iosim.Options{})
		if server != nil || client != c {
			t.Errorf("got client %v, server %v; want the tracer and nil", client, server)
		}
		checkEvents(t, events{"c made", "c lost: done"}, log)
	})
	t.Run("client refuses", func(t *testing.T) {
		log := &events{}
		s := &tracer{name: "s", log: log}
		client, server, _ := iosim.ConnectedServerAndClient(factoryOf(s), refuse, iosim.Options{})
		if server != s || client != nil {
			t.Errorf("got client %v, server %v; want nil and the tracer", client, server)
		}
		checkEvents(t, events{"s made", "s lost: done"}, log)
	})
}

// The zero Options give a pump without a clock; a *reactor.Clock, or a fake
// reactor embedding one, serves as its Clock.
func TestIOPump_ClockInterface(t *testing.T) {
	var _ iosim.Clock = reactor.NewClock()
	var _ iosim.Clock = struct{ *reactor.Clock }{reactor.NewClock()}
	_, _, pump := iosim.ConnectedServerAndClient(factoryOf(&protocol.BaseProtocol{}), factoryOf(&protocol.BaseProtocol{}), iosim.Options{})
	if pump.Clock != nil {
		t.Errorf("pump.Clock = %v, want nil by default", pump.Clock)
	}
}
