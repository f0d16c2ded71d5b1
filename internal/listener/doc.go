// Package listener finds which process serves a loopback TCP port, so that
// a helper waiting for a server it spawned can tell that server from a
// stale listener which happened to hold the port: conchtest's
// Hardening.VerifyListener and procmon's Readiness.VerifyListener use it.
// Only Linux can answer (sock_diag and /proc); elsewhere Owner fails with
// errors.ErrUnsupported.
package listener
