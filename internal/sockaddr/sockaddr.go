//go:build unix

package sockaddr

import (
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Family is the socket family of a: AF_INET or AF_INET6.
func Family(a netip.Addr) int {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// Of converts an address and port to the kernel's form.
func Of(a netip.Addr, port int) (unix.Sockaddr, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("port %d out of range 0..65535", port)
	}
	if a.Is4() {
		return &unix.SockaddrInet4{Port: port, Addr: a.As4()}, nil
	}
	sa := &unix.SockaddrInet6{Port: port, Addr: a.As16()}
	if z := a.Zone(); z != "" {
		ifi, err := net.InterfaceByName(z)
		if err != nil {
			return nil, fmt.Errorf("zone %q: %w", z, err)
		}
		sa.ZoneId = uint32(ifi.Index)
	}
	return sa, nil
}

// IPPort splits an internet address of the kernel into the parts of a
// *net.TCPAddr or *net.UDPAddr; ok is false for another family.
func IPPort(sa unix.Sockaddr) (ip net.IP, port int, zone string, ok bool) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port, "", true
	case *unix.SockaddrInet6:
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifi.Name
			}
		}
		return net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port, zone, true
	}
	return nil, 0, "", false
}
