//go:build unix

package protocol

import "syscall"

const sigStop = syscall.SIGSTOP
