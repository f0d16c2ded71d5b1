package conchtest

import (
	"bytes"
	"net"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
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
// ephemeral port; the port's GetHost says which. Stop it with StopListening.
func ListenEcho(r *reactor.Reactor, iface string) (*protocol.Port, error) {
	return protocol.ListenTCP(r, 0, EchoFactory(), protocol.DefaultBacklog, iface)
}

// PortNumber returns the TCP port a listening Port is bound to.
func PortNumber(p *protocol.Port) int {
	if a, ok := p.GetHost().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}
