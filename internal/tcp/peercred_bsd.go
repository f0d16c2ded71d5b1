//go:build darwin || freebsd

package tcp

import (
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
)

// recvmsgFlags: received descriptors are made close-on-exec after the read.
const recvmsgFlags = 0

// localPeerPID is macOS's LOCAL_PEERPID (x/sys has it for darwin only).
const localPeerPID = 0x2

// PeerCredentials returns the peer's uid and primary gid (LOCAL_PEERCRED)
// and, on macOS, its pid (LOCAL_PEERPID); PID is -1 elsewhere. Beyond
// Twisted.
func (c *Conn) PeerCredentials() (protocol.PeerCredentials, error) {
	if err := c.credentialsUsable(); err != nil {
		return protocol.PeerCredentials{}, err
	}
	x, err := unix.GetsockoptXucred(c.fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return protocol.PeerCredentials{}, c.credentialsError(err)
	}
	cred := protocol.PeerCredentials{PID: -1, UID: x.Uid}
	if x.Ngroups > 0 {
		cred.GID = x.Groups[0]
	}
	if runtime.GOOS == "darwin" {
		if pid, err := unix.GetsockoptInt(c.fd, unix.SOL_LOCAL, localPeerPID); err == nil {
			cred.PID = pid
		}
	}
	return cred, nil
}
