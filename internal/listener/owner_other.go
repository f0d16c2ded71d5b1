//go:build !linux

package listener

import "errors"

// Supported reports whether Owner can answer on this system.
const Supported = false

// Owner cannot look sockets up here: it fails with errors.ErrUnsupported.
func Owner(port, clientPort, child int) (owner int, ours, found bool, err error) {
	return 0, false, false, errors.ErrUnsupported
}
