package main

// The tls group (issue 14): one-connection TLS echo throughput — braid's
// ListenSSL/ConnectSSL beside Twisted's listenSSL/connectSSL
// (bench/twisted/tls_echo.py) and plain Go crypto/tls over net.Conn.

import (
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

const tlsChunk = 16 << 10 // one TLS record

func init() {
	register(Workload{
		Group:   "tls",
		Name:    "TLS echo: 16 KiB written and echoed back, one connection",
		Unit:    "round trip",
		N:       500,
		Bytes:   tlsChunk,
		Braid:   braidTLSEcho,
		PlainGo: goTLSEcho,
		Twisted: []string{"tls_echo.py", "-size", strconv.Itoa(tlsChunk)},
		Note: "client and echo server on one reactor (braid: ListenSSL/ConnectSSL, crypto/tls run over the " +
			"connection's bytes; Twisted: listenSSL/connectSSL over pyOpenSSL) or a goroutine each (plain Go: " +
			"tls.Conn over net.Conn, io.Copy). ECDSA P-256 keys; the time includes the one handshake.",
	})
}

var benchCA = sync.OnceValues(braidtest.NewTestCA)

// braidTLSEcho is braidEcho over TLS.
func braidTLSEcho(n int) (time.Duration, error) {
	ca, err := benchCA()
	if err != nil {
		return 0, err
	}
	return braidEchoWith(n, tlsChunk,
		func(r *braid.Reactor, f protocol.Factory) (protocol.ListeningPort, error) {
			return r.ListenSSL(0, f, ca.ServerConfig(), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
		},
		func(r *braid.Reactor, port int, cf protocol.ClientFactory) {
			r.ConnectSSL("127.0.0.1", port, cf, ca.ClientConfig(), protocol.ConnectTCPOptions{})
		})
}

// goTLSEcho is goEcho with crypto/tls on both ends.
func goTLSEcho(n int) (time.Duration, error) {
	ca, err := benchCA()
	if err != nil {
		return 0, err
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", ca.ServerConfig())
	if err != nil {
		return 0, err
	}
	defer l.Close()
	serveOn(l, func(c net.Conn) { _, _ = io.Copy(c, c) })
	cfg := ca.ClientConfig()
	cfg.ServerName = "127.0.0.1"
	t0 := time.Now()
	c, err := tls.Dial("tcp", l.Addr().String(), cfg)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	chunk, buf := make([]byte, tlsChunk), make([]byte, tlsChunk)
	for range n {
		if _, err := c.Write(chunk); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return 0, err
		}
	}
	return time.Since(t0), nil
}
