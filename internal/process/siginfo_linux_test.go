package process

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// siginfoLayout is where the kernel's siginfo_t for SIGCHLD keeps the
// fields braid reads (as the static assertions of the kernel's
// arch/*/kernel/signal*.c, and Go's own TestSiginfoChildLayout, state it):
// the union after si_signo, si_errno and si_code is 8-byte aligned on
// 64-bit platforms only, and MIPS swaps si_errno and si_code.
func siginfoLayout(arch string, ptrSize int64) (code, pid, status int64) {
	code, pid = 8, 12
	if strings.HasPrefix(arch, "mips") {
		code = 4
	}
	if ptrSize == 8 {
		pid = 16
	}
	return code, pid, pid + 8
}

// procSiginfo matches the kernel's layout on every Linux architecture, not
// only the one the tests run on: the siginfo files are laid out with each
// architecture's sizes by go/types.
func TestProcSiginfo_LayoutOnEveryLinuxArch(t *testing.T) {
	var si procSiginfo
	code, pid, status := siginfoLayout(build.Default.GOARCH, int64(unsafe.Sizeof(uintptr(0))))
	if got := [4]int64{int64(unsafe.Sizeof(si)), int64(unsafe.Offsetof(si.code)), int64(unsafe.Offsetof(si.pid)), int64(unsafe.Offsetof(si.status))}; got != [4]int64{128, code, pid, status} {
		t.Errorf("on this machine: size, code, pid, status at %v; want %v", got, [4]int64{128, code, pid, status})
	}
	names, err := filepath.Glob("siginfo*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64", "ppc64le", "riscv64", "s390x"} {
		t.Run(arch, func(t *testing.T) {
			ctx := build.Default
			ctx.GOOS, ctx.GOARCH, ctx.BuildTags = "linux", arch, nil
			fset := token.NewFileSet()
			var files []*ast.File
			for _, name := range names {
				if strings.HasSuffix(name, "_test.go") {
					continue
				}
				if ok, err := ctx.MatchFile(".", name); err != nil || !ok {
					continue
				}
				f, err := parser.ParseFile(fset, name, nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			sizes := types.SizesFor("gc", arch)
			pkg, err := (&types.Config{Sizes: sizes}).Check("process", fset, files, nil)
			if err != nil {
				t.Fatal(err)
			}
			obj := pkg.Scope().Lookup("procSiginfo")
			if obj == nil {
				t.Fatal("no procSiginfo in the siginfo files")
			}
			st := obj.Type().Underlying().(*types.Struct)
			offset := fieldOffsets(sizes, st)
			code, pid, status := siginfoLayout(arch, sizes.Sizeof(types.Typ[types.Uintptr]))
			for _, f := range []struct {
				name string
				want int64
			}{{"code", code}, {"pid", pid}, {"status", status}} {
				if got, ok := offset[f.name]; !ok || got != f.want {
					t.Errorf("%s at offset %d (found %v), want %d", f.name, got, ok, f.want)
				}
			}
			if got := sizes.Sizeof(st); got != 128 {
				t.Errorf("size %d, want 128", got)
			}
		})
	}
}

// fieldOffsets maps each named field of st, and of the structs it embeds,
// to its offset in st.
func fieldOffsets(sizes types.Sizes, st *types.Struct) map[string]int64 {
	out := make(map[string]int64)
	fields := make([]*types.Var, st.NumFields())
	for i := range fields {
		fields[i] = st.Field(i)
	}
	for i, off := range sizes.Offsetsof(fields) {
		f := fields[i]
		if inner, ok := f.Type().Underlying().(*types.Struct); ok && f.Embedded() {
			for name, o := range fieldOffsets(sizes, inner) {
				out[name] = off + o
			}
			continue
		}
		out[f.Name()] = off
	}
	return out
}
