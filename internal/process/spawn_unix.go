//go:build unix

package process

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

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
// The child's exit reaches the reactor through an exit watcher of its own,
// chosen once per program (see exitWatcherKind and docs/DESIGN.md): a
// pidfd where Linux has them, otherwise a waiter goroutine or a kqueue; an
// error making it ("watch") kills and reaps the child at once.
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
	}
	p.exit = procExitFD{p: p}

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
		fds, err := procOpenPipe()
		if err != nil {
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
		if err := unix.SetNonblock(parent, true); err != nil {
			closeAll()
			return fail("pipe", "", err)
		}
	}

	sys := &syscall.SysProcAttr{
		Setpgid:    opts.NewProcessGroup || opts.SignalGroup,
		Credential: opts.Credential,
	}
	startWatch := prepareExitWatch(sys)
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
	w, err := startWatch(pid)
	if err != nil {
		// Out of descriptors for the watcher: nothing could reap the
		// child later, so it is killed and reaped now.
		closeAll()
		_ = syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		for {
			if _, werr := syscall.Wait4(pid, &ws, 0, nil); werr != syscall.EINTR {
				break
			}
		}
		return fail("watch", "", err)
	}
	p.exit.w = w

	if err := p.watch(); err != nil {
		p.killed = true
		p.proto = nil
		for _, pp := range p.pipes {
			pp.closeFD() // some may be registered already
		}
		p.pipes = nil
		_ = p.sendSignal(syscall.SIGKILL)
		_ = p.waitReaped(killReapTimeout)
		p.exit.release()
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

// watch has the reactor watch the pipes and the exit watcher's descriptor.
func (p *Process) watch() error {
	for _, pp := range p.pipes {
		if err := p.r.AddReader(pp); err != nil {
			return err
		}
	}
	return p.r.AddReader(&p.exit)
}
