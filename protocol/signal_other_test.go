//go:build !unix

package protocol_test

import "syscall"

// stopSignal is what ParseSignal("STOP") gives where syscall has no
// SIGSTOP: Linux's number.
const stopSignal = syscall.Signal(0x13)
