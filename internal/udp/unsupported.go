//go:build !unix

package udp

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// errUnsupported is what every UDP call gives on a platform without a
// descriptor poller (Windows among them).
var errUnsupported = fmt.Errorf("UDP is not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Listen fails at once with a *protocol.CannotListenError wrapping
// errors.ErrUnsupported.
func Listen(r *reactor.Reactor, port int, proto protocol.DatagramProtocol, opts protocol.ListenUDPOptions) (protocol.UDPTransport, error) {
	return nil, &protocol.CannotListenError{Interface: opts.Interface, Port: port, Err: errUnsupported}
}

// ListenMulticast fails as Listen does.
func ListenMulticast(r *reactor.Reactor, port int, proto protocol.DatagramProtocol, opts protocol.ListenMulticastOptions) (protocol.MulticastTransport, error) {
	return nil, &protocol.CannotListenError{Interface: opts.Interface, Port: port, Err: errUnsupported}
}
