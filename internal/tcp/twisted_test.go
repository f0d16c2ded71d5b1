//go:build unix

package tcp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// tcpEndSpec is one end of a scenario: whether it is half-closeable, and
// steps (event, action, argument) run once when the event happens.
type tcpEndSpec struct {
	HalfClose bool        `json:"halfClose"`
	Steps     [][3]string `json:"steps"`
}

type tcpScenario struct {
	Name   string     `json:"name"`
	Server tcpEndSpec `json:"server"`
	Client tcpEndSpec `json:"client"`
}

// A half-closeable end stays open after its read side closes until it
// closes itself (Twisted leaves that to the protocol), so each one here
// does so on "readLost".
var tcpScenarios = []tcpScenario{
	{Name: "echo, then the server closes",
		Client: tcpEndSpec{Steps: [][3]string{{"made", "write", "hello"}}},
		Server: tcpEndSpec{Steps: [][3]string{{"data", "echo", ""}, {"data", "lose", ""}}}},
	{Name: "the client closes at once",
		Client: tcpEndSpec{Steps: [][3]string{{"made", "lose", ""}}}},
	{Name: "loseConnection delivers every buffered byte first",
		Server: tcpEndSpec{Steps: [][3]string{{"made", "writeBig", "2000000"}, {"made", "lose", ""}}}},
	{Name: "the server aborts at once",
		Server: tcpEndSpec{Steps: [][3]string{{"made", "abort", ""}}}},
	{Name: "the client aborts with data buffered",
		Client: tcpEndSpec{Steps: [][3]string{{"made", "writeBig", "2000000"}, {"made", "abort", ""}}}},
	{Name: "half-close: the client shuts its writing side, the server answers",
		Client: tcpEndSpec{HalfClose: true, Steps: [][3]string{{"made", "write", "question"}, {"made", "loseWrite", ""}, {"readLost", "lose", ""}}},
		Server: tcpEndSpec{HalfClose: true, Steps: [][3]string{{"readLost", "write", "answer"}, {"readLost", "lose", ""}}}},
	{Name: "shutting the writing side of a plain protocol's peer closes it",
		Client: tcpEndSpec{HalfClose: true, Steps: [][3]string{{"made", "write", "x"}, {"made", "loseWrite", ""}, {"readLost", "lose", ""}}}},
	{Name: "writes after loseConnection are dropped",
		Server: tcpEndSpec{Steps: [][3]string{{"made", "write", "before"}, {"made", "lose", ""}, {"made", "write", "after"}}}},
	{Name: "both ends close at once",
		Server: tcpEndSpec{Steps: [][3]string{{"made", "lose", ""}}},
		Client: tcpEndSpec{Steps: [][3]string{{"made", "lose", ""}}}},
}

// TestTCPAgainstTwisted runs each scenario with a server and a client on
// 127.0.0.1 under Twisted (testdata/twisted_tcp.py) and under braid, and
// compares each end's data, half-close callbacks and ConnectionLost
// reason (T-04..T-06, T-11).
func TestTCPAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.internet.reactor")
	var twisted map[string][]string
	twistedtest.Run(t, "testdata/twisted_tcp.py", tcpScenarios, &twisted, 30*time.Second)
	twistedtest.CompareScenarios(t, tcpScenarios, func(s tcpScenario) string { return s.Name }, twisted, runTCPScenariosOnBraid(t))
}

func runTCPScenariosOnBraid(t *testing.T) map[string][]string {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string][]string{}
	left := tcpScenarios
	var next func()
	next = func() {
		if len(left) == 0 {
			_ = r.Stop()
			return
		}
		s := left[0]
		left = left[1:]
		traces := map[string][]string{}
		var port *Port
		finished := func(side string) func([]string) {
			return func(trace []string) {
				traces[side] = trace
				if len(traces) == 2 {
					out[s.Name] = append(traces["server"], traces["client"]...)
					port.StopListening().AddBoth(func(any) (any, error) { r.CallLater(0, next); return nil, nil })
				}
			}
		}
		f := &protocol.BaseFactory{Protocol: func() protocol.Protocol { return newTCPEnd("server", s.Server, finished("server")) }}
		port, err = Listen(r, 0, f, protocol.ListenTCPOptions{Interface: "127.0.0.1", Backlog: 50})
		if err != nil {
			t.Error(err)
			_ = r.Stop()
			return
		}
		cc := tcpClientCreator(r, func() protocol.Protocol { return newTCPEnd("client", s.Client, finished("client")) })
		cc.ConnectTCP("127.0.0.1", port.GetHost().(*net.TCPAddr).Port, protocol.ConnectTCPOptions{Timeout: 10 * time.Second}).AddErrback(func(f *reactor.Failure) (any, error) {
			out[s.Name] = []string{"connect failed: " + f.ErrorMessage()}
			port.StopListening()
			r.CallLater(0, next)
			return nil, nil
		})
	}
	testkit.RunUntil(t, r, time.Minute, func(func()) { next() })
	if len(out) < len(tcpScenarios) {
		t.Errorf("braid's scenarios did not all finish: done %d of %d", len(out), len(tcpScenarios))
	}
	return out
}

// tcpEnd is the braid twin of twisted_tcp.py's End; tcpHalfEnd adds the
// half-close callbacks (Twisted's IHalfCloseableProtocol).
type tcpEnd struct {
	protocol.BaseProtocol
	name     string
	spec     tcpEndSpec
	done     func([]string)
	data     []byte
	events   []string
	seenData bool
}

type tcpHalfEnd struct{ *tcpEnd }

func newTCPEnd(name string, spec tcpEndSpec, done func([]string)) protocol.Protocol {
	e := &tcpEnd{name: name, spec: spec, done: done}
	if spec.HalfClose {
		return tcpHalfEnd{e}
	}
	return e
}

func (e *tcpEnd) run(event string) {
	t := e.Transport.(protocol.TCPTransport)
	for _, st := range e.spec.Steps {
		if st[0] != event {
			continue
		}
		switch st[1] {
		case "write":
			t.Write([]byte(st[2]))
		case "writeBig":
			var n int
			fmt.Sscan(st[2], &n)
			t.Write(bytes.Repeat([]byte("y"), n))
		case "echo":
			t.Write(e.data)
		case "lose":
			t.LoseConnection()
		case "abort":
			t.AbortConnection()
		case "loseWrite":
			t.LoseWriteConnection()
		}
	}
}

func (e *tcpEnd) ConnectionMade() { e.run("made") }

func (e *tcpEnd) DataReceived(data []byte) {
	e.data = append(e.data, data...)
	if !e.seenData {
		e.seenData = true
		e.run("data")
	}
}

func (e *tcpEnd) ConnectionLost(reason *reactor.Failure) {
	shown := string(e.data)
	if len(e.data) > 100 {
		shown = fmt.Sprintf("%d bytes", len(e.data))
	}
	trace := []string{fmt.Sprintf("%s data: %s", e.name, shown)}
	for _, ev := range e.events {
		trace = append(trace, e.name+" "+ev)
	}
	trace = append(trace, fmt.Sprintf("%s lost: %s", e.name, tcpReasonName(reason)))
	e.done(trace)
}

func (h tcpHalfEnd) ReadConnectionLost() {
	h.events = append(h.events, "readConnectionLost")
	h.run("readLost")
}

func (h tcpHalfEnd) WriteConnectionLost() { h.events = append(h.events, "writeConnectionLost") }

// tcpReasonName names a ConnectionLost reason as Twisted's class name.
func tcpReasonName(f *reactor.Failure) string {
	switch {
	case errors.Is(f, reactor.ErrConnectionAborted):
		return "ConnectionAborted"
	case errors.Is(f, reactor.ErrConnectionDone):
		return "ConnectionDone"
	case errors.Is(f, reactor.ErrConnectionLost):
		return "ConnectionLost"
	}
	return "?" + f.ErrorMessage()
}
