//go:build unix

package udp

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
)

// udpScenarioNames are the scenarios of testdata/twisted_udp.py, which
// says what each one does.
var udpScenarioNames = []string{
	"start and stop",
	"connected port refused",
	"connected port refused, an error left pending",
	"unconnected port refused",
	"write errors",
}

// TestUDPAgainstTwisted runs the scenarios of testdata/twisted_udp.py on
// Twisted and on braid and compares the traces: the start/stop order, the
// connected-refused sequence (every second write refused, and a pending
// refusal closing the port), and the error kinds of bad writes.
func TestUDPAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.internet.reactor")
	closed := testkit.FreePort(t)
	var twisted map[string][]string
	twistedtest.Run(t, "testdata/twisted_udp.py", map[string]int{"closed": closed}, &twisted, 30*time.Second)
	twistedtest.CompareScenarios(t, udpScenarioNames, func(s string) string { return s }, twisted, runUDPScenariosOnBraid(t, closed))
}

// tracer is the braid twin of twisted_udp.py's Recorder.
type tracer struct {
	protocol.BaseDatagramProtocol
	trace *[]string
}

func (p *tracer) StartProtocol()     { *p.trace = append(*p.trace, "startProtocol") }
func (p *tracer) StopProtocol()      { *p.trace = append(*p.trace, "stopProtocol") }
func (p *tracer) ConnectionRefused() { *p.trace = append(*p.trace, "connectionRefused") }

func runUDPScenariosOnBraid(t *testing.T, closed int) map[string][]string {
	r := udpReactor(t, nil)
	out := map[string][]string{}
	refused := func(name string, connected bool, writes int) func(next func()) {
		return func(next func()) {
			trace := []string{}
			port, err := Listen(r, 0, &tracer{trace: &trace}, protocol.ListenUDPOptions{Interface: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			if connected {
				if err := port.Connect("127.0.0.1", closed); err != nil {
					t.Fatal(err)
				}
			}
			for i := range writes {
				data := []byte(fmt.Sprint(i))
				if connected {
					err = port.Write(data)
				} else {
					err = port.WriteTo(data, loopback(closed))
				}
				if err != nil {
					trace = append(trace, fmt.Sprintf("write %d raised %v", i, err))
				} else {
					trace = append(trace, fmt.Sprintf("write %d returned", i))
				}
			}
			var later func(n int)
			later = func(n int) {
				trace = append(trace, fmt.Sprintf("pass %d", n))
				if n < 2 {
					r.CallLater(0, func() { later(n + 1) })
					return
				}
				d := port.StopListening()
				if d == nil {
					trace = append(trace, "stopListening returned None")
					out[name] = trace
					next()
					return
				}
				d.AddCallback(func(any) (any, error) { out[name] = trace; next(); return nil, nil })
			}
			r.CallLater(0, func() { later(1) })
		}
	}
	scenarios := []func(next func()){
		func(next func()) {
			trace := []string{}
			port, err := Listen(r, 0, &tracer{trace: &trace}, protocol.ListenUDPOptions{Interface: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			trace = append(trace, "listening")
			d := port.StopListening()
			trace = append(trace, "stopListening returned")
			d.AddCallback(func(any) (any, error) {
				trace = append(trace, "deferred fired")
				out["start and stop"] = trace
				next()
				return nil, nil
			})
		},
		refused("connected port refused", true, 4),
		refused("connected port refused, an error left pending", true, 5),
		refused("unconnected port refused", false, 4),
		func(next func()) {
			v4 := listen(t, r, &recorder{}, "127.0.0.1")
			v6 := listen(t, r, &recorder{}, "::1")
			to := func(ip string) net.Addr { return &net.UDPAddr{IP: net.ParseIP(ip), Port: closed} }
			calls := []struct {
				name string
				call func() error
			}{
				{"write too long", func() error { return v4.WriteTo(make([]byte, 70000), loopback(closed)) }},
				// A *net.UDPAddr cannot hold a name: the nearest Go
				// mistake is an address that is not a *net.UDPAddr.
				{"write to a host name", func() error { return v4.WriteTo([]byte("x"), &net.UnixAddr{Name: "localhost"}) }},
				{"write IPv6 on IPv4", func() error { return v4.WriteTo([]byte("x"), to("::1")) }},
				{"write IPv4 on IPv6", func() error { return v6.WriteTo([]byte("x"), to("127.0.0.1")) }},
				{"connect to a host name", func() error { return v4.Connect("localhost", closed) }},
				{"connect", func() error { return v4.Connect("127.0.0.1", closed) }},
				{"connect again", func() error { return v4.Connect("127.0.0.1", closed) }},
				{"connected write too long", func() error { return v4.Write(make([]byte, 70000)) }},
			}
			trace := []string{}
			for _, c := range calls {
				trace = append(trace, c.name+": "+twistedErrorName(c.call()))
			}
			out["write errors"] = trace
			v6.StopListening()
			v4.StopListening().AddCallback(func(any) (any, error) { next(); return nil, nil })
		},
	}
	testkit.RunUntil(t, r, 30*time.Second, func(stop func()) {
		var next func()
		next = func() {
			if len(scenarios) == 0 {
				stop()
				return
			}
			s := scenarios[0]
			scenarios = scenarios[1:]
			r.CallLater(0, func() { s(next) })
		}
		next()
	})
	return out
}

// twistedErrorName names an error as the Twisted exception it ports.
func twistedErrorName(err error) string {
	if err == nil {
		return "ok"
	}
	if _, ok := errors.AsType[*protocol.MessageLengthError](err); ok {
		return "MessageLengthError"
	}
	if _, ok := errors.AsType[*protocol.InvalidAddressError](err); ok {
		return "InvalidAddressError"
	}
	if errors.Is(err, protocol.ErrUDPConnected) {
		return "RuntimeError"
	}
	return "? " + err.Error()
}
