package braidtest_test

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/braid-go/braid/braidtest"
)

// A test CA's configs work with crypto/tls directly too: here a handshake
// over net.Pipe, the client checking the name "localhost".
func ExampleNewTestCA() {
	ca, err := braidtest.NewTestCA()
	if err != nil {
		fmt.Println(err)
		return
	}
	a, b := net.Pipe()
	server := tls.Server(a, ca.MutualServerConfig())
	go func() { _ = server.Handshake() }()
	cfg := ca.ClientConfig()
	cfg.ServerName = "localhost"
	client := tls.Client(b, cfg)
	if err := client.Handshake(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verified:", client.ConnectionState().PeerCertificates[0].Subject.CommonName)
	fmt.Println("covers ::1:", ca.Server.Leaf.VerifyHostname("::1") == nil)
	a.Close() // the raw pipe: a TLS close_notify over net.Pipe waits for a reader
	b.Close()
	// Output:
	// verified: localhost
	// covers ::1: true
}
