//go:build unix

package tcp

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// TLS over real loopback sockets: ListenSSL, ConnectSSL and StartTLS, the
// behaviour of twisted/protocols/test/test_tls.py and test/test_ssl.py that
// does not depend on pyOpenSSL.

func testCA(t testing.TB) *braidtest.TestCA {
	t.Helper()
	ca, err := braidtest.NewTestCA()
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// tlsRecorder is a tcpRecorder that notes the handshake's end and its
// transport's peer certificate then.
type tlsRecorder struct {
	tcpRecorder
	peer *x509.Certificate
}

func (p *tlsRecorder) HandshakeCompleted() {
	p.events = append(p.events, "handshake")
	p.peer = p.Transport.(protocol.SSLTransport).GetPeerCertificate()
}

// tlsPair listens with server and connects with client, running until both
// protocols have lost their connection.
func tlsPair(t *testing.T, serverCfg, clientCfg *tls.Config, server, client *tlsRecorder) {
	t.Helper()
	r := tcpReactor(t)
	testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
		lost := 0
		done := func(*tcpRecorder) {
			if lost++; lost == 2 {
				stop()
			}
		}
		server.onLost, client.onLost = done, done
		p, err := ListenSSL(r, 0, protocol.FactoryFor(func() protocol.Protocol { return server }), serverCfg, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.StopListening() })
		ConnectSSL(r, "127.0.0.1", tcpPortOf(p), protocol.ClientFactoryFor(func() protocol.Protocol { return client }), clientCfg, protocol.ConnectTCPOptions{})
	})
}

// test_handshake, test_getPeerCertificate, test_writeBeforeHandshake,
// test_loseConnectionAfterHandshake: what ConnectionMade writes is held
// until the handshake is done; both sides see the other's certificate; a
// megabyte written before LoseConnection all arrives; close_notify ends
// both sides with ConnectionDone.
func TestTLS_HandshakeDataAndCleanClose(t *testing.T) {
	ca := testCA(t)
	chunk := bytes.Repeat([]byte("123456890"), 100000)
	server := &tlsRecorder{}
	server.onData = func(p *tcpRecorder, b []byte) {
		if len(p.data) == len(chunk) {
			p.Transport.Write([]byte("x"))
			p.Transport.LoseConnection()
		}
	}
	client := &tlsRecorder{}
	client.onMade = func(p *tcpRecorder) {
		if got := p.Transport.(protocol.SSLTransport).GetPeerCertificate(); got != nil {
			t.Errorf("peer certificate before the handshake: %v", got.Subject)
		}
		p.Transport.Write(chunk)
	}
	tlsPair(t, ca.MutualServerConfig(), ca.ClientConfig(), server, client)

	want := []string{"made", "handshake", "data", "lost:done"}
	if d := cmp.Diff(want, server.events); d != "" {
		t.Errorf("server events (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, client.events); d != "" {
		t.Errorf("client events (-want +got):\n%s", d)
	}
	if !bytes.Equal(server.data, chunk) {
		t.Errorf("server got %d bytes, want %d", len(server.data), len(chunk))
	}
	if string(client.data) != "x" {
		t.Errorf("client got %q", client.data)
	}
	if server.peer == nil || server.peer.Subject.CommonName != "braidtest client" {
		t.Errorf("server's peer certificate: %v", server.peer)
	}
	if client.peer == nil || client.peer.Subject.CommonName != "localhost" {
		t.Errorf("client's peer certificate: %v", client.peer)
	}
}

// test_handshakeFailure: a client that does not trust the server's
// certificate ends the connection; both protocols get ConnectionLost with
// a *protocol.TLSError (the client's wrapping the x509 error), never
// HandshakeCompleted or data.
func TestTLS_HandshakeFailure(t *testing.T) {
	ca, other := testCA(t), testCA(t)
	server, client := &tlsRecorder{}, &tlsRecorder{}
	client.onMade = func(p *tcpRecorder) { p.Transport.Write([]byte("never sent")) }
	tlsPair(t, ca.ServerConfig(), other.ClientConfig(), server, client)
	for name, p := range map[string]*tlsRecorder{"server": server, "client": client} {
		if d := cmp.Diff([]string{"made"}, p.events[:len(p.events)-1]); d != "" {
			t.Errorf("%s events (-want +got):\n%s", name, d)
		}
		if _, ok := errors.AsType[*protocol.TLSError](p.reason); !ok {
			t.Errorf("%s reason = %v, want a *protocol.TLSError", name, p.reason)
		}
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](client.reason); !ok {
		t.Errorf("client reason = %v, want it to wrap a *tls.CertificateVerificationError", client.reason)
	}
}

// goTLSPeer runs f on a crypto/tls client of a port on 127.0.0.1, as a
// foreign peer would be.
func goTLSPeer(port int, cfg *tls.Config, f func(c *tls.Conn) error) <-chan error {
	return tcpPlainPeer(port, func(c *net.TCPConn) error {
		cfg = cfg.Clone()
		cfg.ServerName = "localhost"
		return f(tls.Client(c, cfg))
	})
}

// serveTLS runs a ListenSSL port with p's protocol and a Go peer doing f,
// until p has lost its connection and the peer is done.
func serveTLS(t *testing.T, ca *braidtest.TestCA, p *tlsRecorder, f func(c *tls.Conn) error) {
	t.Helper()
	serveTLSPeer(t, ca, p, f, true)
}

// serveTLSPeer is serveTLS; with checkPeer false the peer may fail (even
// to connect), as when the server aborts at once.
func serveTLSPeer(t *testing.T, ca *braidtest.TestCA, p *tlsRecorder, f func(c *tls.Conn) error, checkPeer bool) {
	t.Helper()
	r := tcpReactor(t)
	testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
		var peerErr <-chan error
		p.onLost = func(*tcpRecorder) {
			go func() {
				if err := <-peerErr; err != nil && checkPeer {
					t.Errorf("peer: %v", err)
				}
				r.CallFromThread(stop)
			}()
		}
		port, err := ListenSSL(r, 0, protocol.FactoryFor(func() protocol.Protocol { return p }), ca.ServerConfig(), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { port.StopListening() })
		peerErr = goTLSPeer(tcpPortOf(port), ca.ClientConfig(), f)
	})
}

// test_unexpectedEOF, test_disorderlyShutdown: a peer that closes the TCP
// connection without close_notify gives ConnectionLost, not
// ConnectionDone; what it sent before arrives.
func TestTLS_UnexpectedEOFIsConnectionLost(t *testing.T) {
	p := &tlsRecorder{}
	serveTLS(t, testCA(t), p, func(c *tls.Conn) error {
		if _, err := c.Write([]byte("hello")); err != nil {
			return err
		}
		return c.NetConn().Close()
	})
	if d := cmp.Diff([]string{"made", "handshake", "data", "lost:lost"}, p.events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	if string(p.data) != "hello" {
		t.Errorf("data = %q", p.data)
	}
}

// A peer's close_notify is answered with ours, and the connection ends
// with ConnectionDone (ZeroReturnError in Twisted).
func TestTLS_PeerCloseNotifyIsConnectionDone(t *testing.T) {
	p := &tlsRecorder{}
	p.onData = func(p *tcpRecorder, b []byte) { p.Transport.Write(b) }
	serveTLS(t, testCA(t), p, func(c *tls.Conn) error {
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			return errors.New("echo: " + string(buf))
		}
		if err := c.CloseWrite(); err != nil {
			return err
		}
		// Our close_notify is answered: the read ends with a clean EOF.
		if n, err := c.Read(buf); err != io.EOF {
			return errors.New("after close_notify read " + strconv.Itoa(n) + " bytes, err " + errString(err))
		}
		return c.Close()
	})
	if d := cmp.Diff([]string{"made", "handshake", "data", "lost:done"}, p.events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// LoseWriteConnection sends close_notify and keeps reading: the peer reads
// a clean EOF, answers, and what it sends still arrives.
func TestTLS_LoseWriteConnectionKeepsReading(t *testing.T) {
	p := &tlsRecorder{}
	p.onMade = func(p *tcpRecorder) {
		p.Transport.Write([]byte("last words"))
		p.Transport.(protocol.TCPTransport).LoseWriteConnection()
		p.Transport.Write([]byte("dropped"))
	}
	serveTLS(t, testCA(t), p, func(c *tls.Conn) error {
		got, err := io.ReadAll(c)
		if err != nil {
			return err
		}
		if string(got) != "last words" {
			return errors.New("peer read " + strconv.Quote(string(got)))
		}
		if _, err := c.Write([]byte("reply")); err != nil {
			return err
		}
		return c.Close()
	})
	if d := cmp.Diff([]string{"made", "handshake", "data", "lost:done"}, p.events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	if string(p.data) != "reply" {
		t.Errorf("data = %q", p.data)
	}
}

// abortConnection ends the connection at once; the protocol's reason is
// ConnectionLost, as in Twisted (whose TLS layer then sees the stream end
// without close_notify), not ConnectionAborted.
func TestTLS_AbortConnection(t *testing.T) {
	p := &tlsRecorder{}
	p.onData = func(p *tcpRecorder, b []byte) {
		p.Transport.(protocol.TCPTransport).AbortConnection()
		p.Transport.Write([]byte("dropped"))
	}
	serveTLS(t, testCA(t), p, func(c *tls.Conn) error {
		if _, err := c.Write([]byte("abort me")); err != nil {
			return err
		}
		_, err := io.ReadAll(c)
		if err == nil {
			return errors.New("peer read a clean EOF after an abort")
		}
		return nil
	})
	if d := cmp.Diff([]string{"made", "handshake", "data", "lost:lost"}, p.events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

// LoseConnection before the handshake, with nothing written, aborts (as
// Twisted does: OpenSSL could not shut down cleanly yet).
func TestTLS_LoseConnectionBeforeHandshakeAborts(t *testing.T) {
	p := &tlsRecorder{}
	p.onMade = func(p *tcpRecorder) { p.Transport.LoseConnection() }
	serveTLSPeer(t, testCA(t), p, func(c *tls.Conn) error {
		return c.Handshake() // fails: the server went away
	}, false)
	if d := cmp.Diff([]string{"made", "lost:lost"}, p.events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

// test_loseConnectionTwice, test_writeAfterLoseConnection: a second
// LoseConnection does nothing; writes after LoseConnection are dropped.
func TestTLS_WriteAfterLoseConnectionDropped(t *testing.T) {
	p := &tlsRecorder{}
	p.onData = func(p *tcpRecorder, b []byte) {
		p.Transport.Write([]byte("kept"))
		p.Transport.LoseConnection()
		p.Transport.Write([]byte("dropped"))
		p.Transport.LoseConnection()
	}
	serveTLS(t, testCA(t), p, func(c *tls.Conn) error {
		if _, err := c.Write([]byte("go")); err != nil {
			return err
		}
		got, err := io.ReadAll(c)
		if err != nil {
			return err
		}
		if string(got) != "kept" {
			return errors.New("peer read " + strconv.Quote(string(got)))
		}
		return c.Close()
	})
	if d := cmp.Diff([]string{"made", "handshake", "data", "lost:done"}, p.events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

// StartTLS on both sides of a live connection: bytes written before the
// switch go out in the clear and in order; bytes written after it are
// encrypted (ITLSTransport.startTLS, test_ssl.py's STARTTLS tests).
func TestTLS_StartTLSOrdering(t *testing.T) {
	ca := testCA(t)
	r := tcpReactor(t)
	server, client := &tlsRecorder{}, &tlsRecorder{}
	server.onData = func(p *tcpRecorder, b []byte) {
		if string(p.data) == "STARTTLS\r\n" {
			p.Transport.Write([]byte("OK\r\n"))
			if err := p.Transport.(protocol.TLSTransport).StartTLS(ca.MutualServerConfig(), true); err != nil {
				t.Errorf("server StartTLS: %v", err)
			}
			p.Transport.Write([]byte("secret"))
			p.data = nil
		} else if string(p.data) == "hello" {
			p.Transport.LoseConnection()
		}
	}
	client.onMade = func(p *tcpRecorder) { p.Transport.Write([]byte("STARTTLS\r\n")) }
	client.onData = func(p *tcpRecorder, b []byte) {
		if string(p.data) == "OK\r\n" {
			tt := p.Transport.(protocol.TLSTransport)
			if err := tt.StartTLS(ca.ClientConfig(), false); err != nil {
				t.Errorf("client StartTLS: %v", err)
			}
			if err := tt.StartTLS(ca.ClientConfig(), false); !errors.Is(err, protocol.ErrTLSStarted) {
				t.Errorf("second StartTLS = %v, want ErrTLSStarted", err)
			}
			p.Transport.Write([]byte("hello"))
			p.data = nil
		}
	}
	testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
		lost := 0
		done := func(*tcpRecorder) {
			if lost++; lost == 2 {
				stop()
			}
		}
		server.onLost, client.onLost = done, done
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol { return server }))
		t.Cleanup(func() { port.StopListening() })
		Connect(r, "127.0.0.1", tcpPortOf(port), protocol.ClientFactoryFor(func() protocol.Protocol { return client }), protocol.ConnectTCPOptions{})
	})
	if d := cmp.Diff([]string{"made", "data", "handshake", "data", "lost:done"}, server.events); d != "" {
		t.Errorf("server events (-want +got):\n%s", d)
	}
	if string(client.data) != "secret" || client.peer == nil || server.peer == nil {
		t.Errorf("client data %q, peers %v %v", client.data, client.peer, server.peer)
	}
}

// Bad configs: ListenSSL refuses at once, ConnectSSL fails through
// ClientConnectionFailed, StartTLS returns the error.
func TestTLS_BadConfig(t *testing.T) {
	r := tcpReactor(t)
	_, err := ListenSSL(r, 0, protocol.FactoryFor(func() protocol.Protocol { return &tcpRecorder{} }), &tls.Config{}, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if _, ok := errors.AsType[*protocol.CannotListenError](err); !ok || !errors.Is(err, protocol.ErrTLSConfig) {
		t.Errorf("ListenSSL without certificates = %v", err)
	}
	f := &failFactory{}
	protocol.Bind(f)
	testkit.RunUntil(t, r, 30*time.Second, func(stop func()) {
		f.stop = stop
		ConnectSSL(r, "127.0.0.1", 1, f, nil, protocol.ConnectTCPOptions{})
	})
	if !errors.Is(f.reason, protocol.ErrTLSConfig) {
		t.Errorf("ConnectSSL(nil config) failed with %v", f.reason)
	}
}

type failFactory struct {
	protocol.BaseClientFactory
	reason *reactor.Failure
	stop   func()
}

func (f *failFactory) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	f.reason = reason
	f.stop()
}

// The client side of StartTLS against a crypto/tls server: "plain" written
// before the switch is read in the clear, "secret" after it through TLS.
func TestTLS_StartTLSClientWritesPlainFirst(t *testing.T) {
	ca := testCA(t)
	r := tcpReactor(t)
	p := &tlsRecorder{}
	p.onMade = func(p *tcpRecorder) {
		p.Transport.Write([]byte("plain"))
		if err := p.Transport.(protocol.TLSTransport).StartTLS(ca.ClientConfig(), false); err != nil {
			t.Errorf("StartTLS: %v", err)
		}
		p.Transport.Write([]byte("secret"))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peer := make(chan error, 1)
	go func() {
		peer <- func() error {
			c, err := l.Accept()
			if err != nil {
				return err
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(60 * time.Second)) // a hang guard only
			buf := make([]byte, 5)
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "plain" {
				return errors.New("plain part: " + strconv.Quote(string(buf)) + " " + errString(err))
			}
			tc := tls.Server(c, ca.ServerConfig())
			buf = make([]byte, 6)
			if _, err := io.ReadFull(tc, buf); err != nil || string(buf) != "secret" {
				return errors.New("secret part: " + strconv.Quote(string(buf)) + " " + errString(err))
			}
			return tc.Close()
		}()
	}()
	testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
		p.onLost = func(*tcpRecorder) { stop() }
		Connect(r, "127.0.0.1", l.Addr().(*net.TCPAddr).Port, protocol.ClientFactoryFor(func() protocol.Protocol { return p }), protocol.ConnectTCPOptions{})
	})
	if err := <-peer; err != nil {
		t.Error(err)
	}
	if d := cmp.Diff([]string{"made", "handshake", "lost:done"}, p.events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

// Each TLS connection runs one goroutine; it ends with the connection,
// including when the reactor stops with the connection still open, and no
// descriptor is left behind.
func TestTLS_NoGoroutineOrDescriptorLeft(t *testing.T) {
	ca := testCA(t)
	before := runtime.NumGoroutine()
	fds := tcpOpenFDs(t)
	for range 3 {
		server, client := &tlsRecorder{}, &tlsRecorder{}
		client.onMade = func(p *tcpRecorder) { p.Transport.Write([]byte("x")) }
		server.onData = func(p *tcpRecorder, b []byte) { p.Transport.LoseConnection() }
		tlsPair(t, ca.ServerConfig(), ca.ClientConfig(), server, client)
	}
	// Stopped with both ends open after the handshake.
	r := tcpReactor(t)
	server, client := &tlsRecorder{}, &tlsRecorder{}
	testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
		server.onData = func(p *tcpRecorder, b []byte) { stop() }
		client.onMade = func(p *tcpRecorder) { p.Transport.Write([]byte("x")) }
		p, err := ListenSSL(r, 0, protocol.FactoryFor(func() protocol.Protocol { return server }), ca.ServerConfig(), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		ConnectSSL(r, "127.0.0.1", tcpPortOf(p), protocol.ClientFactoryFor(func() protocol.Protocol { return client }), ca.ClientConfig(), protocol.ConnectTCPOptions{})
	})
	if server.lost != 1 || client.lost != 1 {
		t.Errorf("ConnectionLost calls at shutdown: server %d, client %d", server.lost, client.lost)
	}
	if after := tcpSettleGoroutines(before); after > before {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
	if after := tcpOpenFDs(t); after > fds {
		t.Errorf("descriptors: %d before, %d after", fds, after)
	}
}

// test_multipleWrites, test_writeSequence, test_hugeWrite: many small
// writes, a WriteSequence and one write of several records all arrive
// whole and in order.
func TestTLS_WritesArriveInOrder(t *testing.T) {
	ca := testCA(t)
	var want bytes.Buffer
	huge := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: 64 records
	for _, tc := range []struct {
		name  string
		write func(tr protocol.Transport)
	}{
		{"test_multipleWrites", func(tr protocol.Transport) {
			for i := range 100 {
				tr.Write([]byte(strconv.Itoa(i) + ","))
			}
		}},
		{"test_writeSequence", func(tr protocol.Transport) {
			tr.WriteSequence([][]byte{[]byte("alpha"), []byte("beta"), nil, []byte("gamma")})
		}},
		{"test_hugeWrite", func(tr protocol.Transport) { tr.Write(huge) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want.Reset()
			rec := &recordingTransport{buf: &want}
			tc.write(rec)
			server, client := &tlsRecorder{}, &tlsRecorder{}
			client.onMade = func(p *tcpRecorder) { tc.write(p.Transport); p.Transport.LoseConnection() }
			tlsPair(t, ca.ServerConfig(), ca.ClientConfig(), server, client)
			if !bytes.Equal(server.data, want.Bytes()) {
				t.Errorf("server got %d bytes, want %d in order", len(server.data), want.Len())
			}
			if server.events[len(server.events)-1] != "lost:done" {
				t.Errorf("server events %v", server.events)
			}
		})
	}
}

// recordingTransport collects what would be written, to build the
// expected bytes with the same write function.
type recordingTransport struct {
	protocol.Transport
	buf *bytes.Buffer
}

func (r *recordingTransport) Write(b []byte) { r.buf.Write(b) }
func (r *recordingTransport) WriteSequence(bs [][]byte) {
	for _, b := range bs {
		r.buf.Write(b)
	}
}
