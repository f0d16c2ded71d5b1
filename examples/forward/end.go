package main

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/protocol"
)

// describeEnd says how the forwarder ended, and whether that is how the
// manager stops it: Conch's helper writes Ctrl-C, closes the pipes and
// sends SIGKILL on the next reactor turn, so a faithful run normally ends
// in an exit or in SIGKILL; a hardened one stops with SIGTERM first.
func describeEnd(tl conchtest.Timeline, hardened bool) string {
	if tl.Reason == nil {
		return "not ended"
	}
	if done, ok := errors.AsType[*protocol.ProcessDone](tl.Reason); ok {
		return fmt.Sprintf("exited with status 0 (pid %d): a normal stop", done.Pid)
	}
	t, ok := errors.AsType[*protocol.ProcessTerminated](tl.Reason)
	if !ok {
		return tl.Reason.Error()
	}
	switch {
	case t.Signal == syscall.SIGKILL && !hardened:
		return fmt.Sprintf("killed by SIGKILL (pid %d): a normal stop — Conch's helper sends it on the reactor turn after Ctrl-C", t.Pid)
	case t.Signal == syscall.SIGKILL:
		return fmt.Sprintf("killed by SIGKILL (pid %d) after the grace period: it did not stop on %v", t.Pid, syscall.SIGTERM)
	case t.Signal != 0:
		return fmt.Sprintf("ended by %v (pid %d): a normal stop", t.Signal, t.Pid)
	}
	return fmt.Sprintf("exited with status %d (pid %d)", t.ExitCode, t.Pid)
}
