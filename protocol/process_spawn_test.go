package protocol

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/reactor"
)

// DESIGN.md §8 (W-06, P-05): exec failures are errors from SpawnProcess,
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
		opts   SpawnOptions
		is     error
		op     string
		naming string
	}{
		{"missing executable path", "/nonexistent/binary", []string{"binary"}, SpawnOptions{}, fs.ErrNotExist, "exec", "/nonexistent/binary"},
		{"missing executable in PATH", "braid-no-such-binary", []string{"x"}, SpawnOptions{}, fs.ErrNotExist, "exec", "braid-no-such-binary in PATH=/bin:/usr/bin"},
		{"PATH of the child, not the parent (P-03)", "sh", sh("true"), SpawnOptions{Env: []string{"PATH=/nonexistent"}}, fs.ErrNotExist, "exec", "sh in PATH=/nonexistent"},
		{"non-executable file", notExec, []string{"x"}, SpawnOptions{}, fs.ErrPermission, "exec", notExec},
		{"non-executable file in PATH", "not-executable", []string{"x"}, SpawnOptions{Env: []string{"PATH=" + dir}}, fs.ErrPermission, "exec", "not-executable in PATH=" + dir},
		{"directory as executable", dir, []string{"x"}, SpawnOptions{}, fs.ErrPermission, "exec", dir},
		{"missing working directory", "/bin/true", []string{"true"}, SpawnOptions{Dir: "/nonexistent/dir"}, fs.ErrNotExist, "chdir", "/nonexistent/dir"},
		{"working directory is a file", "/bin/true", []string{"true"}, SpawnOptions{Dir: aFile}, syscall.ENOTDIR, "chdir", aFile},
		{"empty argv (E-14)", "/bin/true", nil, SpawnOptions{}, syscall.EINVAL, "argv", ""},
		{"NUL in an argument (E-14)", "/bin/echo", []string{"echo", "a\x00b"}, SpawnOptions{}, syscall.EINVAL, "argv", `"a\x00b"`},
		{"NUL in the environment", "/bin/true", []string{"true"}, SpawnOptions{Env: []string{"A=\x00"}}, syscall.EINVAL, "env", ""},
		{"zero ChildFD", "/bin/true", []string{"true"}, SpawnOptions{ChildFDs: map[int]ChildFD{0: {}}}, syscall.EINVAL, "childFDs", ""},
		{"negative child fd", "/bin/true", []string{"true"}, SpawnOptions{ChildFDs: map[int]ChildFD{-1: ChildFDRead}}, syscall.EINVAL, "childFDs", ""},
		{"negative inherited fd", "/bin/true", []string{"true"}, SpawnOptions{ChildFDs: map[int]ChildFD{0: ChildFDInherit(-3)}}, syscall.EBADF, "childFDs", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			before := openFDs(t)
			p := newTrace()
			tr, err := SpawnProcess(h.r, p, tc.exe, tc.args, tc.opts)
			if err == nil {
				t.Fatalf("SpawnProcess succeeded with %v", tr)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %q does not match %v", err, tc.is)
			}
			var se *SpawnError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SpawnError", err)
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
			if n := len(Processes(h.r)); n != 0 {
				t.Errorf("%d processes registered", n)
			}
			if z := zombieChildren(t); len(z) != 0 {
				t.Errorf("zombie children %v", z)
			}
		})
	}
}

// collectOut runs one child to its end and returns its stdout.
func collectOut(t *testing.T, exe string, args []string, opts SpawnOptions) (string, *traceProto) {
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
	out, p := collectOut(t, "env", []string{"env"}, SpawnOptions{})
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
	out, _ := collectOut(t, "env", []string{"env"}, SpawnOptions{InheritEnv: true, Env: []string{"BRAID_PROC_OVERRIDE=from-env", "BRAID_PROC_NEW=new"}})
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
	out, _ = collectOut(t, "env", []string{"env"}, SpawnOptions{Env: []string{"ONLY=this"}})
	if out != "ONLY=this\n" {
		t.Errorf("env printed %q", out)
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
	out, _ := collectOut(t, "braid-hello", []string{"braid-hello"}, SpawnOptions{Env: []string{"PATH=/nonexistent:" + dir}})
	if want := "found " + filepath.Join(dir, "braid-hello") + "\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	out, _ = collectOut(t, "braid-hello", []string{"braid-hello"}, SpawnOptions{Env: []string{"PATH=."}, Dir: dir})
	if out != "found ./braid-hello\n" {
		t.Errorf("relative PATH entry: got %q", out)
	}
}

// P-01: argv[0] is free-form; Dir sets the working directory.
func TestSpawn_Argv0AndDir_P01(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _ := collectOut(t, "sh", []string{"whatever-argv0", "-c", `echo "$0"; pwd`}, SpawnOptions{Dir: dir})
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
	out, _ := collectOut(t, "/usr/bin/id", []string{"id", "-u"}, SpawnOptions{Credential: &syscall.Credential{Uid: uid, Gid: gid}})
	if out != strconv.Itoa(int(uid))+"\n" {
		t.Errorf("id -u printed %q, want %d", out, uid)
	}
}

// onlyOut overrides OutReceived alone: the base's ChildDataReceived must
// reach it (DESIGN.md §2), and MakeConnection must set Transport.
type onlyOut struct {
	BaseProcessProtocol
	out   string
	ended func()
}

func (o *onlyOut) OutReceived(b []byte)                 { o.out += string(b) }
func (o *onlyOut) ProcessEnded(reason *reactor.Failure) { o.ended() }

func TestSpawn_BaseDispatchReachesOverride_DESIGN2(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	o := &onlyOut{ended: func() { _ = h.r.Stop() }}
	var tr *ProcessTransport
	h.run(procTimeout, func() { tr = h.spawn(o, "sh", sh("echo via-base"), inheritPath) })
	if o.out != "via-base\n" {
		t.Errorf("OutReceived override got %q", o.out)
	}
	if o.Transport != tr || !o.Connected {
		t.Errorf("Transport %v Connected %v, want %v true", o.Transport, o.Connected, tr)
	}
	h.noErrors()
}

// fdProto records data and losses on every fd, as a protocol overriding
// ChildDataReceived and ChildConnectionLost does.
type fdProto struct {
	BaseProcessProtocol
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
	opts.ChildFDs = map[int]ChildFD{1: ChildFDRead, 3: ChildFDRead, 4: ChildFDWrite, 5: ChildFDInherit(int(wr.Fd()))}
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
	if errs[0] != nil || !errors.Is(errs[1], ErrUnknownChildFD) || !errors.Is(errs[2], ErrUnknownChildFD) {
		t.Errorf("WriteToChild errors %v", errs)
	}
	b := make([]byte, 64)
	n, _ := rd.Read(b)
	if string(b[:n]) != "five\n" {
		t.Errorf("inherited fd 5 carried %q", b[:n])
	}
	h.noErrors()
}

// Every descriptor SpawnProcess registers names the process; Processes
// lists the live ones; String names pid and argv.
func TestSpawn_DescriptorsAndProcessesNameTheChild(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var names []string
	var listed []*ProcessTransport
	var str string
	p.onMade = func(p *traceProto) {
		for _, rd := range h.r.GetReaders() {
			names = append(names, rd.(interface{ String() string }).String())
		}
		listed = Processes(h.r)
		str = p.Transport.String()
		h.r.CallLater(0, func() { _ = p.Transport.SignalProcess("TERM") })
	}
	var tr *ProcessTransport
	h.run(procTimeout, func() { tr = h.spawn(p, "sleep", []string{"sleep-argv0", "10"}, inheritPath) })
	pid := strconv.Itoa(p.Transport.origPid)
	if len(names) != 4 {
		t.Fatalf("registered readers %v, want 3 pipes and the pidfd", names)
	}
	for _, n := range names {
		if !strings.Contains(n, "pid="+pid) || !strings.Contains(n, `argv0="sleep-argv0"`) {
			t.Errorf("descriptor %q does not name pid %s and argv0", n, pid)
		}
	}
	for _, fd := range []string{"childFD=0", "childFD=1", "childFD=2", "pidfd"} {
		if !strings.Contains(strings.Join(names, " "), fd) {
			t.Errorf("no descriptor for %s in %v", fd, names)
		}
	}
	if len(listed) != 1 || listed[0] != tr {
		t.Errorf("Processes during the run = %v", listed)
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
	if n := len(Processes(h.r)); n != 0 {
		t.Errorf("%d processes listed after ProcessEnded", n)
	}
	if rs := h.r.GetReaders(); len(rs) != 0 {
		t.Errorf("readers left: %v", rs)
	}
	h.noErrors()
}
