//go:build unix

package tcp

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

type tlsEndSpec struct {
	Steps [][3]string `json:"steps"`
}

type tlsScenario struct {
	Name      string     `json:"name"`
	Mode      string     `json:"mode"` // "ssl": ListenSSL/ConnectSSL; "tcp": plain, with startTLS steps
	Untrusted bool       `json:"untrusted"`
	Server    tlsEndSpec `json:"server"`
	Client    tlsEndSpec `json:"client"`
}

var tlsScenarios = []tlsScenario{
	{Name: "data both ways, then the server closes", Mode: "ssl",
		Client: tlsEndSpec{Steps: [][3]string{{"made", "write", "ping"}}},
		Server: tlsEndSpec{Steps: [][3]string{{"data", "write", "pong"}, {"data", "lose", ""}}}},
	{Name: "the client writes and closes in connectionMade", Mode: "ssl",
		Client: tlsEndSpec{Steps: [][3]string{{"made", "write", "early"}, {"made", "lose", ""}}}},
	{Name: "the client closes once the handshake is done", Mode: "ssl",
		Client: tlsEndSpec{Steps: [][3]string{{"handshake", "lose", ""}}}},
	{Name: "the server closes before the handshake", Mode: "ssl",
		Server: tlsEndSpec{Steps: [][3]string{{"made", "lose", ""}}}},
	{Name: "the server aborts after data", Mode: "ssl",
		Client: tlsEndSpec{Steps: [][3]string{{"made", "write", "x"}}},
		Server: tlsEndSpec{Steps: [][3]string{{"data", "abort", ""}}}},
	{Name: "the client does not trust the server", Mode: "ssl", Untrusted: true,
		Client: tlsEndSpec{Steps: [][3]string{{"made", "write", "never"}}}},
	{Name: "STARTTLS: plain before, encrypted after, in order", Mode: "tcp",
		Client: tlsEndSpec{Steps: [][3]string{{"made", "write", "STARTTLS"}, {"data", "startTLS", ""}, {"data", "write", "hello"}}},
		Server: tlsEndSpec{Steps: [][3]string{{"data", "write", "OK"}, {"data", "startTLS", ""}, {"data", "write", "secret"}, {"handshake", "write", "!"}, {"handshake", "lose", ""}}}},
}

// TestTLSAgainstTwisted runs each scenario under Twisted (listenSSL and
// connectSSL or startTLS over pyOpenSSL, testdata/twisted_tls.py) and
// under braid, with the same certificates, and compares each end's
// events: connectionMade, handshakeCompleted, the data and the
// connectionLost reason.
func TestTLSAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "OpenSSL")
	ca, other := testCA(t), testCA(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPEM, keyPEM := braidtest.PEM(ca.Server)
	caPEM, _ := braidtest.PEM(tls.Certificate{Certificate: [][]byte{ca.Cert.Raw}})
	otherPEM, _ := braidtest.PEM(tls.Certificate{Certificate: [][]byte{other.Cert.Raw}})
	input := map[string]any{
		"certs": map[string]string{"serverCert": write("cert.pem", certPEM), "serverKey": write("key.pem", keyPEM),
			"ca": write("ca.pem", caPEM), "otherCA": write("other.pem", otherPEM)},
		"scenarios": tlsScenarios,
	}
	var twisted map[string][]string
	twistedtest.Run(t, "testdata/twisted_tls.py", input, &twisted, 90*time.Second)
	braid := map[string][]string{}
	for _, sc := range tlsScenarios {
		braid[sc.Name] = runTLSScenario(t, sc, ca, other)
	}
	twistedtest.CompareScenarios(t, tlsScenarios, func(s tlsScenario) string { return s.Name }, twisted, braid)
}

// tlsEnd is one end of a scenario on braid, tracing as the script does.
type tlsEnd struct {
	protocol.BaseProtocol
	name  string
	steps [][3]string
	cfg   *tls.Config
	trace *[]string
	seen  bool
	done  func()
}

func (e *tlsEnd) note(ev string) { *e.trace = append(*e.trace, e.name+": "+ev) }

func (e *tlsEnd) run(event string) {
	for _, s := range e.steps {
		if s[0] != event {
			continue
		}
		t := e.Transport.(protocol.TCPTransport)
		switch s[1] {
		case "write":
			t.Write([]byte(s[2]))
		case "lose":
			t.LoseConnection()
		case "abort":
			t.AbortConnection()
		case "startTLS":
			if err := t.(protocol.TLSTransport).StartTLS(e.cfg, e.name == "server"); err != nil {
				panic(err)
			}
		}
	}
}

func (e *tlsEnd) ConnectionMade()     { e.note("made"); e.run("made") }
func (e *tlsEnd) HandshakeCompleted() { e.note("handshake"); e.run("handshake") }

func (e *tlsEnd) DataReceived(b []byte) {
	prefix := e.name + ": data:"
	if n := len(*e.trace); n > 0 && len((*e.trace)[n-1]) >= len(prefix) && (*e.trace)[n-1][:len(prefix)] == prefix {
		(*e.trace)[n-1] += string(b)
	} else {
		e.note("data:" + string(b))
	}
	if !e.seen {
		e.seen = true
		e.run("data")
	}
}

func (e *tlsEnd) ConnectionLost(reason *reactor.Failure) {
	kind := map[string]string{"done": "ConnectionDone", "lost": "ConnectionLost", "aborted": "ConnectionAborted"}[testkit.ReasonKind(reason)]
	if _, ok := errors.AsType[*protocol.TLSError](reason); ok {
		kind = "TLSError"
	}
	e.note("lost:" + kind)
	e.done()
}

func runTLSScenario(t *testing.T, sc tlsScenario, ca, other *braidtest.TestCA) []string {
	r := tcpReactor(t)
	clientCfg := ca.ClientConfig()
	if sc.Untrusted {
		clientCfg = other.ClientConfig()
	}
	clientCfg.ServerName = "localhost"
	var serverTrace, clientTrace []string
	testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
		left := 2
		done := func() {
			if left--; left == 0 {
				stop()
			}
		}
		server := &tlsEnd{name: "server", steps: sc.Server.Steps, cfg: ca.ServerConfig(), trace: &serverTrace, done: done}
		client := &tlsEnd{name: "client", steps: sc.Client.Steps, cfg: clientCfg, trace: &clientTrace, done: done}
		sf := protocol.FactoryFor(func() protocol.Protocol { return server })
		cf := protocol.ClientFactoryFor(func() protocol.Protocol { return client })
		var port *Port
		var err error
		if sc.Mode == "ssl" {
			port, err = ListenSSL(r, 0, sf, ca.ServerConfig(), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
		} else {
			port, err = Listen(r, 0, sf, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { port.StopListening() })
		if sc.Mode == "ssl" {
			ConnectSSL(r, "127.0.0.1", tcpPortOf(port), cf, clientCfg, protocol.ConnectTCPOptions{})
		} else {
			Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
		}
	})
	return append(serverTrace, clientTrace...)
}
