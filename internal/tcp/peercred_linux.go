//go:build linux

package tcp

import (
	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
)

// recvmsgFlags makes received descriptors close-on-exec atomically.
const recvmsgFlags = unix.MSG_CMSG_CLOEXEC

// PeerCredentials returns the peer's pid, uid and gid (SO_PEERCRED), as
// the kernel recorded them at connect time. Beyond Twisted.
func (c *Conn) PeerCredentials() (protocol.PeerCredentials, error) {
	if err := c.credentialsUsable(); err != nil {
		return protocol.PeerCredentials{}, err
	}
	u, err := unix.GetsockoptUcred(c.fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return protocol.PeerCredentials{}, c.credentialsError(err)
	}
	return protocol.PeerCredentials{PID: int(u.Pid), UID: u.Uid, GID: u.Gid}, nil
}
