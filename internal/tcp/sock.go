//go:build unix

package tcp

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/sockaddr"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// This file holds the socket plumbing shared by listening ports, accepted
// connections and client connections: address conversion, errno mapping,
// and the reserve descriptor used when the process runs out of them.

// resolveLiteral parses an IP literal (see sockaddr.Literal).
func resolveLiteral(host string) (netip.Addr, bool) { return sockaddr.Literal(host) }

// protoFor is the protocol of a stream socket of family: TCP for the
// internet families, the default for AF_UNIX.
func protoFor(family int) int {
	if family == unix.AF_UNIX {
		return 0
	}
	return unix.IPPROTO_TCP
}

func familyOf(a netip.Addr) int { return sockaddr.Family(a) }

// sockaddrOf converts an address and port to the kernel's form.
func sockaddrOf(a netip.Addr, port int) (unix.Sockaddr, error) { return sockaddr.Of(a, port) }

// tcpAddrOf converts a kernel address to the *net.TCPAddr braid hands out
// (Twisted's IPv4Address/IPv6Address with type 'TCP'), or nil.
func tcpAddrOf(sa unix.Sockaddr) *net.TCPAddr {
	ip, port, zone, ok := sockaddr.IPPort(sa)
	if !ok {
		return nil
	}
	return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
}

// addrOf converts a kernel address to the net.Addr braid hands out: a
// *net.TCPAddr for the internet families, a *net.UnixAddr for AF_UNIX; nil
// for anything else.
func addrOf(sa unix.Sockaddr) net.Addr {
	if u, ok := sa.(*unix.SockaddrUnix); ok {
		return unixAddrOf(u)
	}
	if a := tcpAddrOf(sa); a != nil {
		return a
	}
	return nil
}

// closeSocket ports _SocketCloser._closeSocket: an orderly close shuts both
// directions down first (so a descriptor shared with a child still ends the
// connection); an abortive one sets SO_LINGER to zero so that close sends
// a reset.
func closeSocket(fd int, orderly bool) {
	if orderly {
		_ = unix.Shutdown(fd, unix.SHUT_RDWR)
	} else {
		_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	}
	_ = unix.Close(fd)
}

// connectError ports error.getConnectError: the error a failed connect
// reports, by errno. dest (host:port) goes in Msg, so the message names the
// address.
func connectError(err error, dest string) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case unix.ECONNREFUSED:
			return &protocol.ConnectionRefusedError{OSError: errno, Msg: dest}
		case unix.ETIMEDOUT:
			return &protocol.TimeoutError{OSError: errno, Msg: dest}
		}
	}
	return &protocol.ConnectError{OSError: err, Msg: dest}
}

// lostError is the reason a connection that broke reports (T-06): an
// ErrConnectionLost that also matches the errno (ECONNRESET, EPIPE, ...),
// naming the connection.
type lostError struct {
	errno error
	conn  string
}

func (e *lostError) Error() string {
	return e.conn + ": " + reactor.ErrConnectionLost.Error() + ": " + e.errno.Error()
}

// Unwrap returns both the ErrConnectionLost kind and the errno, so
// errors.Is matches either.
func (e *lostError) Unwrap() []error { return []error{reactor.ErrConnectionLost, e.errno} }

func (c *Conn) lostBy(err error) error { return &lostError{errno: err, conn: c.String()} }

// isTemporary reports the errnos after which a read, write or accept
// should simply be retried on the next readiness.
func isTemporary(err error) bool {
	return err == unix.EAGAIN || err == unix.EINTR || err == unix.ENOBUFS
}

// reserveFD ports tcp._reservedFD: one descriptor held back so that a
// listening port that hits EMFILE can free it, accept the waiting
// connection and close it at once, instead of spinning on a readable
// socket it can never accept from.
var reserveFD = struct {
	sync.Mutex
	fd int
}{fd: -1}

func reserveDescriptor() {
	reserveFD.Lock()
	defer reserveFD.Unlock()
	if reserveFD.fd < 0 {
		if fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
			reserveFD.fd = fd
		}
	}
}

// shedOneConnection frees the reserve, accepts one pending connection, closes
// it and takes the reserve back. It reports whether one was shed.
func shedOneConnection(listenFD int) bool {
	reserveFD.Lock()
	defer reserveFD.Unlock()
	if reserveFD.fd < 0 {
		return false
	}
	_ = unix.Close(reserveFD.fd)
	reserveFD.fd = -1
	nfd, err := acceptSocket(listenFD)
	if err == nil {
		_ = unix.Close(nfd)
	}
	if fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		reserveFD.fd = fd
	}
	return err == nil
}
