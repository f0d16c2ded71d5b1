//go:build unix

package process

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// procScenario is one child to run under both Twisted and braid: argv,
// the childFDs mapping (nil: Twisted's default 0 'w', 1 'r', 2 'r'), the
// environment, and actions done at given times after ConnectionMade.
type procScenario struct {
	Name     string            `json:"name"`
	Argv     []string          `json:"argv"`
	ChildFDs map[string]string `json:"childFDs"`
	Env      map[string]string `json:"env"`
	// Actions are (when, action, argument). when >= 0 is milliseconds after
	// ConnectionMade; when < 0 is -when-1 milliseconds after the child's
	// first output on stdout — for actions that must not race the child's
	// start (a signal sent before exec, or before a shell's trap, meets
	// another program than the one meant).
	Actions [][3]any `json:"actions"`
}

var procScenarios = []procScenario{
	{Name: "output on both pipes then exit 3", Argv: []string{"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}},
	{Name: "exit 0", Argv: []string{"/bin/true"}},
	{Name: "exit 255", Argv: []string{"/bin/sh", "-c", "exit 255"}},
	{Name: "killed by its own SIGKILL", Argv: []string{"/bin/sh", "-c", "kill -9 $$"}},
	{Name: "cat echoes stdin until closed", Argv: []string{"/bin/cat"},
		Actions: [][3]any{{20, "write", "hello\n"}, {40, "closeStdin", ""}}},
	{Name: "a large write through cat", Argv: []string{"/bin/cat"},
		Actions: [][3]any{{10, "writeBig", "300000"}, {20, "closeStdin", ""}}},
	{Name: "SIGTERM", Argv: []string{"/bin/sh", "-c", "echo ready; exec sleep 10"}, Actions: [][3]any{{-1, "signal", "TERM"}}},
	{Name: "SIGINT", Argv: []string{"/bin/sh", "-c", "echo ready; exec sleep 10"}, Actions: [][3]any{{-1, "signal", "INT"}}},
	{Name: "SIGKILL, then TERM after exit", Argv: []string{"/bin/sh", "-c", "echo ready; exec sleep 10"},
		Actions: [][3]any{{-1, "signal", "KILL"}, {-401, "signal", "TERM"}}},
	{Name: "TERM ignored by a trap", Argv: []string{"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 0.3; exit 7"},
		Actions: [][3]any{{-1, "signal", "TERM"}}},
	{Name: "stdout closed early", Argv: []string{"/bin/sh", "-c", "exec 1>&-; sleep 0.2; echo bye >&2; exit 4"}},
	{Name: "loseConnection on cat", Argv: []string{"/bin/cat"}, Actions: [][3]any{{50, "loseConnection", ""}}},
	{Name: "read a line from stdin", Argv: []string{"/bin/sh", "-c", "read x; echo got $x"},
		Actions: [][3]any{{30, "write", "abc\n"}}},
	{Name: "grandchild keeps stdout", Argv: []string{"/bin/sh", "-c", "(sleep 0.3; echo late) & echo early"}},
	{Name: "extra fd 3", Argv: []string{"/bin/sh", "-c", "echo three >&3; echo one"},
		ChildFDs: map[string]string{"0": "w", "1": "r", "2": "r", "3": "r"}},
	{Name: "no stdin pipe", Argv: []string{"/bin/sh", "-c", "echo only-out"},
		ChildFDs: map[string]string{"1": "r", "2": "r"}},
	{Name: "empty environment by default", Argv: []string{"/usr/bin/env"}},
	{Name: "a given environment", Argv: []string{"/usr/bin/env"}, Env: map[string]string{"A": "1"}},
	{Name: "write to a child that has exited", Argv: []string{"/bin/true"},
		Actions: [][3]any{{200, "write", "late\n"}}},
}

// TestProcessesAgainstTwisted runs each scenario under Twisted's
// spawnProcess (testdata/twisted_processes.py) and under Spawn,
// and compares what is deterministic about them: each fd's data, which
// pipes were lost, the processExited and processEnded reasons and their
// order, and what signalling returns before and after the end (P-01..P-09).
func TestProcessesAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.internet.reactor")
	var twisted map[string][]string
	twistedtest.Run(t, "testdata/twisted_processes.py", procScenarios, &twisted, time.Minute)
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	braid := map[string][]string{}
	left := slices.Clone(procScenarios)
	var next func()
	next = func() {
		if len(left) == 0 {
			_ = r.Stop()
			return
		}
		s := left[0]
		left = left[1:]
		rec := &procRecorder{r: r, s: s, finished: func(trace []string) {
			braid[s.Name] = trace
			r.CallLater(0, next)
		}}
		if _, err := Spawn(r, rec, s.Argv[0], s.Argv, s.spawnOptions()); err != nil {
			braid[s.Name] = []string{"spawn: " + err.Error()}
			r.CallLater(0, next)
		}
	}
	testkit.RunUntil(t, r, time.Minute, func(func()) { next() })
	if len(braid) < len(procScenarios) {
		t.Errorf("braid's scenarios did not all finish: done %d of %d", len(braid), len(procScenarios))
	}
	twistedtest.CompareScenarios(t, procScenarios, func(s procScenario) string { return s.Name }, twisted, braid)
}

func (s procScenario) spawnOptions() protocol.SpawnOptions {
	var o protocol.SpawnOptions
	for k, v := range s.Env {
		o.Env = append(o.Env, k+"="+v)
	}
	if s.ChildFDs != nil {
		o.ChildFDs = map[int]protocol.ChildFD{}
		for k, v := range s.ChildFDs {
			var fd int
			fmt.Sscan(k, &fd)
			o.ChildFDs[fd] = map[string]protocol.ChildFD{"r": protocol.ChildFDRead, "w": protocol.ChildFDWrite}[v]
		}
	}
	return o
}

// procRecorder writes the trace twisted_processes.py's Recorder writes.
type procRecorder struct {
	protocol.BaseProcessProtocol
	r        *reactor.Reactor
	s        procScenario
	finished func([]string)
	data     map[int][]byte
	lost     []int
	events   []string
	notes    []string
}

func (p *procRecorder) ConnectionMade() {
	p.events = append(p.events, "made")
	p.schedule(func(when int) bool { return when >= 0 }, func(when int) int { return when })
}

// schedule starts the actions pick selects, each delay(when) ms from now.
func (p *procRecorder) schedule(pick func(int) bool, delay func(int) int) {
	for _, a := range p.s.Actions {
		when, action, arg := a[0].(int), a[1].(string), a[2].(string)
		if pick(when) {
			p.r.CallLater(time.Duration(delay(when))*time.Millisecond, func() { p.act(action, arg) })
		}
	}
}

func (p *procRecorder) act(action, arg string) {
	t := p.Transport
	var err error
	switch action {
	case "write":
		t.Write([]byte(arg))
	case "writeBig":
		var n int
		fmt.Sscan(arg, &n)
		t.Write(bytes.Repeat([]byte("x"), n))
	case "closeStdin":
		t.CloseStdin()
	case "loseConnection":
		t.LoseConnection()
	case "signal":
		// Twisted's names go through ParseSignal.
		err = signalNamed(t, arg)
	}
	switch {
	case err == nil:
		p.notes = append(p.notes, fmt.Sprintf("%s %s: ok", action, arg))
	case errors.Is(err, protocol.ErrProcessExitedAlready):
		p.notes = append(p.notes, fmt.Sprintf("%s %s: ProcessExitedAlready", action, arg))
	default:
		p.notes = append(p.notes, fmt.Sprintf("%s %s: %v", action, arg, err))
	}
}

func (p *procRecorder) ChildDataReceived(fd int, data []byte) {
	if p.data == nil {
		p.data = map[int][]byte{}
	}
	if fd == 1 && len(p.data[1]) == 0 {
		p.schedule(func(when int) bool { return when < 0 }, func(when int) int { return -when - 1 })
	}
	p.data[fd] = append(p.data[fd], data...)
}

func (p *procRecorder) ChildConnectionLost(fd int) {
	p.lost = append(p.lost, fd)
	p.events = append(p.events, "lost")
}

func (p *procRecorder) ProcessExited(reason *reactor.Failure) {
	p.events = append(p.events, "exited "+procReason(reason))
}

func (p *procRecorder) ProcessEnded(reason *reactor.Failure) {
	p.events = append(p.events, "ended "+procReason(reason))
	after := "ok"
	if err := signalNamed(p.Transport, "TERM"); errors.Is(err, protocol.ErrProcessExitedAlready) {
		after = "ProcessExitedAlready"
	} else if err != nil {
		after = err.Error()
	}
	trace := []string{fmt.Sprintf("made first: %s", pyBool(p.events[0] == "made"))}
	fds := make([]int, 0, len(p.data))
	for fd := range p.data {
		fds = append(fds, fd)
	}
	slices.Sort(fds)
	for _, fd := range fds {
		d := p.data[fd]
		shown := string(d)
		if len(d) > 200 {
			shown = fmt.Sprintf("%d bytes", len(d))
		}
		trace = append(trace, fmt.Sprintf("data %d: %s", fd, shown))
	}
	lost := slices.Sorted(slices.Values(p.lost))
	trace = append(trace, fmt.Sprintf("lost %s", pyList(lost)))
	for _, e := range p.events {
		if strings.HasPrefix(e, "exited") {
			trace = append(trace, e)
		}
	}
	trace = append(trace, p.events[len(p.events)-1])
	exitedFirst := false
	for _, e := range p.events {
		if strings.HasPrefix(e, "exited") || strings.HasPrefix(e, "ended") {
			exitedFirst = strings.HasPrefix(e, "exited")
			break
		}
	}
	trace = append(trace, "exited before ended: "+pyBool(exitedFirst))
	trace = append(trace, p.notes...)
	trace = append(trace, "signal after end: "+after)
	p.finished(trace)
}

func procReason(f *reactor.Failure) string {
	if _, ok := errors.AsType[*protocol.ProcessDone](f); ok {
		return "done"
	}
	if pt, ok := errors.AsType[*protocol.ProcessTerminated](f); ok {
		exit, sig := "None", "None"
		if pt.Signal != 0 {
			sig = fmt.Sprint(int(pt.Signal))
		} else {
			exit = fmt.Sprint(pt.ExitCode)
		}
		return fmt.Sprintf("terminated exit=%s signal=%s", exit, sig)
	}
	return "?" + f.ErrorMessage()
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func pyList(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
