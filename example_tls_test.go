package braid_test

import (
	"fmt"
	"net"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// TLSGreeter is TCPGreeter that also prints who the server says it is once
// the handshake is done (IHandshakeListener).
type TLSGreeter struct{ TCPGreeter }

func (g *TLSGreeter) HandshakeCompleted() {
	cert := g.Transport.(protocol.SSLTransport).GetPeerCertificate()
	fmt.Println("server certificate:", cert.Subject.CommonName)
}

// A TLS echo server and client on loopback, with certificates from an
// in-memory test CA: Twisted's listenSSL and connectSSL.
func ExampleReactor_ListenSSL() {
	ca, err := braidtest.NewTestCA()
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := braid.New()
	echoes := protocol.FactoryFor(func() protocol.Protocol { return &TCPEcho{} })
	port, err := r.ListenSSL(0, echoes, ca.ServerConfig(), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	greeter := &TLSGreeter{TCPGreeter{done: func(reply []byte) {
		fmt.Printf("reply: %q\n", reply)
		port.StopListening().AddCallback(func(any) (any, error) { return nil, r.Stop() })
	}}}
	r.CallWhenRunning(func() {
		clients := protocol.ClientFactoryFor(func() protocol.Protocol { return greeter })
		r.ConnectSSL("127.0.0.1", port.GetHost().(*net.TCPAddr).Port, clients, ca.ClientConfig(), protocol.ConnectTCPOptions{})
	})
	if err := r.Run(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// server certificate: localhost
	// reply: "hello, braid\n"
}

// starttlsServer answers "STARTTLS" with "OK" in the clear and then speaks
// TLS, echoing.
type starttlsServer struct {
	TCPEcho
	ca     *braidtest.TestCA
	secure bool
}

func (s *starttlsServer) DataReceived(data []byte) {
	if s.secure {
		s.Transport.Write(data)
		return
	}
	s.Transport.Write([]byte("OK\n"))
	s.secure = true
	if err := s.Transport.(protocol.TLSTransport).StartTLS(s.ca.ServerConfig(), true); err != nil {
		fmt.Println(err)
	}
}

// starttlsClient asks for TLS, switches when told OK, and then greets.
type starttlsClient struct {
	TLSGreeter
	ca     *braidtest.TestCA
	secure bool
}

func (c *starttlsClient) ConnectionMade() { c.Transport.Write([]byte("STARTTLS\n")) }

func (c *starttlsClient) DataReceived(data []byte) {
	if c.secure {
		c.TLSGreeter.DataReceived(data)
		return
	}
	fmt.Printf("in the clear: %q\n", data)
	c.secure = true
	if err := c.Transport.(protocol.TLSTransport).StartTLS(c.ca.ClientConfig(), false); err != nil {
		fmt.Println(err)
	}
	c.Transport.Write([]byte("hello, braid\n")) // sent once the handshake is done
}

// STARTTLS: a plain TCP connection on which both sides start TLS
// (Twisted's ITLSTransport.startTLS).
func ExampleReactor_ListenTCP_startTLS() {
	ca, err := braidtest.NewTestCA()
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := braid.New()
	servers := protocol.FactoryFor(func() protocol.Protocol { return &starttlsServer{ca: ca} })
	port, err := r.ListenTCP(0, servers, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	client := &starttlsClient{ca: ca}
	client.done = func(reply []byte) {
		fmt.Printf("reply: %q\n", reply)
		port.StopListening().AddCallback(func(any) (any, error) { return nil, r.Stop() })
	}
	r.CallWhenRunning(func() {
		clients := protocol.ClientFactoryFor(func() protocol.Protocol { return client })
		r.ConnectTCP("127.0.0.1", port.GetHost().(*net.TCPAddr).Port, clients, protocol.ConnectTCPOptions{})
	})
	if err := r.Run(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// in the clear: "OK\n"
	// server certificate: localhost
	// reply: "hello, braid\n"
}
