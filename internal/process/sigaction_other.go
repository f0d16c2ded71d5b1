//go:build unix && !linux

package process

import "syscall"

// procSigIgnored cannot read the kernel's disposition here without cgo
// (darwin allows no raw sigaction call): ok is false, and
// resetIgnoredSignals keeps to what it saw at the first spawn instead.
func procSigIgnored(syscall.Signal) (ignored, ok bool) { return false, false }
