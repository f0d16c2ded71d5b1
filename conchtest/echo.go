package conchtest

import (
	"bytes"
	"net"

	"github.com/braid-go/braid/protocol"
)

// Echo ports the Echo protocol of Conch's tests (C-01): it writes back every
// chunk it receives and, when a chunk contains "\n", closes the connection
// (after the echo is flushed). Without a newline the connection stays open.
type Echo struct {
	protocol.BaseProtocol
}

// DataReceived echoes data and closes on a newline.
func (e *Echo) DataReceived(data []byte) {
	e.Transport.Write(data)
	if bytes.IndexByte(data, '\n') >= 0 {
		e.Transport.LoseConnection()
	}
}

// EchoFactory ports Conch's EchoFactory: a factory of Echo protocols.
func EchoFactory() protocol.Factory {
	return protocol.FactoryFor(func() protocol.Protocol { return &Echo{} })
}

// ListenEcho starts an echo server on iface ("127.0.0.1" or "::1") and an
// ephemeral port; [PortNumber] says which. Stop it with StopListening.
func ListenEcho(r protocol.ReactorTCP, iface string) (protocol.ListeningPort, error) {
	return r.ListenTCP(0, EchoFactory(), protocol.ListenTCPOptions{Interface: iface})
}

// PortNumber returns the TCP port a listening port is bound to, or 0.
func PortNumber(p protocol.ListeningPort) int {
	if a, ok := p.GetHost().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}
