package endpoints_test

// Endpoints on braid.Reactor and real loopback sockets (127.0.0.1, ::1 and
// "localhost" only): TCP4EndpointsTests, TCP6EndpointsTests,
// SSL4EndpointsTests and the HostnameEndpoint tests whose point is the
// real connection.

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/endpoints"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

func newReactor(t *testing.T) *braid.Reactor {
	t.Helper()
	r, err := braid.New(reactor.WithErrorObserver(func(ev reactor.ErrorEvent) {
		t.Errorf("reactor logged an error (%s): %v", ev.Why, ev.Failure)
	}))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// echo writes back what it gets.
type echo struct{ protocol.BaseProtocol }

func (e *echo) DataReceived(b []byte) { e.Transport.Write(b) }

// pinger writes "ping" when connected and stops the test when it has read
// it back.
type pinger struct {
	protocol.BaseProtocol
	got  []byte
	done func()
}

func (p *pinger) ConnectionMade() { p.Transport.Write([]byte("ping")) }
func (p *pinger) DataReceived(b []byte) {
	if p.got = append(p.got, b...); string(p.got) == "ping" {
		p.Transport.LoseConnection()
	}
}
func (p *pinger) ConnectionLost(*reactor.Failure) { p.done() }

// roundTrip listens with server, connects with client(port) and runs until
// the client has had its ping echoed and closed.
func roundTrip(t *testing.T, r *braid.Reactor, server endpoints.ServerEndpoint, client func(port int) endpoints.ClientEndpoint) *pinger {
	t.Helper()
	p := &pinger{}
	testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
		p.done = stop
		v, err := result(t, server.Listen(protocol.FactoryFor(func() protocol.Protocol { return &echo{} })))
		if err != nil {
			t.Fatal(err)
		}
		lp := v.(protocol.ListeningPort)
		t.Cleanup(func() { lp.StopListening() })
		d := endpoints.ConnectProtocol(client(lp.GetHost().(*net.TCPAddr).Port), p)
		d.AddErrback(func(f *reactor.Failure) (any, error) {
			t.Errorf("connect: %v", f)
			stop()
			return nil, nil
		})
	})
	if string(p.got) != "ping" {
		t.Errorf("client read %q", p.got)
	}
	return p
}

func TestRealTCPEndpointsFromStrings(t *testing.T) {
	for _, tc := range []struct{ server, client string }{
		{"tcp:0:interface=127.0.0.1", "tcp:127.0.0.1:%d"},
		{`tcp6:0:interface=\:\:1`, "tcp:host=\\:\\:1:port=%d"},
	} {
		t.Run(tc.server, func(t *testing.T) {
			r := newReactor(t)
			s, err := endpoints.ServerFromString(r, tc.server)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, r, s, func(port int) endpoints.ClientEndpoint {
				c, err := endpoints.ClientFromString(r, sprintf(tc.client, port))
				if err != nil {
					t.Fatal(err)
				}
				return c
			})
		})
	}
}

func sprintf(format string, port int) string {
	out := ""
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) && format[i+1] == 'd' {
			out += strconv.Itoa(port)
			i++
			continue
		}
		out += string(format[i])
	}
	return out
}

// SSL4EndpointsTests on real sockets, and a tls: description (HostnameEndpoint
// on "localhost", verifying the name against the test CA in trustRoots).
func TestRealSSLEndpoints(t *testing.T) {
	ca, err := braidtest.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caPEM, _ := braidtest.PEM(tls.Certificate{Certificate: [][]byte{ca.Cert.Raw}})
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, client := range map[string]func(r *braid.Reactor, port int) endpoints.ClientEndpoint{
		"SSL4ClientEndpoint": func(r *braid.Reactor, port int) endpoints.ClientEndpoint {
			return &endpoints.SSL4ClientEndpoint{Reactor: r, Host: "127.0.0.1", Port: port, Config: ca.ClientConfig()}
		},
		"tls: description": func(r *braid.Reactor, port int) endpoints.ClientEndpoint {
			ep, err := endpoints.ClientFromString(r, "tls:localhost:"+strconv.Itoa(port)+":trustRoots="+endpoints.QuoteStringArgument(dir))
			if err != nil {
				t.Fatal(err)
			}
			return ep
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := newReactor(t)
			server := &endpoints.SSL4ServerEndpoint{Reactor: r, Config: ca.ServerConfig(), Interface: "127.0.0.1"}
			p := roundTrip(t, r, server, func(port int) endpoints.ClientEndpoint { return client(r, port) })
			if c := p.Transport.(protocol.SSLTransport).GetPeerCertificate(); c == nil || c.Subject.CommonName != "localhost" {
				t.Errorf("peer certificate %v", c)
			}
		})
	}
}

// HostnameEndpoint to "localhost" through Go's resolver, and to a name
// whose addresses are 127.0.0.1 then ::1 with a server on only one of them:
// the refused attempt does not end the race.
func TestRealHostnameEndpointLocalhost(t *testing.T) {
	for _, tc := range []struct {
		iface string
		res   endpoints.ResolveFunc
	}{
		{"127.0.0.1", nil},
		{"127.0.0.1", resolver(nil, "::1", "127.0.0.1")},
		{"::1", resolver(nil, "127.0.0.1", "::1")},
	} {
		t.Run(tc.iface, func(t *testing.T) {
			r := newReactor(t)
			server := &endpoints.TCP4ServerEndpoint{Reactor: r, Interface: tc.iface}
			roundTrip(t, r, server, func(port int) endpoints.ClientEndpoint {
				return &endpoints.HostnameEndpoint{Reactor: r, Host: "localhost", Port: port, Resolve: tc.res}
			})
		})
	}
}

// Cancelling a real attempt: the Deferred fails with a
// ConnectingCancelledError, and no connection is left behind.
func TestRealConnectCancelled(t *testing.T) {
	r := newReactor(t)
	var err error
	testkit.RunUntil(t, r, 30*time.Second, func(stop func()) {
		d := (&endpoints.HostnameEndpoint{Reactor: r, Host: "127.0.0.1", Port: testkit.FreePort(t)}).Connect(protocol.FactoryFor(func() protocol.Protocol { return &echo{} }))
		d.AddErrback(func(f *reactor.Failure) (any, error) {
			err = f
			r.CallLater(0, stop)
			return nil, nil
		})
		d.Cancel()
	})
	if _, ok := errors.AsType[*endpoints.ConnectingCancelledError](err); !ok {
		t.Errorf("cancelled connect failed with %v", err)
	}
}
