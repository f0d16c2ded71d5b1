//go:build linux && (mips || mipsle || mips64 || mips64le)

package process

// procSiErrnoCode is siginfo_t's si_code and si_errno: MIPS has them the
// other way round.
type procSiErrnoCode struct {
	code  int32
	errno int32
}
