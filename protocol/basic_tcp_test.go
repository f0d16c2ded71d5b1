package protocol_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// lineEcho is a LineReceiver server: it answers each line with "echo: "
// and the line, and closes on "quit" — the lines after it in the same read
// are not answered.
type lineEcho struct {
	protocol.LineReceiver
	seen []string
}

func (e *lineEcho) LineReceived(line []byte) {
	e.seen = append(e.seen, string(line))
	if string(line) == "quit" {
		e.Transport.LoseConnection()
		return
	}
	e.SendLine(append([]byte("echo: "), line...))
}

// lineCollector is the client: it sends its script when connected and
// collects the lines it gets until the connection ends.
type lineCollector struct {
	protocol.LineReceiver
	script []byte
	lines  []string
	done   func()
}

func (c *lineCollector) ConnectionMade()          { c.Transport.Write(c.script) }
func (c *lineCollector) LineReceived(line []byte) { c.lines = append(c.lines, string(line)) }
func (c *lineCollector) ConnectionLost(*reactor.Failure) {
	c.done()
}

// A LineReceiver echo server over braid's TCP on 127.0.0.1: lines split
// across reads (a script far larger than one read) come back whole and in
// order, and "quit" closes the connection with no answer to what follows.
func TestLineReceiver_EchoOverTCP(t *testing.T) {
	r := newReactor(t)
	port := listen(t, r, protocol.FactoryFor(func() protocol.Protocol { return &lineEcho{} }))
	var script bytes.Buffer
	var want []string
	for i := range 5000 {
		line := fmt.Sprintf("line %d %s", i, strings.Repeat("z", i%97))
		script.WriteString(line + "\r\n")
		want = append(want, "echo: "+line)
	}
	script.WriteString("quit\r\nnot answered\r\n")
	client := &lineCollector{script: script.Bytes()}
	testkit.RunUntil(t, r, 30*time.Second, func(stop func()) {
		client.done = func() { port.StopListening(); stop() }
		d := protocol.NewClientCreator(r, func() protocol.Protocol { return client }).
			ConnectTCP("127.0.0.1", portOf(port), protocol.ConnectTCPOptions{})
		d.AddErrback(func(f *reactor.Failure) (any, error) { t.Error(f); stop(); return nil, nil })
	})
	if diff := cmp.Diff(want, client.lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// fileServer sends its content with a FileSender on connect and closes
// once the sender's Deferred has fired.
type fileServer struct {
	protocol.BaseProtocol
	content []byte
	last    chan []byte
}

func (s *fileServer) ConnectionMade() {
	d := (&protocol.FileSender{}).BeginFileTransfer(bytes.NewReader(s.content), s.Transport.(protocol.Consumer), nil)
	d.AddCallback(func(v any) (any, error) {
		s.last <- v.([]byte)
		s.Transport.LoseConnection()
		return nil, nil
	})
}

// FileSender over braid's TCP: the transport pulls chunk after chunk as its
// buffer drains, and the Deferred fires with the last byte once all is
// queued.
func TestFileSender_OverTCP(t *testing.T) {
	r := newReactor(t)
	content := bytes.Repeat([]byte("0123456789abcdef"), 300000/16)
	content = append(content, 'Z')
	last := make(chan []byte, 1)
	port := listen(t, r, protocol.FactoryFor(func() protocol.Protocol { return &fileServer{content: content, last: last} }))
	client := &recorder{}
	testkit.RunUntil(t, r, 30*time.Second, func(stop func()) {
		client.onLost = func(*recorder) { port.StopListening(); stop() }
		d := protocol.NewClientCreator(r, func() protocol.Protocol { return client }).
			ConnectTCP("127.0.0.1", portOf(port), protocol.ConnectTCPOptions{})
		d.AddErrback(func(f *reactor.Failure) (any, error) { t.Error(f); stop(); return nil, nil })
	})
	if !bytes.Equal(client.data, content) {
		t.Errorf("received %d bytes, want the %d sent", len(client.data), len(content))
	}
	select {
	case b := <-last:
		if string(b) != "Z" {
			t.Errorf("fired with %q, want Z", b)
		}
	default:
		t.Error("the FileSender's Deferred never fired")
	}
}

// The same server in memory, through iosim, with braidtest's
// LineSendingProtocol as the client: iosim's transport reports
// IsDisconnecting, so the server does not even see the line after "quit",
// which arrived in the same read.
func TestLineReceiver_EchoOverIOSim(t *testing.T) {
	server := protocol.FactoryFor(func() protocol.Protocol { return &lineEcho{} })
	client := protocol.FactoryFor(func() protocol.Protocol {
		return braidtest.NewLineSendingProtocol([][]byte{[]byte("a"), []byte("quit"), []byte("b")}, true)
	})
	c, s, pump := iosim.ConnectedServerAndClient(server, client, iosim.Options{})
	pump.Flush()
	if diff := cmp.Diff([]string{"a", "quit"}, s.(*lineEcho).seen); diff != "" {
		t.Errorf("the server saw (-want +got):\n%s", diff)
	}
	p := c.(*braidtest.LineSendingProtocol)
	if diff := cmp.Diff([][]byte{[]byte("echo: a")}, p.Response); diff != "" || !p.LostConn {
		t.Errorf("LostConn %v; Response (-want +got):\n%s", p.LostConn, diff)
	}
}

// pausingEcho pauses itself, and so its TCP transport, on "pause" and
// resumes on the reactor's next pass; it echoes every line.
type pausingEcho struct {
	protocol.LineReceiver
	r      reactor.Time
	pauses int
}

func (e *pausingEcho) LineReceived(line []byte) {
	e.SendLine(line)
	switch string(line) {
	case "pause":
		e.pauses++
		e.PauseProducing()
		e.r.CallLater(0, e.ResumeProducing)
	case "quit":
		e.Transport.LoseConnection()
	}
}

// A LineReceiver pausing itself over braid's TCP: the transport is paused
// with it, the lines held back are delivered on resume, in order, none lost.
func TestLineReceiver_PauseOverTCP(t *testing.T) {
	r := newReactor(t)
	var server *pausingEcho
	port := listen(t, r, protocol.FactoryFor(func() protocol.Protocol { server = &pausingEcho{r: r}; return server }))
	var script bytes.Buffer
	var want []string
	for i := range 300 {
		line := fmt.Sprint(i)
		if i%7 == 3 {
			line = "pause"
		}
		script.WriteString(line + "\r\n")
		want = append(want, line)
	}
	script.WriteString("quit\r\n")
	want = append(want, "quit")
	client := &lineCollector{script: script.Bytes()}
	testkit.RunUntil(t, r, 30*time.Second, func(stop func()) {
		client.done = func() { port.StopListening(); stop() }
		d := protocol.NewClientCreator(r, func() protocol.Protocol { return client }).
			ConnectTCP("127.0.0.1", portOf(port), protocol.ConnectTCPOptions{})
		d.AddErrback(func(f *reactor.Failure) (any, error) { t.Error(f); stop(); return nil, nil })
	})
	if diff := cmp.Diff(want, client.lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if server.pauses != 43 {
		t.Errorf("server paused %d times, want 43", server.pauses)
	}
}
