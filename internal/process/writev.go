//go:build darwin || linux || openbsd

package process

import "golang.org/x/sys/unix"

// procWritev is writev(2).
func procWritev(fd int, bufs [][]byte) (int, error) { return unix.Writev(fd, bufs) }
