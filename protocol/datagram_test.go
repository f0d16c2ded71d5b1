package protocol_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// counter records StartProtocol and StopProtocol.
type counter struct {
	protocol.BaseDatagramProtocol
	events []string
}

func (c *counter) StartProtocol() { c.events = append(c.events, "start") }
func (c *counter) StopProtocol()  { c.events = append(c.events, "stop") }

// Ports AbstractDatagramProtocol's doStart/doStop counting: StartProtocol
// for the first port, StopProtocol after the last, Transport cleared by
// each DoStop.
func TestBaseDatagramProtocol_CountsPorts(t *testing.T) {
	c := &counter{}
	protocol.Bind(c)
	first, second := &braidtest.FakeDatagramTransport{Protocol: c}, &braidtest.FakeDatagramTransport{Protocol: c}
	c.MakeConnection(first)
	if c.Transport != first || c.NumPorts != 1 {
		t.Fatalf("after MakeConnection: Transport %v, NumPorts %d", c.Transport, c.NumPorts)
	}
	c.Transport = nil // as the first port's DoStop would, to take a second
	c.MakeConnection(second)
	first.StopListening()
	second.StopListening()
	if diff := cmp.Diff([]string{"start", "stop"}, c.events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c.NumPorts != 0 || c.Transport != nil {
		t.Errorf("after both stops: NumPorts %d, Transport %v", c.NumPorts, c.Transport)
	}
}

// The misuses Twisted asserts against panic with a message naming them.
func TestBaseDatagramProtocol_MisusePanics(t *testing.T) {
	cases := []struct {
		name, want string
		do         func()
	}{
		{"unbound", "never bound", func() { (&counter{}).MakeConnection(&braidtest.FakeDatagramTransport{}) }},
		{"connected twice", "already has a transport", func() {
			c := &counter{}
			protocol.Bind(c)
			c.MakeConnection(&braidtest.FakeDatagramTransport{})
			c.MakeConnection(&braidtest.FakeDatagramTransport{})
		}},
		{"DoStop without DoStart", "without a matching DoStart", func() {
			c := &counter{}
			protocol.Bind(c)
			c.DoStop()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), tc.want) {
					t.Errorf("panic %v, want one saying %q", v, tc.want)
				}
			}()
			tc.do()
		})
	}
}

// quoter answers each datagram with a quote of it.
type quoter struct{ protocol.BaseDatagramProtocol }

func (q *quoter) StartProtocol() { fmt.Println("started on", q.Transport.GetHost()) }

func (q *quoter) DatagramReceived(data []byte, from net.Addr) {
	_ = q.Transport.WriteTo([]byte(fmt.Sprintf("%q", data)), from)
}

// A DatagramProtocol embeds BaseDatagramProtocol and overrides what it
// needs; here it runs on a fake port.
func ExampleBaseDatagramProtocol() {
	q := &quoter{}
	protocol.Bind(q)
	port := &braidtest.FakeDatagramTransport{Addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7}, Protocol: q}
	q.MakeConnection(port)
	q.DatagramReceived([]byte("hi"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000})
	fmt.Printf("%s to %v\n", port.Written[0].Data, port.Written[0].Addr)
	// Output:
	// started on 127.0.0.1:7
	// "hi" to 127.0.0.1:5000
}
