package conchtest

import (
	"fmt"
	"net"
)

// FreePort ports Conch's _getFreePort: it binds an ephemeral port on
// 127.0.0.1, closes it, and returns its number. The port is free only when
// checked: another process may take it before the caller's server binds it
// (W-12), so callers that can should retry with a new port when the bind
// fails (the OpenSSH harness does).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("conchtest: find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("conchtest: find a free port: %w", err)
	}
	return port, nil
}
