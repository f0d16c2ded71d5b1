package endpoints_test

// Ports the string-parsing tests of twisted/internet/test/test_endpoints.py
// (Twisted 22.4): ParserTests, ServerStringTests, ClientStringTests,
// SSLClientStringTests, TCP6ServerEndpointPluginTests and
// WrapClientTLSParserTests, where they do not depend on pyOpenSSL or on
// plugins braid does not have. The results of the tcp, tcp6 and unix cases
// are also compared with Twisted's own parsers (TestFromString_AgainstTwisted).

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/endpoints"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
)

// describe prints an endpoint the way testdata/twisted_endpoints.py prints
// Twisted's, so the two can be compared.
func describe(ep any, err error) string {
	if err != nil {
		var de *endpoints.DescriptionError
		if errors.As(err, &de) {
			return "error:" + de.Kind
		}
		return "error:" + err.Error()
	}
	py := func(s string) string { return "'" + strings.ReplaceAll(s, `\`, `\\`) + "'" }
	timeout := func(o protocol.ConnectTCPOptions) string {
		switch {
		case o.NoTimeout:
			return "None"
		case o.Timeout == 0:
			return "30"
		}
		return fmt.Sprint(int(o.Timeout.Round(time.Second) / time.Second))
	}
	switch e := ep.(type) {
	case *endpoints.TCP4ServerEndpoint:
		return fmt.Sprintf("TCP4ServerEndpoint port=%d backlog=%d interface=%s", e.Port, e.Backlog, py(e.Interface))
	case *endpoints.TCP6ServerEndpoint:
		return fmt.Sprintf("TCP6ServerEndpoint port=%d backlog=%d interface=%s", e.Port, e.Backlog, py(e.Interface))
	case *endpoints.UNIXServerEndpoint:
		return fmt.Sprintf("UNIXServerEndpoint address=%s backlog=%d mode=%o wantPID=%s", py(e.Address), e.Opts.Backlog, e.Opts.Mode, pyBool(e.Opts.WantPID))
	case *endpoints.TCP4ClientEndpoint:
		bind := "None"
		if e.Opts.BindAddress != nil {
			bind = py(e.Opts.BindAddress.IP.String())
		}
		return fmt.Sprintf("TCP4ClientEndpoint host=%s port=%d timeout=%s bindAddress=%s", py(e.Host), e.Port, timeout(e.Opts), bind)
	case *endpoints.UNIXClientEndpoint:
		t := "30"
		if e.Opts.Timeout != 0 {
			t = fmt.Sprint(int(e.Opts.Timeout / time.Second))
		}
		return fmt.Sprintf("UNIXClientEndpoint path=%s timeout=%s checkPID=%s", py(e.Path), t, pyBool(e.Opts.CheckPID))
	}
	return fmt.Sprintf("%T", ep)
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

type parseCase struct {
	name, side, desc, want string
}

// parseCases are the descriptions whose parse both sides agree on.
var parseCases = []parseCase{
	// ParserTests
	{"test_simpleTCP", "server", "tcp:80", "TCP4ServerEndpoint port=80 backlog=50 interface=''"},
	{"test_interfaceTCP", "server", "tcp:80:interface=127.0.0.1", "TCP4ServerEndpoint port=80 backlog=50 interface='127.0.0.1'"},
	{"test_backlogTCP", "server", "tcp:80:backlog=6", "TCP4ServerEndpoint port=80 backlog=6 interface=''"},
	{"test_simpleUNIX", "server", "unix:/var/run/finger", "UNIXServerEndpoint address='/var/run/finger' backlog=50 mode=666 wantPID=True"},
	{"test_modeUNIX", "server", "unix:/var/run/finger:mode=0660", "UNIXServerEndpoint address='/var/run/finger' backlog=50 mode=660 wantPID=True"},
	{"test_wantPIDUNIX", "server", "unix:/var/run/finger:lockfile=0", "UNIXServerEndpoint address='/var/run/finger' backlog=50 mode=666 wantPID=False"},
	{"test_escape", "server", `unix:foo\:bar\=baz\:qux\\`, `UNIXServerEndpoint address='foo:bar=baz:qux\\' backlog=50 mode=666 wantPID=True`},
	{"test_impliedEscape", "server", "unix:address=foo=bar", "UNIXServerEndpoint address='foo=bar' backlog=50 mode=666 wantPID=True"},
	{"test_unknownType", "server", "bogus-type:nothing", "error:ValueError"},
	// ServerStringTests
	{"test_tcp", "server", "tcp:1234:backlog=12:interface=10.0.0.1", "TCP4ServerEndpoint port=1234 backlog=12 interface='10.0.0.1'"},
	{"test_unix", "server", "unix:/var/foo/bar:backlog=7:mode=0123:lockfile=1", "UNIXServerEndpoint address='/var/foo/bar' backlog=7 mode=123 wantPID=True"},
	{"test_unknownType_server", "server", "ftl:andromeda/carcosa/hali/2387", "error:ValueError"},
	{"positional interface and backlog", "server", "tcp:80:127.0.0.1:5", "TCP4ServerEndpoint port=80 backlog=5 interface='127.0.0.1'"},
	{"missing port", "server", "tcp:interface=127.0.0.1", "error:TypeError"},
	{"port twice", "server", "tcp:80:port=81", "error:TypeError"},
	{"unknown keyword", "server", "tcp:80:bogus=1", "error:TypeError"},
	{"bad port", "server", "tcp:eighty", "error:ValueError"},
	{"bad mode", "server", "unix:/x:mode=9", "error:ValueError"},
	{"upper-case tcp is unknown", "server", "TCP:80", "error:ValueError"},
	{"empty description", "server", "", "error:ValueError"},
	{"trailing backslash", "server", `tcp:80\`, "error:RuntimeError"},
	{"empty keyword", "server", "tcp:80:=", "error:TypeError"},
	{"value holding '='", "server", "tcp:80:interface=a=b", "TCP4ServerEndpoint port=80 backlog=50 interface='a=b'"},
	{"int with spaces and underscores", "server", "tcp: 8_0 ", "TCP4ServerEndpoint port=80 backlog=50 interface=''"},
	// TCP6ServerEndpointPluginTests
	{"test_stringDescription", "server", `tcp6:8080:backlog=12:interface=\:\:1`, "TCP6ServerEndpoint port=8080 backlog=12 interface='::1'"},
	{"tcp6 default interface", "server", "tcp6:8080", "TCP6ServerEndpoint port=8080 backlog=50 interface='::'"},
	{"tcp6 is not case-sensitive", "server", "TCP6:8080", "TCP6ServerEndpoint port=8080 backlog=50 interface='::'"},
	{"tcp6 positional order", "server", "tcp6:8080:7", "TCP6ServerEndpoint port=8080 backlog=7 interface='::'"},
	// ClientStringTests
	{"test_tcp", "client", "tcp:host=example.com:port=1234:timeout=7:bindAddress=10.0.0.2", "TCP4ClientEndpoint host='example.com' port=1234 timeout=7 bindAddress='10.0.0.2'"},
	{"test_tcpPositionalArgs", "client", "tcp:example.com:1234:timeout=7:bindAddress=10.0.0.2", "TCP4ClientEndpoint host='example.com' port=1234 timeout=7 bindAddress='10.0.0.2'"},
	{"test_tcpHostPositionalArg", "client", "tcp:example.com:port=1234:timeout=7:bindAddress=10.0.0.2", "TCP4ClientEndpoint host='example.com' port=1234 timeout=7 bindAddress='10.0.0.2'"},
	{"test_tcpPortPositionalArg", "client", "tcp:host=example.com:1234:timeout=7:bindAddress=10.0.0.2", "TCP4ClientEndpoint host='example.com' port=1234 timeout=7 bindAddress='10.0.0.2'"},
	{"test_tcpDefaults", "client", "tcp:host=example.com:port=1234", "TCP4ClientEndpoint host='example.com' port=1234 timeout=30 bindAddress=None"},
	{"test_unix", "client", "unix:path=/var/foo/bar:lockfile=1:timeout=9", "UNIXClientEndpoint path='/var/foo/bar' timeout=9 checkPID=True"},
	{"test_unixDefaults", "client", "unix:path=/var/foo/bar", "UNIXClientEndpoint path='/var/foo/bar' timeout=30 checkPID=False"},
	{"test_unixPathPositionalArg", "client", "unix:/var/foo/bar:lockfile=1:timeout=9", "UNIXClientEndpoint path='/var/foo/bar' timeout=9 checkPID=True"},
	{"unix checkPID keyword", "client", "unix:/var/foo/bar:checkPID=1", "UNIXClientEndpoint path='/var/foo/bar' timeout=30 checkPID=True"},
	{"test_typeFromPlugin/upper case", "client", "TCP:example.com:80", "TCP4ClientEndpoint host='example.com' port=80 timeout=30 bindAddress=None"},
	{"test_unknownType_client", "client", "ftl:andromeda/carcosa/hali/2387", "error:ValueError"},
	{"client missing port", "client", "tcp:example.com", "error:TypeError"},
	{"client bad timeout", "client", "tcp:example.com:80:timeout=soon", "error:ValueError"},
	{"client unknown keyword", "client", "tcp:example.com:80:bogus=1", "error:TypeError"},
	{"client extra positionals ignored", "client", "tcp:example.com:80:90", "error:TypeError"},
}

func fromString(r endpoints.Reactor, side, desc string) (any, error) {
	if side == "server" {
		return endpoints.ServerFromString(r, desc)
	}
	return endpoints.ClientFromString(r, desc)
}

// unixReactor is a MemoryReactor that also fakes protocol.ReactorUNIX, by
// recording the calls; braid.Reactor gets its own from the UNIX-socket
// work.
type unixReactor struct {
	braidtest.MemoryReactorClock
	listens       []string
	connects      []string
	unixFactories []protocol.ClientFactory
}

func (r *unixReactor) ListenUNIX(address string, f protocol.Factory, opts protocol.ListenUNIXOptions) (protocol.ListeningPort, error) {
	r.listens = append(r.listens, address)
	protocol.Bind(f)
	f.DoStart()
	return &braidtest.FakePort{Factory: f}, nil
}

func (r *unixReactor) ConnectUNIX(address string, f protocol.ClientFactory, opts protocol.ConnectUNIXOptions) protocol.Connector {
	r.connects = append(r.connects, address)
	r.unixFactories = append(r.unixFactories, f)
	c := &braidtest.FakeConnector{Factory: f}
	protocol.Bind(f)
	f.DoStart()
	f.StartedConnecting(c)
	return c
}

var _ protocol.ReactorUNIX = (*unixReactor)(nil)

func TestFromString_Twisted(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.side+"/"+c.name, func(t *testing.T) {
			ep, err := fromString(&unixReactor{}, c.side, c.desc)
			if got := describe(ep, err); got != c.want {
				t.Errorf("%sFromString(%q) = %s, want %s", c.side, c.desc, got, c.want)
			}
		})
	}
}

// TestFromString_AgainstTwisted parses every description of parseCases
// with Twisted's own serverFromString and clientFromString too.
func TestFromString_AgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.internet.endpoints")
	in := make([][2]string, len(parseCases))
	for i, c := range parseCases {
		in[i] = [2]string{c.side, c.desc}
	}
	var twisted []string
	twistedtest.Run(t, "testdata/twisted_endpoints.py", in, &twisted, 30*time.Second)
	var braid []string
	for _, c := range parseCases {
		ep, err := fromString(&unixReactor{}, c.side, c.desc)
		braid = append(braid, describe(ep, err))
	}
	if d := cmp.Diff(twisted, braid); d != "" {
		t.Errorf("braid's parses differ from Twisted's (-twisted +braid):\n%s", d)
	}
}

// A reactor without the capability a description needs is an error, not a
// panic later (a UNIX endpoint on a reactor without ReactorUNIX).
func TestFromString_ReactorLacksCapability(t *testing.T) {
	// Only TCP: the MemoryReactor inside has UNIX too, but the interface
	// value hides it.
	r := struct{ protocol.ReactorTCP }{&braidtest.MemoryReactor{}}
	if _, err := endpoints.ClientFromString(r, "unix:/tmp/x"); err == nil {
		t.Error("client unix: on a reactor without ReactorUNIX: no error")
	}
	if _, err := endpoints.ServerFromString(r, "unix:/tmp/x"); err == nil {
		t.Error("server unix: on a reactor without ReactorUNIX: no error")
	}
}

// writePEM writes the test CA's server certificate and key to dir and
// returns the two paths.
func writePEM(t *testing.T, dir string, c tls.Certificate) (certPath, keyPath string) {
	t.Helper()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM, keyPEM := braidtest.PEM(c)
	if err := os.WriteFile(certPath, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// ServerStringTests.test_ssl, test_sslWithDefaults, test_sslChainLoads,
// test_sslChainFileMustContainCert, test_sslDHparameters (refused in
// braid), and a missing key file (test_sslNoTrailingNewlinePem's family):
// the ssl: server reads its PEM files when parsed.
func TestServerFromString_SSL(t *testing.T) {
	ca, err := braidtest.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath := writePEM(t, dir, ca.Server)
	both := filepath.Join(dir, "both.pem")
	c, k := braidtest.PEM(ca.Server)
	if err := os.WriteFile(both, append(c, k...), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("no certificates here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &braidtest.MemoryReactor{}
	q := endpoints.QuoteStringArgument
	for _, tc := range []struct {
		name, desc, kind string
		chain            int
	}{
		{"test_ssl", "ssl:1234:backlog=12:privateKey=" + q(keyPath) + ":certKey=" + q(certPath) + ":sslmethod=TLSv1_2_METHOD:interface=10.0.0.1", "", 1},
		{"test_sslWithDefaults/one file", "ssl:4321:privateKey=" + q(both), "", 1},
		{"test_sslChainLoads", "ssl:4321:privateKey=" + q(keyPath) + ":certKey=" + q(certPath) + ":extraCertChain=" + q(certPath), "", 2},
		{"test_sslChainFileMustContainCert", "ssl:4321:privateKey=" + q(keyPath) + ":certKey=" + q(certPath) + ":extraCertChain=" + q(empty), endpoints.KindValue, 0},
		{"test_sslDHparameters", "ssl:4321:privateKey=" + q(both) + ":dhParameters=" + q(empty), endpoints.KindValue, 0},
		{"missing key file", "ssl:4321:privateKey=" + q(filepath.Join(dir, "nope.pem")), endpoints.KindOS, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep, err := endpoints.ServerFromString(r, tc.desc)
			if tc.kind != "" {
				de, ok := errors.AsType[*endpoints.DescriptionError](err)
				if !ok || de.Kind != tc.kind {
					t.Fatalf("ServerFromString = %v, %v; want a %s", ep, err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := ep.(*endpoints.SSL4ServerEndpoint)
			if got := len(s.Config.Certificates[0].Certificate); got != tc.chain {
				t.Errorf("chain length %d, want %d", got, tc.chain)
			}
		})
	}
}

// SSLClientStringTests.test_ssl, test_sslPositionalArgs,
// test_sslWithDefaults, test_unreadableCertificate (a directory's
// unreadable files are skipped), and WrapClientTLSParserTests'
// test_tls, test_tlsWithDefaults, test_tlsEndpointOverride (the endpoint=
// argument): what the ssl: and tls: clients verify.
func TestClientFromString_SSLAndTLS(t *testing.T) {
	ca, err := braidtest.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath := writePEM(t, filepath.Join(mkdir(t, dir, "client")), ca.Client)
	cas := mkdir(t, dir, "cas")
	caPEM, _ := braidtest.PEM(tls.Certificate{Certificate: [][]byte{ca.Cert.Raw}})
	if err := os.WriteFile(filepath.Join(cas, "ca.pem"), caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cas, "junk.pem"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &braidtest.MemoryReactorClock{}
	q := endpoints.QuoteStringArgument

	ep, err := endpoints.ClientFromString(r, "ssl:host=example.net:port=4321:privateKey="+q(keyPath)+":certKey="+q(certPath)+":bindAddress=10.0.0.3:timeout=3:caCertsDir="+q(cas))
	if err != nil {
		t.Fatal(err)
	}
	s := ep.(*endpoints.SSL4ClientEndpoint)
	if s.Host != "example.net" || s.Port != 4321 || s.Opts.Timeout != 3*time.Second || s.Opts.BindAddress.IP.String() != "10.0.0.3" {
		t.Errorf("ssl client endpoint %+v", s)
	}
	if len(s.Config.Certificates) != 1 || !s.Config.InsecureSkipVerify || s.Config.VerifyConnection == nil {
		t.Errorf("ssl client with caCertsDir and no hostname: want the chain checked and not the name: %+v", s.Config)
	}

	ep, err = endpoints.ClientFromString(r, "ssl:example.net:4321")
	if err != nil {
		t.Fatal(err)
	}
	if cfg := ep.(*endpoints.SSL4ClientEndpoint).Config; !cfg.InsecureSkipVerify || cfg.VerifyConnection != nil || len(cfg.Certificates) != 0 {
		t.Errorf("ssl client with defaults verifies something: %+v", cfg)
	}

	ep, err = endpoints.ClientFromString(r, "ssl:example.net:4321:hostname=other.example")
	if err != nil {
		t.Fatal(err)
	}
	if cfg := ep.(*endpoints.SSL4ClientEndpoint).Config; cfg.InsecureSkipVerify || cfg.ServerName != "other.example" {
		t.Errorf("ssl client with hostname: %+v", cfg)
	}

	for _, d := range []string{
		"tls:example.com:443:timeout=10:bindAddress=127.0.0.1:certificate=" + q(certPath) + ":privateKey=" + q(keyPath) + ":trustRoots=" + q(cas),
		"tls:example.com:443",
		"tls:example.com:443:endpoint=" + q("tcp:127.0.0.1:1234"),
	} {
		if _, err := endpoints.ClientFromString(r, d); err != nil {
			t.Errorf("ClientFromString(%q): %v", d, err)
		}
	}
	for _, d := range []string{"tls:example.com", "tls:example.com:443:bogus=1", "tls:example.com:443:endpoint=" + q("nope:1")} {
		if _, err := endpoints.ClientFromString(r, d); err == nil {
			t.Errorf("ClientFromString(%q): no error", d)
		}
	}
}

func mkdir(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(parts...)
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// ParserTests.test_quoteStringArgument.
func TestQuoteStringArgument(t *testing.T) {
	if got, want := endpoints.QuoteStringArgument(`some : stuff \`), `some \: stuff \\`; got != want {
		t.Errorf("QuoteStringArgument = %q, want %q", got, want)
	}
}

// Bad input is an error, never a panic: a nil reactor, a trailing
// backslash.
func TestFromString_BadInput(t *testing.T) {
	if _, err := endpoints.ServerFromString(nil, "tcp:80"); err == nil {
		t.Error("ServerFromString(nil reactor): no error")
	}
	if _, err := endpoints.ClientFromString(nil, "tcp:h:80"); err == nil {
		t.Error("ClientFromString(nil reactor): no error")
	}
	for _, d := range []string{`tcp:80\`, `tcp\`, `:`, `tcp:80:=`, `unix:`} {
		_, err1 := endpoints.ServerFromString(&unixReactor{}, d)
		_, err2 := endpoints.ClientFromString(&unixReactor{}, d)
		if d != `unix:` && (err1 == nil || err2 == nil) {
			t.Errorf("%q: server err %v, client err %v", d, err1, err2)
		}
	}
}
