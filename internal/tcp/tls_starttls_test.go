//go:build unix

package tcp

// Ports TLSTests and SpammyTLSTests of twisted/test/test_ssl.py (Twisted
// 22.4): STARTTLS between a client that sends lines before and after the
// switch and closes at once, and a server that collects them.

import (
	"bytes"
	"crypto/tls"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

var (
	preTLS  = []string{"first line", "last thing before tls starts", "STARTTLS"}
	postTLS = []string{"first thing after tls started", "last thing ever"}
)

// lineProto splits what it receives into "\r\n"-terminated lines, or
// collects it raw once raw is set (a stand-in for basic.LineReceiver).
type lineProto struct {
	protocol.BaseProtocol
	buf    []byte
	raw    bool
	rawLen int
	onMade func()
	onLine func(line string)
	onRaw  func()
	lost   func()
}

func (p *lineProto) sendLine(s string) { p.Transport.Write([]byte(s + "\r\n")) }

func (p *lineProto) DataReceived(b []byte) {
	if p.raw {
		p.rawLen += len(b)
		p.onRaw()
		return
	}
	p.buf = append(p.buf, b...)
	for !p.raw {
		i := bytes.Index(p.buf, []byte("\r\n"))
		if i < 0 {
			return
		}
		line := string(p.buf[:i])
		p.buf = p.buf[i+2:]
		p.onLine(line)
	}
	if p.raw && len(p.buf) > 0 {
		rest := p.buf
		p.buf = nil
		p.DataReceived(rest)
	}
}

func (p *lineProto) ConnectionMade() {
	if p.onMade != nil {
		p.onMade()
	}
}

func (p *lineProto) ConnectionLost(*reactor.Failure) { p.lost() }

// unintelligent ports UnintelligentProtocol: lines, then on READY it
// starts TLS (as a server when tlsServer), sends more lines and closes.
func unintelligent(ca tlsConfigs, tlsServer bool) *lineProto {
	p := &lineProto{}
	p.onLine = func(line string) {
		if line != "READY" {
			return
		}
		cfg := ca.client
		if tlsServer {
			cfg = ca.server
		}
		if err := p.Transport.(protocol.TLSTransport).StartTLS(cfg, tlsServer); err != nil {
			panic(err)
		}
		for _, l := range postTLS {
			p.sendLine(l)
		}
		p.Transport.LoseConnection()
	}
	return p
}

type tlsConfigs struct{ server, client *tls.Config }

// collector ports LineCollector: it records lines; on STARTTLS it answers
// READY (after 500 lines of filler when spammy) and starts TLS, or with
// doTLS false switches to raw mode and closes on the first raw bytes.
func collector(ca tlsConfigs, doTLS, spammy, tlsServer bool, lines *[]string, rawLen *int) *lineProto {
	p := &lineProto{}
	p.onRaw = func() { *rawLen = p.rawLen; p.Transport.LoseConnection() }
	p.onLine = func(line string) {
		*lines = append(*lines, line)
		if line != "STARTTLS" {
			return
		}
		if spammy {
			for range 500 {
				p.sendLine(string(bytes.Repeat([]byte("X"), 1000)))
			}
		}
		p.sendLine("READY")
		if !doTLS {
			p.raw = true
			return
		}
		cfg := ca.client
		if tlsServer {
			cfg = ca.server
		}
		if err := p.Transport.(protocol.TLSTransport).StartTLS(cfg, tlsServer); err != nil {
			panic(err)
		}
	}
	return p
}

func TestTLS_StartTLSTests_test_ssl(t *testing.T) {
	ca := testCA(t)
	cfgs := tlsConfigs{server: ca.ServerConfig(), client: ca.ClientConfig()}
	for _, tc := range []struct {
		name                string
		doTLS, spammy, back bool
		want                []string
	}{
		{"test_TLS", true, false, false, append(append([]string{}, preTLS...), postTLS...)},
		{"test_unTLS", false, false, false, preTLS},
		{"test_backwardsTLS", true, false, true, append(append([]string{}, preTLS...), postTLS...)},
		{"SpammyTLSTests.test_TLS", true, true, false, append(append([]string{}, preTLS...), postTLS...)},
		{"SpammyTLSTests.test_unTLS", false, true, false, preTLS},
		{"SpammyTLSTests.test_backwardsTLS", true, true, true, append(append([]string{}, preTLS...), postTLS...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tcpReactor(t)
			var lines []string
			rawLen := 0
			// The collector is always the TLS server (it answers READY and
			// waits for the hello), the sender the TLS client; in
			// test_backwardsTLS they are the TCP client and server.
			sender := unintelligent(cfgs, false)
			coll := collector(cfgs, tc.doTLS, tc.spammy, true, &lines, &rawLen)
			server, client := coll, sender
			if tc.back {
				server, client = sender, coll
			}
			sender.onMade = func() {
				for _, l := range preTLS {
					sender.sendLine(l)
				}
			}
			testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
				lost := 0
				done := func() {
					if lost++; lost == 2 {
						stop()
					}
				}
				server.lost, client.lost = done, done
				port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol { return server }))
				t.Cleanup(func() { port.StopListening() })
				Connect(r, "127.0.0.1", tcpPortOf(port), protocol.ClientFactoryFor(func() protocol.Protocol { return client }), protocol.ConnectTCPOptions{})
			})
			if d := cmp.Diff(tc.want, lines); d != "" {
				t.Errorf("lines collected (-want +got):\n%s", d)
			}
			if !tc.doTLS && rawLen == 0 {
				t.Error("no encrypted bytes received in raw mode")
			}
		})
	}
}
