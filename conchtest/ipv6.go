package conchtest

import "net"

// ipv6Loopback reports whether ::1 can be bound here (containers sometimes
// run without IPv6).
func ipv6Loopback() bool {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// IPv6Loopback reports whether ::1 can be bound on this machine, for tests
// that need IPv6 (Conch's tests skip the V6 case without it).
func IPv6Loopback() bool { return ipv6Loopback() }
