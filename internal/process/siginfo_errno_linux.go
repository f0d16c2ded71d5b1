//go:build linux && !(mips || mipsle || mips64 || mips64le)

package process

// procSiErrnoCode is siginfo_t's si_errno and si_code, in that order
// everywhere but on MIPS.
type procSiErrnoCode struct {
	errno int32
	code  int32
}
