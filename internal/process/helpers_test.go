//go:build unix

package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// procEvent is one protocol callback as a trace line, with when it arrived.
type procEvent struct {
	what string
	at   time.Duration
}

// traceProto records every callback it gets through BaseProcessProtocol's
// dispatch (it overrides OutReceived, InConnectionLost, ... but not
// ChildDataReceived or ChildConnectionLost, so the binding of the base to
// the outer value is exercised by every trace test).
type traceProto struct {
	protocol.BaseProcessProtocol
	start  time.Time
	events []procEvent

	onMade   func(p *traceProto)
	onOut    func(p *traceProto, data []byte)
	onLost   func(p *traceProto, fd int)
	onExited func(p *traceProto, reason *reactor.Failure)
	onEnded  func(p *traceProto, reason *reactor.Failure)

	pidAtMade    int   // Pid() in ConnectionMade
	reasonPids   []int // the Pid of each ProcessExited and ProcessEnded reason
	pidAtExit    int
	statusAtExit int
	endedCount   int
}

func newTrace() *traceProto { return &traceProto{start: time.Now()} }

// proc returns the concrete transport Spawn gave the protocol, for what
// protocol.ProcessTransport does not have (Status, KillAndReap, String, ...).
func (p *traceProto) proc() *Process { return p.Transport.(*Process) }

func (p *traceProto) add(s string) {
	p.events = append(p.events, procEvent{what: s, at: time.Since(p.start)})
}

func (p *traceProto) ConnectionMade() {
	p.add("connectionMade")
	p.pidAtMade = p.Transport.Pid()
	if p.onMade != nil {
		p.onMade(p)
	}
}

func (p *traceProto) OutReceived(data []byte) {
	p.add("out:" + string(data))
	if p.onOut != nil {
		p.onOut(p, data)
	}
}

func (p *traceProto) ErrReceived(data []byte) { p.add("err:" + string(data)) }

func (p *traceProto) lost(fd int) {
	p.add("lost:" + strconv.Itoa(fd))
	if p.onLost != nil {
		p.onLost(p, fd)
	}
}

func (p *traceProto) InConnectionLost()  { p.lost(0) }
func (p *traceProto) OutConnectionLost() { p.lost(1) }
func (p *traceProto) ErrConnectionLost() { p.lost(2) }

func (p *traceProto) ProcessExited(reason *reactor.Failure) {
	p.add("exited:" + reasonString(reason))
	p.reasonPids = append(p.reasonPids, reasonPid(reason))
	p.pidAtExit = p.Transport.Pid()
	p.statusAtExit = p.proc().Status()
	if p.onExited != nil {
		p.onExited(p, reason)
	}
}

func (p *traceProto) ProcessEnded(reason *reactor.Failure) {
	p.endedCount++
	p.add("ended:" + reasonString(reason))
	p.reasonPids = append(p.reasonPids, reasonPid(reason))
	if p.onEnded != nil {
		p.onEnded(p, reason)
	}
}

// trace returns the events normalized as the P- rules allow: adjacent data
// chunks of one stream are merged (P-07: no relation to write boundaries)
// and each run of adjacent pipe-lost events is sorted (P-09: their order is
// not fixed).
func (p *traceProto) trace() []string {
	var out []string
	for _, e := range p.events {
		n := len(out)
		if n > 0 {
			for _, pre := range []string{"out:", "err:", "fd3:"} {
				if strings.HasPrefix(e.what, pre) && strings.HasPrefix(out[n-1], pre) {
					out[n-1] += strings.TrimPrefix(e.what, pre)
					goto next
				}
			}
		}
		out = append(out, e.what)
	next:
	}
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && strings.HasPrefix(out[j], "lost:") {
			j++
		}
		sort.Strings(out[i:j])
		if j == i {
			j++
		}
		i = j
	}
	return out
}

// firstLost returns the first pipe-lost event, unsorted.
func (p *traceProto) firstLost() string {
	for _, e := range p.events {
		if strings.HasPrefix(e.what, "lost:") {
			return e.what
		}
	}
	return ""
}

// at returns when the first event starting with prefix arrived.
func (p *traceProto) at(t *testing.T, prefix string) time.Duration {
	t.Helper()
	for _, e := range p.events {
		if strings.HasPrefix(e.what, prefix) {
			return e.at
		}
	}
	t.Fatalf("no %q event in %v", prefix, p.trace())
	return 0
}

// reasonString renders a process reason with Twisted's fields.
func reasonString(f *reactor.Failure) string {
	if d, ok := errors.AsType[*protocol.ProcessDone](f); ok {
		return fmt.Sprintf("ProcessDone(status=%d)", d.Status)
	}
	if t, ok := errors.AsType[*protocol.ProcessTerminated](f); ok {
		return fmt.Sprintf("ProcessTerminated(exitCode=%d, signal=%d, status=%d)", t.ExitCode, int(t.Signal), t.Status)
	}
	return "unexpected " + f.String()
}

// reasonPid returns the Pid a process reason carries, -1 for another error.
func reasonPid(f *reactor.Failure) int {
	if d, ok := errors.AsType[*protocol.ProcessDone](f); ok {
		return d.Pid
	}
	if t, ok := errors.AsType[*protocol.ProcessTerminated](f); ok {
		return t.Pid
	}
	return -1
}

// procHarness is a reactor for one test, with a watchdog and a record of
// logged errors.
type procHarness struct {
	t      *testing.T
	r      *reactor.Reactor
	mu     sync.Mutex
	logged []reactor.ErrorEvent
}

func newHarness(t *testing.T) *procHarness {
	t.Helper()
	h := &procHarness{t: t}
	r, err := reactor.New(reactor.WithErrorObserver(func(ev reactor.ErrorEvent) {
		h.mu.Lock()
		h.logged = append(h.logged, ev)
		h.mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	t.Cleanup(func() {
		for _, p := range Live(r) {
			t.Errorf("process left behind: %v", p)
			if err := p.KillAndReap(); err != nil {
				t.Error(err)
			}
		}
		_ = r.Close()
	})
	return h
}

// run runs the reactor with start called once it is running, until
// something calls Stop; after timeout it fails the test, kills what is
// left and stops.
func (h *procHarness) run(timeout time.Duration, start func()) {
	h.t.Helper()
	h.r.CallWhenRunning(start)
	dog := h.r.CallLater(timeout, func() {
		h.t.Errorf("reactor still running after %v", timeout)
		for _, p := range Live(h.r) {
			_ = p.KillAndReap()
		}
		_ = h.r.Stop()
	})
	if err := h.r.Run(); err != nil {
		h.t.Fatal(err)
	}
	if dog.Active() {
		_ = dog.Cancel()
	}
}

// spawn is Spawn that fails the test (and stops) on error.
func (h *procHarness) spawn(proto protocol.ProcessProtocol, exe string, args []string, opts protocol.SpawnOptions) *Process {
	h.t.Helper()
	p, err := Spawn(h.r, proto, exe, args, opts)
	if err != nil {
		h.t.Errorf("Spawn(%q): %v", exe, err)
		_ = h.r.Stop()
	}
	return p
}

// stopOnEnd makes ProcessEnded stop the reactor (after any earlier hook).
func (h *procHarness) stopOnEnd(p *traceProto) *traceProto {
	prev := p.onEnded
	p.onEnded = func(tp *traceProto, reason *reactor.Failure) {
		if prev != nil {
			prev(tp, reason)
		}
		_ = h.r.Stop()
	}
	return p
}

func (h *procHarness) errors() []reactor.ErrorEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]reactor.ErrorEvent(nil), h.logged...)
}

// noErrors fails the test if anything was logged.
func (h *procHarness) noErrors() {
	h.t.Helper()
	for _, ev := range h.errors() {
		h.t.Errorf("logged %s: %+v", ev.Why, ev.Failure)
	}
}

// sh returns the argv of `sh -c script`.
func sh(script string) []string { return []string{"sh", "-c", script} }

// inheritPath is the usual option for tests: the parent's environment, so
// that `sh` finds sleep, cat, ...
var inheritPath = protocol.SpawnOptions{InheritEnv: true}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents) - 1 // the directory's own descriptor
}

// procStat reads /proc/<pid>/stat: the state letter and the parent pid.
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+4 >= len(s) {
		return 0, 0, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	st, _, ok := procStat(pid)
	return ok && st != 'Z' && st != 'X'
}

// zombieChildren lists this process's children that are zombies.
func zombieChildren(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	me := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ppid, ok := procStat(pid); ok && ppid == me && st == 'Z' {
			out = append(out, pid)
		}
	}
	return out
}

// children lists this process's children (any state), from
// /proc/self/task/*/children.
func children(t *testing.T) []int {
	t.Helper()
	files, _ := filepath.Glob("/proc/self/task/*/children")
	var out []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil {
				out = append(out, pid)
			}
		}
	}
	return out
}

// settle waits (bounded) until cond holds, for counts that go down
// asynchronously (goroutines finishing, init reaping orphans).
func settle(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
}

// signalNamed sends the signal Twisted's signalProcess knows by name
// ("TERM", "KILL", ...) through protocol.ParseSignal, as ported code does;
// an unknown name gives ParseSignal's error and sends nothing.
func signalNamed(tr protocol.ProcessTransport, name string) error {
	sig, err := protocol.ParseSignal(name)
	if err != nil {
		return err
	}
	return tr.SignalProcess(sig)
}

// mustParseSignal is protocol.ParseSignal for names known to be valid.
func mustParseSignal(t *testing.T, name string) syscall.Signal {
	t.Helper()
	sig, err := protocol.ParseSignal(name)
	if err != nil {
		t.Fatalf("ParseSignal(%q): %v", name, err)
	}
	return sig
}

// isExitedAlready reports errors.Is(err, protocol.ErrProcessExitedAlready).
func isExitedAlready(err error) bool { return errors.Is(err, protocol.ErrProcessExitedAlready) }
