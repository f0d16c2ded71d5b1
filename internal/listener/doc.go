// Package listener finds which process serves a loopback TCP port, so that
// a helper waiting for a server it spawned can tell that server from a
// stale listener which happened to hold the port: conchtest's
// Hardening.VerifyListener and procmon's Readiness.VerifyListener use it.
// Only Linux can answer (sock_diag and /proc); elsewhere Owner fails with
// errors.ErrUnsupported.
package listener

import (
	"fmt"
	"strconv"
)

// Describe is the text of a failed ownership check, for the error types
// conchtest and procmon export: addr is where the server was expected,
// owner the pid serving it (0 when unknown), child the spawned process's
// pid, and err why the owner could not be looked up, if it could not.
func Describe(addr string, owner, child int, err error) string {
	if err != nil {
		return fmt.Sprintf("cannot tell who serves %s: %v", addr, err)
	}
	who := "a process braid cannot name"
	if owner != 0 {
		who = "pid " + strconv.Itoa(owner)
	}
	return fmt.Sprintf("%s is served by %s, not by the spawned process (pid %d) or its descendants: a stale listener?", addr, who, child)
}
