//go:build unix

package reactor

import "syscall"

// processSignal is how Lock asks whether a lock's owner lives: signal 0.
var processSignal = syscall.Kill
