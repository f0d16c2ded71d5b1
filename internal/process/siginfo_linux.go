package process

// This file holds nothing but the layout of siginfo_t, with no imports, so
// that TestProcSiginfo_LayoutOnEveryLinuxArch can lay it out for every
// architecture.

// procIs64bit is 1 on 64-bit platforms, 0 on 32-bit ones.
const procIs64bit = ^uint(0) >> 63

// procSiginfo is the part of siginfo_t that waitid fills for a child: the
// layout of the kernel's struct for SIGCHLD, 128 bytes in all. The union
// after the three leading ints is 8-byte aligned on 64-bit platforms only,
// and MIPS swaps si_errno and si_code (procSiErrnoCode), as Go's own
// internal/syscall/unix.SiginfoChild does.
type procSiginfo struct {
	signo int32
	procSiErrnoCode
	_      [procIs64bit]int32
	pid    int32
	uid    uint32
	status int32
	_      [128 - (6+procIs64bit)*4]byte
}
