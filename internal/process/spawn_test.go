//go:build unix

package process

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// docs/DESIGN.md §8 (W-06, P-05): exec failures are errors from Spawn,
// naming the path and matchable with errors.Is; the protocol is never
// called and nothing leaks.
func TestSpawn_FailuresReturnErrors_DESIGN8(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(dir, "a-file")
	if err := os.WriteFile(aFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		exe    string
		args   []string
		opts   protocol.SpawnOptions
		is     error
		op     string
		naming string
	}{
		{"missing executable path", "/nonexistent/binary", []string{"binary"}, protocol.SpawnOptions{}, fs.ErrNotExist, "exec", "/nonexistent/binary"},
		{"missing executable in PATH", "braid-no-such-binary", []string{"x"}, protocol.SpawnOptions{}, fs.ErrNotExist, "exec", "braid-no-such-binary in PATH=/bin:/usr/bin"},
		{"PATH of the child, not the parent (P-03)", "sh", sh("true"), protocol.SpawnOptions{Env: []string{"PATH=/nonexistent"}}, fs.ErrNotExist, "exec", "sh in PATH=/nonexistent"},
		{"non-executable file", notExec, []string{"x"}, protocol.SpawnOptions{}, fs.ErrPermission, "exec", notExec},
		{"non-executable file in PATH", "not-executable", []string{"x"}, protocol.SpawnOptions{Env: []string{"PATH=" + dir}}, fs.ErrPermission, "exec", "not-executable in PATH=" + dir},
		{"directory as executable", dir, []string{"x"}, protocol.SpawnOptions{}, fs.ErrPermission, "exec", dir},
		{"missing working directory", "/bin/true", []string{"true"}, protocol.SpawnOptions{Dir: "/nonexistent/dir"}, fs.ErrNotExist, "chdir", "/nonexistent/dir"},
		{"working directory is a file", "/bin/true", []string{"true"}, protocol.SpawnOptions{Dir: aFile}, syscall.ENOTDIR, "chdir", aFile},
		{"empty argv (E-14)", "/bin/true", nil, protocol.SpawnOptions{}, syscall.EINVAL, "argv", ""},
		{"NUL in an argument (E-14)", "/bin/echo", []string{"echo", "a\x00b"}, protocol.SpawnOptions{}, syscall.EINVAL, "argv", `"a\x00b"`},
		{"NUL in the environment", "/bin/true", []string{"true"}, protocol.SpawnOptions{Env: []string{"A=\x00"}}, syscall.EINVAL, "env", ""},
		{"negative child fd", "/bin/true", []string{"true"}, protocol.SpawnOptions{ChildFDs: map[int]protocol.ChildFD{-1: protocol.ChildFDRead}}, syscall.EINVAL, "childFDs", ""},
		// A ChildFD is ChildFDRead, ChildFDWrite or a parent fd (>= 0; the
		// zero ChildFD inherits fd 0, see TestSpawn_ZeroChildFDInheritsFD0_P06):
		// any other negative value is rejected.
		{"negative inherited fd", "/bin/true", []string{"true"}, protocol.SpawnOptions{ChildFDs: map[int]protocol.ChildFD{0: protocol.ChildFD(-3)}}, syscall.EBADF, "childFDs", ""},
		{"very negative inherited fd", "/bin/true", []string{"true"}, protocol.SpawnOptions{ChildFDs: map[int]protocol.ChildFD{1: protocol.ChildFD(math.MinInt)}}, syscall.EBADF, "childFDs", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			before := openFDs(t)
			p := newTrace()
			tr, err := Spawn(h.r, p, tc.exe, tc.args, tc.opts)
			if err == nil {
				t.Fatalf("Spawn succeeded with %v", tr)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %q does not match %v", err, tc.is)
			}
			var se *protocol.SpawnError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *protocol.SpawnError", err)
			}
			if se.Op != tc.op || se.Path != tc.naming || se.Executable != tc.exe {
				t.Errorf("SpawnError{Op: %q, Path: %q, Executable: %q}, want %q, %q, %q", se.Op, se.Path, se.Executable, tc.op, tc.naming, tc.exe)
			}
			if !strings.Contains(err.Error(), tc.naming) || !strings.HasPrefix(err.Error(), "protocol: spawn ") {
				t.Errorf("message %q does not name %q", err, tc.naming)
			}
			if len(p.events) != 0 {
				t.Errorf("protocol called: %v", p.trace())
			}
			if after := openFDs(t); after != before {
				t.Errorf("open fds %d -> %d", before, after)
			}
			if n := len(Live(h.r)); n != 0 {
				t.Errorf("%d processes live", n)
			}
			if z := zombieChildren(t); len(z) != 0 {
				t.Errorf("zombie children %v", z)
			}
		})
	}
}

// collectOut runs one child to its end and returns its stdout.
func collectOut(t *testing.T, exe string, args []string, opts protocol.SpawnOptions) (string, *traceProto) {
	t.Helper()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var out strings.Builder
	p.onOut = func(_ *traceProto, b []byte) { out.Write(b) }
	h.run(procTimeout, func() { h.spawn(p, exe, args, opts) })
	h.noErrors()
	return out.String(), p
}

// P-02, P-03: the zero options give an EMPTY environment, and `env` is
// still found, in /bin:/usr/bin.
func TestSpawn_EmptyEnvironmentByDefault_P02_P03(t *testing.T) {
	t.Parallel()
	out, p := collectOut(t, "env", []string{"env"}, protocol.SpawnOptions{})
	if out != "" {
		t.Errorf("env printed %q, want nothing", out)
	}
	if got := p.trace(); got[len(got)-1] != "ended:ProcessDone(status=0)" {
		t.Errorf("trace %v", got)
	}
}

// P-02: InheritEnv gives the parent's environment; Env entries override.
func TestSpawn_InheritEnv_P02(t *testing.T) {
	t.Setenv("BRAID_PROC_INHERIT", "from-parent")
	t.Setenv("BRAID_PROC_OVERRIDE", "from-parent")
	out, _ := collectOut(t, "env", []string{"env"}, protocol.SpawnOptions{InheritEnv: true, Env: []string{"BRAID_PROC_OVERRIDE=from-env", "BRAID_PROC_NEW=new"}})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, want := range []string{"BRAID_PROC_INHERIT=from-parent", "BRAID_PROC_OVERRIDE=from-env", "BRAID_PROC_NEW=new", "PATH=" + os.Getenv("PATH")} {
		n := 0
		for _, l := range lines {
			if l == want {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q appears %d times in the child's environment", want, n)
		}
	}
	if len(lines) != len(os.Environ())+1 {
		t.Errorf("child has %d variables, want the parent's %d plus one", len(lines), len(os.Environ()))
	}
	// Explicit Env without InheritEnv is the whole environment.
	out, _ = collectOut(t, "env", []string{"env"}, protocol.SpawnOptions{Env: []string{"ONLY=this"}})
	if out != "ONLY=this\n" {
		t.Errorf("env printed %q", out)
	}
}

// P-02: duplicate keys are folded as os/exec folds them — the last value
// wins, at the first one's place — and entries that are not KEY=value with
// a non-empty KEY are refused with a *SpawnError, never passed verbatim.
func TestSpawn_EnvironmentEntriesNormalised_P02(t *testing.T) {
	t.Parallel()
	out, _ := collectOut(t, "env", []string{"env"}, protocol.SpawnOptions{Env: []string{"A=1", "B=2", "A=3"}})
	if out != "A=3\nB=2\n" {
		t.Errorf("env printed %q, want A=3 then B=2", out)
	}
	for _, bad := range []string{"=value", "NOEQUALS", "="} {
		_, err := Spawn(newHarness(t).r, nil, "env", []string{"env"}, protocol.SpawnOptions{Env: []string{"OK=1", bad}})
		var se *protocol.SpawnError
		if !errors.As(err, &se) || se.Op != "env" || !errors.Is(err, syscall.EINVAL) {
			t.Errorf("Env entry %q: err = %v, want a *SpawnError of Op env wrapping EINVAL", bad, err)
		}
	}
}

// P-03: the lookup uses the child's PATH (a directory the parent's PATH
// lacks), relative entries against the child's working directory.
func TestSpawn_LookupInChildPATH_P03(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := "#!/bin/sh\necho found \"$0\"\n"
	if err := os.WriteFile(filepath.Join(dir, "braid-hello"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, _ := collectOut(t, "braid-hello", []string{"braid-hello"}, protocol.SpawnOptions{Env: []string{"PATH=/nonexistent:" + dir}})
	if want := "found " + filepath.Join(dir, "braid-hello") + "\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	out, _ = collectOut(t, "braid-hello", []string{"braid-hello"}, protocol.SpawnOptions{Env: []string{"PATH=."}, Dir: dir})
	if out != "found ./braid-hello\n" {
		t.Errorf("relative PATH entry: got %q", out)
	}
}

// P-01: argv[0] is free-form; Dir sets the working directory.
func TestSpawn_Argv0AndDir_P01(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _ := collectOut(t, "sh", []string{"whatever-argv0", "-c", `echo "$0"; pwd`}, protocol.SpawnOptions{Dir: dir})
	if want := "whatever-argv0\n" + dir + "\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// P-01 (uid, gid): Credential runs the child as another user.
func TestSpawn_Credential_P01(t *testing.T) {
	t.Parallel()
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	if uid == 0 {
		uid, gid = 65534, 65534 // nobody, reachable only as root
	}
	out, _ := collectOut(t, "/usr/bin/id", []string{"id", "-u"}, protocol.SpawnOptions{Credential: &syscall.Credential{Uid: uid, Gid: gid}})
	if out != strconv.Itoa(int(uid))+"\n" {
		t.Errorf("id -u printed %q, want %d", out, uid)
	}
}

// onlyOut overrides OutReceived alone: the base's ChildDataReceived must
// reach it (docs/DESIGN.md §2), and MakeConnection must set Transport.
type onlyOut struct {
	protocol.BaseProcessProtocol
	out   string
	ended func()
}

func (o *onlyOut) OutReceived(b []byte)                 { o.out += string(b) }
func (o *onlyOut) ProcessEnded(reason *reactor.Failure) { o.ended() }

func TestSpawn_BaseDispatchReachesOverride_DESIGN2(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	o := &onlyOut{ended: func() { _ = h.r.Stop() }}
	var tr *Process
	h.run(procTimeout, func() { tr = h.spawn(o, "sh", sh("echo via-base"), inheritPath) })
	if o.out != "via-base\n" {
		t.Errorf("OutReceived override got %q", o.out)
	}
	if o.Transport != protocol.ProcessTransport(tr) || !o.Connected {
		t.Errorf("Transport %v Connected %v, want %v true", o.Transport, o.Connected, tr)
	}
	h.noErrors()
}

// fdProto records data and losses on every fd, as a protocol overriding
// ChildDataReceived and ChildConnectionLost does.
type fdProto struct {
	protocol.BaseProcessProtocol
	data  map[int]string
	lost  []int
	onEnd func()
}

func (f *fdProto) ChildDataReceived(fd int, b []byte) { f.data[fd] += string(b) }
func (f *fdProto) ChildConnectionLost(fd int)         { f.lost = append(f.lost, fd) }
func (f *fdProto) ProcessEnded(*reactor.Failure)      { f.onEnd() }

// P-06: childFDs with fds beyond 2, in all three forms: fd 3 read by the
// parent, fd 4 written by the parent, fd 5 an inherited parent descriptor.
func TestSpawn_ExtraChildFDs_P06(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	f := &fdProto{data: map[int]string{}, onEnd: func() { _ = h.r.Stop() }}
	opts := inheritPath
	opts.ChildFDs = map[int]protocol.ChildFD{1: protocol.ChildFDRead, 3: protocol.ChildFDRead, 4: protocol.ChildFDWrite, 5: protocol.ChildFD(wr.Fd())}
	var errs []error
	h.run(procTimeout, func() {
		tr := h.spawn(f, "sh", sh("echo three >&3; cat <&4; echo five >&5"), opts)
		errs = append(errs,
			tr.WriteToChild(4, []byte("to-four\n")),
			tr.WriteToChild(1, []byte("no")), // a pipe the parent reads
			tr.WriteToChild(9, []byte("no")), // no such pipe
		)
		tr.Write([]byte("dropped: there is no stdin pipe")) // P-16
		tr.CloseChildFD(4)
		tr.CloseChildFD(8) // P-17: no-op for a fd without a pipe
	})
	wr.Close()
	if diff := cmp.Diff(map[int]string{1: "to-four\n", 3: "three\n"}, f.data); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	sort.Ints(f.lost)
	if diff := cmp.Diff([]int{1, 3, 4}, f.lost); diff != "" {
		t.Errorf("lost fds (-want +got):\n%s", diff)
	}
	if errs[0] != nil || !errors.Is(errs[1], protocol.ErrUnknownChildFD) || !errors.Is(errs[2], protocol.ErrUnknownChildFD) {
		t.Errorf("WriteToChild errors %v", errs)
	}
	b := make([]byte, 64)
	n, _ := rd.Read(b)
	if string(b[:n]) != "five\n" {
		t.Errorf("inherited fd 5 carried %q", b[:n])
	}
	h.noErrors()
}

// Every descriptor Spawn registers names the process; Live lists the live
// ones; String names pid and argv.
func TestSpawn_DescriptorsAndProcessesNameTheChild(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var names []string
	var listed []*Process
	var str string
	p.onMade = func(p *traceProto) {
		for _, rd := range h.r.GetReaders() {
			names = append(names, rd.(interface{ String() string }).String())
		}
		listed = Live(h.r)
		str = p.proc().String()
		h.r.CallLater(0, func() { _ = signalNamed(p.Transport, "TERM") })
	}
	var tr *Process
	h.run(procTimeout, func() { tr = h.spawn(p, "sleep", []string{"sleep-argv0", "10"}, inheritPath) })
	pid := strconv.Itoa(p.proc().origPid)
	if len(names) != 4 {
		t.Fatalf("registered readers %v, want 3 pipes and the exit watcher", names)
	}
	for _, n := range names {
		if !strings.Contains(n, "pid="+pid) || !strings.Contains(n, `argv0="sleep-argv0"`) {
			t.Errorf("descriptor %q does not name pid %s and argv0", n, pid)
		}
	}
	for _, fd := range []string{"childFD=0", "childFD=1", "childFD=2", "exit watcher (" + exitWatcherKind() + ")"} {
		if !strings.Contains(strings.Join(names, " "), fd) {
			t.Errorf("no descriptor for %s in %v", fd, names)
		}
	}
	if len(listed) != 1 || listed[0] != tr {
		t.Errorf("Live during the run = %v", listed)
	}
	if want := `<Process pid=` + pid + ` status=-1 args=["sleep-argv0" "10"]>`; str != want {
		t.Errorf("String() = %s, want %s", str, want)
	}
	if want := `<Process pid=None status=15 args=["sleep-argv0" "10"]>`; tr.String() != want {
		t.Errorf("String() after the end = %s, want %s", tr.String(), want)
	}
	if tr.Executable() != "sleep" || !cmp.Equal(tr.Args(), []string{"sleep-argv0", "10"}) {
		t.Errorf("Executable %q Args %q", tr.Executable(), tr.Args())
	}
	if n := len(Live(h.r)); n != 0 {
		t.Errorf("%d processes listed after ProcessEnded", n)
	}
	if rs := h.r.GetReaders(); len(rs) != 0 {
		t.Errorf("readers left: %v", rs)
	}
	h.noErrors()
}

// P-06 (Twisted's integer form): ChildFD(0), the zero ChildFD, is not
// invalid: the child gets the parent's fd 0, here as its fd 3.
func TestSpawn_ZeroChildFDInheritsFD0_P06(t *testing.T) {
	t.Parallel()
	var zero protocol.ChildFD
	if zero.String() != "0" || protocol.ChildFDRead.String() != "'r'" || protocol.ChildFDWrite.String() != "'w'" {
		t.Errorf("ChildFD strings %s %s %s, want 0 'r' 'w'", zero, protocol.ChildFDRead, protocol.ChildFDWrite)
	}
	// The Go runtime opens /dev/null for a closed fd 0 at startup, so fd
	// 0 is always there to inherit.
	want, err := os.Readlink("/proc/self/fd/0")
	if err != nil {
		t.Fatal(err)
	}
	opts := inheritPath
	opts.ChildFDs = map[int]protocol.ChildFD{1: protocol.ChildFDRead, 3: zero}
	out, _ := collectOut(t, "sh", sh(`readlink /proc/$$/fd/3`), opts)
	if out != want+"\n" {
		t.Errorf("the child's fd 3 is %q, want the parent's fd 0 %q", strings.TrimSpace(out), want)
	}
}
