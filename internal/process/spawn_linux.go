package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// procDefaultPath is where an executable without a slash is looked up when
// the child's environment has no PATH (Python's os.defpath; P-03).
const procDefaultPath = "/bin:/usr/bin"

// procMaxChildFD bounds the child fd numbers ChildFDs may name.
const procMaxChildFD = 1 << 16

var procDefaultChildFDs = []procFDPlan{{childFD: 0, fd: protocol.ChildFDWrite}, {childFD: 1, fd: protocol.ChildFDRead}, {childFD: 2, fd: protocol.ChildFDRead}}

type procFDPlan struct {
	childFD int
	fd      protocol.ChildFD
}

// Spawn ports reactor.spawnProcess (protocol.ReactorProcess.SpawnProcess,
// P-01..P-06): it starts executable with argv args (args[0] included, and
// free-form, as in Twisted) on reactor r, connects the child's descriptors
// as opts.ChildFDs says, and drives proto. Before it returns, the child is running and
// proto.MakeConnection (so ConnectionMade) has been called; a panic there
// is logged and the transport still returned (P-04).
//
// Environment, as in Twisted and unlike os/exec: the zero SpawnOptions
// gives the child an EMPTY environment (P-02); set InheritEnv for the
// parent's. An executable without a slash is looked up in the CHILD's PATH,
// or in /bin:/usr/bin when the child has none (P-03).
//
// Unlike Twisted, which reports a failed exec as a child that exits 1 with
// a traceback on stderr (P-05), SpawnProcess returns a *SpawnError: for a
// missing executable or working directory errors.Is(err, fs.ErrNotExist)
// holds, for one that cannot be executed errors.Is(err, fs.ErrPermission);
// the message names the path, and proto is never called.
//
// The child's signal dispositions are the defaults, whatever the parent
// inherited for SIGINT and SIGHUP (P-06): if the Go program started with
// either ignored, Spawn routes it to a channel nobody reads for the moment
// of the fork, so that exec resets it for the child while the parent goes
// on ignoring it; afterwards the program's disposition is as it was.
// Signals the program itself ignores with signal.Ignore stay ignored in
// the child.
//
// A nil proto is replaced by one that discards everything. Spawn is
// called on the reactor goroutine, or before Run.
func Spawn(r *reactor.Reactor, proto protocol.ProcessProtocol, executable string, args []string, opts protocol.SpawnOptions) (*Process, error) {
	fail := func(op, path string, err error) (*Process, error) {
		return nil, &protocol.SpawnError{Executable: executable, Op: op, Path: path, Err: err}
	}
	if r == nil {
		return fail("reactor", "", errors.New("nil reactor"))
	}
	if len(args) == 0 {
		return fail("argv", "", fmt.Errorf("empty argument list: %w", syscall.EINVAL))
	}
	for _, s := range append([]string{executable, opts.Dir}, args...) {
		if strings.IndexByte(s, 0) >= 0 {
			return fail("argv", strconvQuote(s), fmt.Errorf("NUL byte in argument: %w", syscall.EINVAL))
		}
	}
	env, err := procBuildEnv(opts)
	if err != nil {
		return fail("env", "", err)
	}
	plan, err := procPlanFDs(opts.ChildFDs)
	if err != nil {
		return fail("childFDs", "", err)
	}
	path, err := procLookPath(executable, env, opts.Dir)
	if err != nil {
		return nil, &protocol.SpawnError{Executable: executable, Op: "exec", Path: path, Err: err}
	}
	if proto == nil {
		proto = &protocol.BaseProcessProtocol{}
	}

	p := &Process{
		r:           r,
		proto:       proto,
		executable:  executable,
		args:        append([]string(nil), args...),
		status:      -1,
		signalGroup: opts.SignalGroup,
		orphanFD:    -1,
	}
	p.pidfd = procPidFD{p: p, fd: -1}

	// Pipes: the parent's ends are non-blocking, the child's blocking; all
	// are close-on-exec, so only what Files names reaches the child.
	// ForkExec closes child fds 0..2 that Files does not cover; any other
	// descriptor reaches the child only if it lacks close-on-exec, which
	// every descriptor Go opens has.
	var files []uintptr
	if len(plan) > 0 {
		files = make([]uintptr, plan[len(plan)-1].childFD+1)
	}
	for i := range files {
		files[i] = ^uintptr(0) // closed in the child
	}
	var childEnds []int
	closeAll := func() {
		for _, fd := range childEnds {
			_ = unix.Close(fd)
		}
		for _, pp := range p.pipes {
			_ = unix.Close(pp.fd)
		}
		p.pipes = nil
	}
	for _, pl := range plan {
		if pl.fd >= 0 {
			files[pl.childFD] = uintptr(pl.fd) // inherited as is
			continue
		}
		var fds [2]int
		if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
			closeAll()
			return fail("pipe", "", err)
		}
		parent, child := fds[0], fds[1] // 'r': the parent reads
		if pl.fd == protocol.ChildFDWrite {
			parent, child = fds[1], fds[0]
		}
		childEnds = append(childEnds, child)
		p.pipes = append(p.pipes, &procPipe{p: p, fd: parent, childFD: pl.childFD, writes: pl.fd == protocol.ChildFDWrite})
		files[pl.childFD] = uintptr(child)
		if _, err := unix.FcntlInt(uintptr(parent), unix.F_SETFL, unix.O_NONBLOCK); err != nil {
			closeAll()
			return fail("pipe", "", err)
		}
	}

	pidfd := -1
	sys := &syscall.SysProcAttr{
		PidFD:      &pidfd,
		Setpgid:    opts.NewProcessGroup || opts.SignalGroup,
		Credential: opts.Credential,
	}
	restoreSignals := resetIgnoredSignals()
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{Dir: opts.Dir, Env: env, Files: files, Sys: sys})
	restoreSignals()
	for _, fd := range childEnds {
		_ = unix.Close(fd)
	}
	childEnds = nil
	if err != nil {
		closeAll()
		if opts.Dir != "" {
			if fi, serr := os.Stat(opts.Dir); serr != nil {
				return fail("chdir", opts.Dir, procUnwrapPathError(serr))
			} else if !fi.IsDir() {
				return fail("chdir", opts.Dir, syscall.ENOTDIR)
			}
		}
		return fail("exec", path, err)
	}
	p.pid, p.origPid = pid, pid
	if sys.Setpgid {
		p.pgid = pid
	}
	if pidfd < 0 {
		// Kernels before 5.3 have no CLONE_PIDFD; braid needs it.
		closeAll()
		_ = syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
		return fail("exec", path, errors.New("the kernel gave no pidfd (Linux 5.3 or later is needed)"))
	}
	p.pidfd.fd = pidfd

	if err := p.watch(); err != nil {
		p.killed = true
		p.proto = nil
		for _, pp := range p.pipes {
			pp.closeFD() // some may be registered already
		}
		p.pipes = nil
		_ = p.sendSignal(syscall.SIGKILL)
		_ = p.waitReaped(killReapTimeout)
		p.pidfd.closeFD()
		return fail("register", "", err)
	}
	if opts.KillOnShutdown {
		id, err := r.AddSystemEventTrigger(reactor.Before, "shutdown", func() *reactor.Deferred {
			p.shutdownTrigger = nil // consumed by running
			if err := p.KillAndReap(); err != nil {
				r.LogError(reactor.NewFailure(err), "KillOnShutdown")
			}
			return nil
		})
		if err == nil {
			p.shutdownTrigger = &id
		}
	}

	protocol.Bind(proto)
	procCall(r, "makeConnection", func() { proto.MakeConnection(p) })
	return p, nil
}

// watch puts the pipes and the pidfd in the reactor's epoll set.
func (p *Process) watch() error {
	for _, pp := range p.pipes {
		if err := p.r.AddReader(pp); err != nil {
			return err
		}
	}
	return p.r.AddReader(&p.pidfd)
}

// procPlanFDs validates childFDs and orders it by child fd.
func procPlanFDs(m map[int]protocol.ChildFD) ([]procFDPlan, error) {
	if m == nil {
		return procDefaultChildFDs, nil
	}
	plan := make([]procFDPlan, 0, len(m))
	for c, v := range m {
		if c < 0 || c >= procMaxChildFD {
			return nil, fmt.Errorf("child fd %d out of range: %w", c, syscall.EINVAL)
		}
		if v < 0 && v != protocol.ChildFDRead && v != protocol.ChildFDWrite {
			return nil, fmt.Errorf("child fd %d: %v (use ChildFDRead, ChildFDWrite or a parent descriptor): %w", c, v, syscall.EBADF)
		}
		plan = append(plan, procFDPlan{childFD: c, fd: v})
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].childFD < plan[j].childFD })
	return plan, nil
}

// procBuildEnv returns the child's environment (P-02).
func procBuildEnv(opts protocol.SpawnOptions) ([]string, error) {
	for _, kv := range opts.Env {
		if strings.IndexByte(kv, 0) >= 0 {
			return nil, fmt.Errorf("NUL byte in %s: %w", strconvQuote(kv), syscall.EINVAL)
		}
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("entry %s is not KEY=value with a non-empty KEY: %w", strconvQuote(kv), syscall.EINVAL)
		}
	}
	if !opts.InheritEnv {
		if opts.Env == nil {
			return []string{}, nil
		}
		return dedupEnv(opts.Env), nil
	}
	if len(opts.Env) == 0 {
		return os.Environ(), nil
	}
	return dedupEnv(append(os.Environ(), opts.Env...)), nil
}

// dedupEnv keeps one entry per key, as os/exec does: the last value wins,
// at the position of the key's first entry.
func dedupEnv(env []string) []string {
	idx := make(map[string]int, len(env))
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// procLookPath resolves an executable without a slash in the child's PATH,
// or /bin:/usr/bin (P-03), as Python's execvpe: the first candidate that is
// an executable file wins; when none is, a candidate that exists but cannot
// be executed gives a permission error, otherwise the error is "not
// found". Relative PATH entries are relative to the child's directory.
// On failure the returned string names what was searched.
func procLookPath(file string, env []string, dir string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	if file == "" {
		return "", syscall.ENOENT
	}
	search := procDefaultPath
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "PATH="); ok {
			search = v
			break
		}
	}
	var denied error
	for _, d := range strings.Split(search, ":") {
		cand := filepath.Join(d, file)
		check := cand
		if dir != "" && !filepath.IsAbs(cand) {
			check = filepath.Join(dir, cand)
		}
		fi, err := os.Stat(check)
		switch {
		case err != nil:
			continue
		case fi.IsDir() || fi.Mode()&0o111 == 0:
			if denied == nil {
				denied = syscall.EACCES
			}
			continue
		}
		if !strings.Contains(cand, "/") {
			cand = "./" + cand // an empty PATH entry: the child's directory
		}
		return cand, nil
	}
	where := file + " in PATH=" + search
	if denied != nil {
		return where, denied
	}
	return where, syscall.ENOENT
}

func procUnwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// resetIgnoredSignals makes exec give the child the default action for
// SIGINT and SIGHUP even when this program inherited them ignored (a test
// run in the background by a shell does): Go keeps such an inherited
// SIG_IGN, and exec preserves it, whereas Twisted resets ignored signals in
// the child (P-06). While the runtime handles a signal, exec resets it; the
// channel is never read, so the parent keeps ignoring it in effect. The
// returned function undoes it, so that the program's own disposition is
// left as it was.
//
// Two things make this more than a Notify and a Stop per spawn. Go's
// signal.Stop puts an inherited SIG_IGN back in the kernel but leaves
// signal.Ignored reporting false, so the next spawn would not see the
// signal as ignored and its child would inherit SIG_IGN: the restore
// therefore calls signal.Ignore again once no handler is left. And spawns
// on several reactors may overlap: the channels stay registered until the
// last of them has forked, so none forks while another's restore has put
// SIG_IGN back.
func resetIgnoredSignals() (restore func()) {
	sigReset.mu.Lock()
	if sigReset.active == 0 {
		for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP} {
			if signal.Ignored(s) {
				ch := make(chan os.Signal, 1)
				signal.Notify(ch, s)
				sigReset.held = append(sigReset.held, sigHeld{sig: s, ch: ch})
			}
		}
	}
	sigReset.active++
	sigReset.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			sigReset.mu.Lock()
			defer sigReset.mu.Unlock()
			if sigReset.active--; sigReset.active > 0 {
				return
			}
			for _, h := range sigReset.held {
				signal.Stop(h.ch)
				// Ignore only if the kernel is back at SIG_IGN: no other
				// channel of the program wants the signal (Ignore would
				// cancel it).
				if ign, ok := procSigIgnored(h.sig); ok && ign {
					signal.Ignore(h.sig)
				}
			}
			sigReset.held = nil
		})
	}
}

// sigReset is what resetIgnoredSignals holds while spawns are forking.
var sigReset struct {
	mu     sync.Mutex
	active int       // spawns between reset and restore
	held   []sigHeld // channels registered by the first of them
}

type sigHeld struct {
	sig syscall.Signal
	ch  chan os.Signal
}

// procSigIgnored reads the kernel's disposition of sig (rt_sigaction with
// no new action changes nothing) and reports whether it is SIG_IGN; ok is
// false if it could not be read.
func procSigIgnored(sig syscall.Signal) (ignored, ok bool) {
	var old [16]uintptr  // struct sigaction, sa_handler first
	const sigsetSize = 8 // the kernel's sigset_t: 64 signals
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old[0])), sigsetSize, 0, 0); e != 0 {
		return false, false
	}
	return old[0] == 1, true // SIG_IGN
}
