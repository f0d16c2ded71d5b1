//go:build unix

package protocol_test

import "syscall"

// stopSignal is what ParseSignal("STOP") gives.
const stopSignal = syscall.SIGSTOP
