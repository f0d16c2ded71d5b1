//go:build unix

package tcp

import (
	"net"

	"github.com/braid-go/braid/reactor"
)

func (c *Conn) credentialsUsable() error {
	switch {
	case !c.unixSock:
		return &net.OpError{Op: "peer credentials", Net: "tcp", Addr: c.GetPeer(), Err: errNotUNIX}
	case c.fd < 0 || c.connecting:
		return c.credentialsError(reactor.ErrConnectionClosed)
	}
	return nil
}

func (c *Conn) credentialsError(err error) error {
	return &net.OpError{Op: "peer credentials", Net: "unix", Addr: c.GetPeer(), Err: err}
}
