package iosim_test

import (
	"errors"
	"fmt"
	"net"

	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

var _ protocol.TCPTransport = (*iosim.FakeTransport)(nil)

// events collects what the protocols of a test saw, in order, as
// "name what" lines that cmp.Diff can compare.
type events []string

func (e *events) add(format string, args ...any) { *e = append(*e, fmt.Sprintf(format, args...)) }

// tracer is a protocol that logs every callback into a shared events list
// and runs the test's hooks.
type tracer struct {
	protocol.BaseProtocol
	name   string
	log    *events
	onMade func(p *tracer)
	onData func(p *tracer, b []byte)
	onLost func(p *tracer)
	// onReadLost and onWriteLost are run by halfTracer's
	// ReadConnectionLost and WriteConnectionLost.
	onReadLost, onWriteLost func(p *tracer)
}

func (p *tracer) ConnectionMade() {
	p.log.add("%s made", p.name)
	if p.onMade != nil {
		p.onMade(p)
	}
}

func (p *tracer) DataReceived(b []byte) {
	p.log.add("%s got %q", p.name, b)
	if p.onData != nil {
		p.onData(p, b)
	}
}

func (p *tracer) ConnectionLost(reason *reactor.Failure) {
	p.log.add("%s lost: %s", p.name, reasonName(reason))
	if p.onLost != nil {
		p.onLost(p)
	}
}

func (p *tracer) write(s string) { p.Transport.Write([]byte(s)) }

func (p *tracer) tcp() *iosim.FakeTransport { return p.Transport.(*iosim.FakeTransport) }

// halfTracer is a tracer that can half-close
// (protocol.HalfCloseableProtocol).
type halfTracer struct{ tracer }

func (p *halfTracer) ReadConnectionLost() {
	p.log.add("%s read lost", p.name)
	if p.onReadLost != nil {
		p.onReadLost(&p.tracer)
	}
}

func (p *halfTracer) WriteConnectionLost() {
	p.log.add("%s write lost", p.name)
	if p.onWriteLost != nil {
		p.onWriteLost(&p.tracer)
	}
}

// reasonName names a ConnectionLost reason by the most specific of the
// connection errors it is.
func reasonName(f *reactor.Failure) string {
	switch {
	case errors.Is(f, reactor.ErrConnectionAborted):
		return "aborted"
	case errors.Is(f, reactor.ErrConnectionDone):
		return "done"
	case errors.Is(f, reactor.ErrConnectionLost):
		return "lost"
	}
	return f.Error()
}

// factoryOf returns a factory that builds p, once.
func factoryOf(p protocol.Protocol) protocol.Factory {
	return protocol.FactoryFor(func() protocol.Protocol { return p })
}

// connectPair connects server and client through ConnectedServerAndClient
// and returns the pump.
func connectPair(opts iosim.Options, server, client protocol.Protocol) *iosim.IOPump {
	_, _, pump := iosim.ConnectedServerAndClient(factoryOf(server), factoryOf(client), opts)
	return pump
}

// strictPushProducer ports test_iosim's StrictPushProducer: a push producer
// that produces nothing and records the first call its state does not allow
// (Twisted's raises ValueError) in err, leaving its state as it was.
type strictPushProducer struct {
	state string // "running", "paused" or "stopped"
	err   error
}

func newStrictPushProducer() *strictPushProducer { return &strictPushProducer{state: "running"} }

func (p *strictPushProducer) refuse(op string) {
	if p.err == nil {
		p.err = fmt.Errorf("cannot %s a %s push producer", op, p.state)
	}
}

func (p *strictPushProducer) StopProducing() {
	if p.state == "stopped" {
		p.refuse("stop")
		return
	}
	p.state = "stopped"
}

func (p *strictPushProducer) PauseProducing() {
	if p.state != "running" {
		p.refuse("pause")
		return
	}
	p.state = "paused"
}

func (p *strictPushProducer) ResumeProducing() {
	if p.state != "paused" {
		p.refuse("resume")
		return
	}
	p.state = "running"
}

// pullProducer writes one chunk each time it is resumed and unregisters
// once it has none left.
type pullProducer struct {
	t      protocol.TCPTransport
	chunks []string
	log    *events
}

func (p *pullProducer) ResumeProducing() {
	p.log.add("producer resumed")
	if len(p.chunks) == 0 {
		p.t.UnregisterProducer()
		return
	}
	p.t.Write([]byte(p.chunks[0]))
	p.chunks = p.chunks[1:]
}

func (p *pullProducer) StopProducing() { p.log.add("producer stopped") }

// recordingReactor is a fake protocol.ReactorTCP that records its calls and
// offers them to a ConnectionCompleter (iosim.TCPRecorder).
type recordingReactor struct {
	connects []iosim.ConnectRecord
	listens  []iosim.ListenRecord
}

var (
	_ protocol.ReactorTCP = (*recordingReactor)(nil)
	_ iosim.TCPRecorder   = (*recordingReactor)(nil)
)

func (r *recordingReactor) ListenTCP(port int, f protocol.Factory, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	protocol.Bind(f)
	r.listens = append(r.listens, iosim.ListenRecord{Port: port, Factory: f, Opts: opts})
	return &fakePort{port: port}, nil
}

func (r *recordingReactor) ConnectTCP(host string, port int, f protocol.ClientFactory, opts protocol.ConnectTCPOptions) protocol.Connector {
	protocol.Bind(f)
	c := &fakeConnector{dest: &net.TCPAddr{IP: net.ParseIP(host), Port: port}}
	r.connects = append(r.connects, iosim.ConnectRecord{Host: host, Port: port, Factory: f, Opts: opts, Connector: c})
	return c
}

func (r *recordingReactor) TCPConnects() []iosim.ConnectRecord { return r.connects }
func (r *recordingReactor) TCPListens() []iosim.ListenRecord   { return r.listens }
func (r *recordingReactor) RemoveTCPConnect(i int) {
	r.connects = append(r.connects[:i:i], r.connects[i+1:]...)
}

type fakePort struct{ port int }

func (p *fakePort) StopListening() *reactor.Deferred { return reactor.Succeed(nil) }
func (p *fakePort) GetHost() net.Addr                { return &net.TCPAddr{Port: p.port} }

type fakeConnector struct{ dest net.Addr }

func (c *fakeConnector) Connect() error           { return nil }
func (c *fakeConnector) StopConnecting() error    { return protocol.ErrNotConnecting }
func (c *fakeConnector) Disconnect()              {}
func (c *fakeConnector) GetDestination() net.Addr { return c.dest }

// clientFactory is a ClientFactory that logs how its attempts went.
type clientFactory struct {
	protocol.BaseClientFactory
	log    *events
	failed func(reason *reactor.Failure) // run by ClientConnectionFailed when set
}

func (f *clientFactory) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	f.log.add("failed to connect to %v: %v", c.GetDestination(), reason.Value())
	if f.failed != nil {
		f.failed(reason)
	}
}
