//go:build unix

package tcp

import (
	"net"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// UNIX socket addresses. braid writes a name in Linux's abstract namespace
// as Twisted does, with a leading NUL ("\x00name"); x/sys writes it with a
// leading '@', and would also take a filesystem path starting with '@' for
// an abstract name, so such a path is given to the kernel as "./@...".

// inFilesystem ports _inFilesystemNamespace: whether address names a file
// (rather than an abstract name).
func inFilesystem(address string) bool {
	return !strings.HasPrefix(address, "\x00")
}

// unixSockaddr is the kernel form of address.
func unixSockaddr(address string) *unix.SockaddrUnix {
	switch {
	case !inFilesystem(address):
		return &unix.SockaddrUnix{Name: "@" + address[1:]}
	case strings.HasPrefix(address, "@"):
		return &unix.SockaddrUnix{Name: "./" + address}
	}
	return &unix.SockaddrUnix{Name: address}
}

// unixAddrOf converts a kernel address back: "" for an unbound socket,
// "\x00name" for an abstract one.
func unixAddrOf(sa *unix.SockaddrUnix) *net.UnixAddr {
	name := sa.Name
	if runtime.GOOS == "linux" && strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:]
		if name == "\x00" {
			name = "" // unbound: x/sys reports an empty path as "@"
		}
	}
	return &net.UnixAddr{Name: name, Net: "unix"}
}
