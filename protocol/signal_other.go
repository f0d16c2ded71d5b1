//go:build !unix

package protocol

import "syscall"

// sigStop stands for SIGSTOP where syscall has no such signal, so that
// ParseSignal("STOP") parses everywhere; sending it fails as every process
// operation does on such a platform. The number is Linux's.
const sigStop = syscall.Signal(0x13)
