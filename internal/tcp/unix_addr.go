//go:build unix

package tcp

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// UNIX socket addresses. braid writes a name in Linux's abstract namespace
// as Twisted does, with a leading NUL ("\x00name"); x/sys writes it with a
// leading '@', and would also take a filesystem path starting with '@' for
// an abstract name, so such a path is given to the kernel as "./@...".

// abstractNamespace reports whether the kernel has Linux's abstract
// namespace; tests turn it off to see what other systems do.
var abstractNamespace = runtime.GOOS == "linux"

// inFilesystem ports _inFilesystemNamespace: whether address names a file
// (rather than an abstract name).
func inFilesystem(address string) bool {
	return !strings.HasPrefix(address, "\x00")
}

// errNoAbstractNamespace is the error for an abstract name on a kernel
// without the namespace, where x/sys would bind a file named "@name".
var errNoAbstractNamespace = fmt.Errorf("abstract UNIX socket names on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// unixSockaddr is the kernel form of address.
func unixSockaddr(address string) (*unix.SockaddrUnix, error) {
	switch {
	case !inFilesystem(address) && !abstractNamespace:
		return nil, errNoAbstractNamespace
	case !inFilesystem(address):
		return &unix.SockaddrUnix{Name: "@" + address[1:]}, nil
	case strings.HasPrefix(address, "@"):
		return &unix.SockaddrUnix{Name: "./" + address}, nil
	}
	return &unix.SockaddrUnix{Name: address}, nil
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
