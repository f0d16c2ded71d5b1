// Package sockaddr converts between the addresses braid's users give and
// hand out (IP literals, *net.TCPAddr, *net.UDPAddr) and the kernel's
// (x/sys/unix.Sockaddr), for the TCP and UDP transports alike.
package sockaddr

import "net/netip"

// Literal parses an IP literal (IPv6 with or without brackets, with an
// optional zone); an IPv4-mapped IPv6 address is unmapped.
func Literal(host string) (netip.Addr, bool) {
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
