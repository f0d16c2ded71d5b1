//go:build unix && !linux && !darwin && !freebsd

package tcp

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/braid-go/braid/protocol"
)

// recvmsgFlags: received descriptors are made close-on-exec after the read.
const recvmsgFlags = 0

// PeerCredentials is not implemented on this platform: it returns an error
// wrapping errors.ErrUnsupported.
func (c *Conn) PeerCredentials() (protocol.PeerCredentials, error) {
	if err := c.credentialsUsable(); err != nil {
		return protocol.PeerCredentials{}, err
	}
	return protocol.PeerCredentials{}, c.credentialsError(fmt.Errorf("peer credentials on %s: %w", runtime.GOOS, errors.ErrUnsupported))
}
