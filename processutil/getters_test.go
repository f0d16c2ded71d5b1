package processutil_test

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/processutil"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// Tests of the three helpers against braidtest's MemoryReactor, which lets
// the test play the child event by event: what is passed to SpawnProcess,
// and what each sequence of output and exit gives. The same behaviour with
// real children is in iutils_test.go (the port of Twisted's
// test_iutils.py) and against Twisted itself in twisted_test.go.

// helper is one of the three functions under test.
type helper struct {
	name string
	call func(protocol.ReactorProcess, string, []string, processutil.Options) *reactor.Deferred
}

var helpers = []helper{
	{"GetProcessOutput", processutil.GetProcessOutput},
	{"GetProcessValue", processutil.GetProcessValue},
	{"GetProcessOutputAndValue", processutil.GetProcessOutputAndValue},
}

// spawned runs h on a MemoryReactor and returns its Deferred and the one
// recorded spawn.
func spawned(t *testing.T, h func(protocol.ReactorProcess, string, []string, processutil.Options) *reactor.Deferred, opts processutil.Options) (*reactor.Deferred, braidtest.Process) {
	t.Helper()
	m := braidtest.NewMemoryReactor()
	d := h(m, "/bin/prog", []string{"-x", "arg"}, opts)
	if len(m.Processes) != 1 {
		t.Fatalf("%d spawns, want 1", len(m.Processes))
	}
	return d, m.Processes[0]
}

// Each helper passes argv with the executable first, Twisted's empty
// environment by default, and the working directory; the child's pipes
// are the default three.
func TestHelpers_SpawnArguments(t *testing.T) {
	for _, h := range helpers {
		t.Run(h.name, func(t *testing.T) {
			opts := processutil.Options{Env: []string{"A=1"}, Dir: "/tmp"}
			d, p := spawned(t, h.call, opts)
			want := braidtest.Process{Executable: "/bin/prog", Args: []string{"/bin/prog", "-x", "arg"},
				Opts: protocol.SpawnOptions{Env: []string{"A=1"}, Dir: "/tmp"}}
			got := braidtest.Process{Executable: p.Executable, Args: p.Args, Opts: p.Opts}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("spawn (-want +got):\n%s", diff)
			}
			trial.AssertNoResult(t, d)

			d, p = spawned(t, h.call, processutil.Options{InheritEnv: true})
			if p.Opts.Env != nil || !p.Opts.InheritEnv || p.Opts.Dir != "" {
				t.Errorf("spawn options %+v, want the parent's environment and directory", p.Opts)
			}
			if p.Transport.ClosedFDs != nil {
				t.Errorf("closed %v without Stdin: Twisted leaves stdin open", p.Transport.ClosedFDs)
			}
			p.Transport.Exit(0)
			trial.SuccessResultOf(t, d)
		})
	}
}

func TestHelpers_StdinWrittenThenClosed(t *testing.T) {
	for _, h := range helpers {
		t.Run(h.name, func(t *testing.T) {
			for _, stdin := range [][]byte{[]byte("input"), {}} {
				_, p := spawned(t, h.call, processutil.Options{Stdin: stdin})
				if got := string(p.Transport.Written[0]); got != string(stdin) {
					t.Errorf("stdin got %q, want %q", got, stdin)
				}
				if diff := cmp.Diff([]int{0}, p.Transport.ClosedFDs); diff != "" {
					t.Errorf("closed fds (-want +got):\n%s", diff)
				}
				p.Transport.Exit(0)
			}
		})
	}
}

// exitStep is how a scenario ends the fake child.
type exitStep func(t *braidtest.FakeProcessTransport)

func exit(code int) exitStep { return func(t *braidtest.FakeProcessTransport) { t.Exit(code) } }

func killed(sig syscall.Signal) exitStep {
	return func(t *braidtest.FakeProcessTransport) { t.KilledBy(sig) }
}

// describe prints a helper's result for comparison: the value, or the
// failure's Go type and message.
func describe(t *testing.T, d *reactor.Deferred) string {
	t.Helper()
	var got string
	d.AddBoth(func(v any) (any, error) {
		switch v := v.(type) {
		case *reactor.Failure:
			got = fmt.Sprintf("fail %s: %s", v.TypeName(), v.Error())
		case []byte:
			got = fmt.Sprintf("%q", v)
		case processutil.Output:
			got = fmt.Sprintf("out %q err %q code %d", v.Stdout, v.Stderr, v.ExitCode)
		default:
			got = fmt.Sprintf("%T %v", v, v)
		}
		return nil, nil
	})
	if got == "" {
		t.Fatal("no result")
	}
	return got
}

func TestHelpers_Results(t *testing.T) {
	type chunk struct {
		fd   int
		data string
	}
	cases := []struct {
		name   string
		helper func(protocol.ReactorProcess, string, []string, processutil.Options) *reactor.Deferred
		opts   processutil.Options
		output []chunk
		end    exitStep
		want   string
	}{
		{"output: stdout whatever the exit", processutil.GetProcessOutput, processutil.Options{},
			[]chunk{{1, "a"}, {1, "b"}}, exit(3), `"ab"`},
		{"output: no output", processutil.GetProcessOutput, processutil.Options{}, nil, exit(0), `""`},
		{"output: killed, output still given", processutil.GetProcessOutput, processutil.Options{},
			[]chunk{{1, "partial"}}, killed(syscall.SIGKILL), `"partial"`},
		{"output: errortoo interleaves", processutil.GetProcessOutput, processutil.Options{ErrorToo: true},
			[]chunk{{1, "o1 "}, {2, "e1 "}, {1, "o2 "}, {2, "e2"}}, exit(1), `"o1 e1 o2 e2"`},
		{"value: exit status", processutil.GetProcessValue, processutil.Options{},
			[]chunk{{1, "ignored"}, {2, "ignored"}}, exit(5), "int 5"},
		{"value: zero", processutil.GetProcessValue, processutil.Options{}, nil, exit(0), "int 0"},
		{"value: killed gives -1", processutil.GetProcessValue, processutil.Options{}, nil, killed(syscall.SIGTERM), "int -1"},
		{"both: apart", processutil.GetProcessOutputAndValue, processutil.Options{ErrorToo: true},
			[]chunk{{1, "o1 "}, {2, "e1"}, {1, "o2"}}, exit(2), `out "o1 o2" err "e1" code 2`},
		{"both: nothing", processutil.GetProcessOutputAndValue, processutil.Options{}, nil, exit(0), `out "" err "" code 0`},
		{"both: killed", processutil.GetProcessOutputAndValue, processutil.Options{},
			[]chunk{{1, "o"}, {2, "e"}}, killed(syscall.SIGKILL),
			"fail *processutil.SignalError: processutil: /bin/prog: ended by signal 9 (killed)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, p := spawned(t, c.helper, c.opts)
			for _, ch := range c.output {
				p.Transport.Deliver(ch.fd, []byte(ch.data))
			}
			trial.AssertNoResult(t, d)
			c.end(p.Transport)
			if got := describe(t, d); got != c.want {
				t.Errorf("result %s\nwant   %s", got, c.want)
			}
		})
	}
}

func TestGetProcessOutputAndValue_SignalErrorFields(t *testing.T) {
	d, p := spawned(t, processutil.GetProcessOutputAndValue, processutil.Options{})
	p.Transport.Deliver(1, []byte("out"))
	p.Transport.Deliver(2, []byte("err"))
	p.Transport.KilledBy(syscall.SIGKILL)
	f := trial.FailureResultOf(t, d, trial.OfType[*processutil.SignalError]())
	se, _ := errors.AsType[*processutil.SignalError](f)
	if string(se.Stdout) != "out" || string(se.Stderr) != "err" || se.Signal != syscall.SIGKILL || se.Executable != "/bin/prog" {
		t.Errorf("SignalError %+v", se)
	}
	if _, ok := errors.AsType[*protocol.ProcessTerminated](f); !ok || !errors.Is(f, reactor.ErrConnectionLost) {
		t.Errorf("%v does not unwrap to the *protocol.ProcessTerminated", f)
	}
}

// Without ErrorToo, the first output on stderr fails the Deferred at once
// with the chunk, closes the child's pipes and drops the output; the
// error's ProcessEnded fails with the exit reason when the child ends.
func TestGetProcessOutput_StderrFailsAtOnce(t *testing.T) {
	for _, c := range []struct {
		end  exitStep
		want error
	}{
		{exit(0), trial.OfType[*protocol.ProcessDone]()},
		{exit(3), trial.OfType[*protocol.ProcessTerminated]()},
	} {
		d, p := spawned(t, processutil.GetProcessOutput, processutil.Options{})
		p.Transport.Deliver(1, []byte("out"))
		p.Transport.Deliver(2, []byte("first"))
		f := trial.FailureResultOf(t, d, trial.OfType[*processutil.UnexpectedErrorOutputError]())
		ue, _ := errors.AsType[*processutil.UnexpectedErrorOutputError](f)
		if string(ue.Text) != "first" || ue.Executable != "/bin/prog" {
			t.Errorf("error %+v", ue)
		}
		if got, want := ue.Error(), `processutil: /bin/prog: got stderr: "first"`; got != want {
			t.Errorf("message %q, want %q", got, want)
		}
		if p.Transport.LoseConnectionCalls != 1 {
			t.Errorf("LoseConnection called %d times, want 1", p.Transport.LoseConnectionCalls)
		}
		trial.AssertNoResult(t, ue.ProcessEnded)
		c.end(p.Transport)
		trial.FailureResultOf(t, ue.ProcessEnded, c.want)
	}
}

// Cancelling kills the child and fails at once; what the child does
// afterwards changes nothing and leaves nothing unhandled.
func TestHelpers_CancelKillsTheChild(t *testing.T) {
	for _, h := range helpers {
		t.Run(h.name, func(t *testing.T) {
			d, p := spawned(t, h.call, processutil.Options{})
			p.Transport.Deliver(1, []byte("out"))
			d.Cancel()
			trial.FailureResultOf(t, d, reactor.ErrCancelled)
			if diff := cmp.Diff([]syscall.Signal{syscall.SIGKILL}, p.Transport.Signals); diff != "" {
				t.Errorf("signals (-want +got):\n%s", diff)
			}
			p.Transport.Deliver(2, []byte("late stderr")) // no ProcessEnded Deferred is made for it
			p.Transport.KilledBy(syscall.SIGKILL)
			if d.Result() != nil {
				t.Errorf("result after the late end: %v", d.Result())
			}
		})
	}
}

// Cancelling the ProcessEnded of an UnexpectedErrorOutputError kills the
// child too, and the end that follows changes nothing.
func TestGetProcessOutput_CancelProcessEnded(t *testing.T) {
	d, p := spawned(t, processutil.GetProcessOutput, processutil.Options{})
	p.Transport.Deliver(2, []byte("oops"))
	ue, _ := errors.AsType[*processutil.UnexpectedErrorOutputError](trial.FailureResultOf(t, d))
	ue.ProcessEnded.Cancel()
	trial.FailureResultOf(t, ue.ProcessEnded, reactor.ErrCancelled)
	if diff := cmp.Diff([]syscall.Signal{syscall.SIGKILL}, p.Transport.Signals); diff != "" {
		t.Errorf("signals (-want +got):\n%s", diff)
	}
	p.Transport.KilledBy(syscall.SIGKILL)
	if ue.ProcessEnded.Result() != nil {
		t.Errorf("ProcessEnded's result after the end: %v", ue.ProcessEnded.Result())
	}
}

// spawnFails is a ReactorProcess whose SpawnProcess always fails.
type spawnFails struct{ err error }

func (s spawnFails) SpawnProcess(protocol.ProcessProtocol, string, []string, protocol.SpawnOptions) (protocol.ProcessTransport, error) {
	return nil, s.err
}

func TestHelpers_SpawnFailureFailsTheDeferred(t *testing.T) {
	spawnErr := &protocol.SpawnError{Executable: "/nope", Op: "lookup", Err: syscall.ENOENT}
	for _, h := range helpers {
		t.Run(h.name, func(t *testing.T) {
			d := h.call(spawnFails{spawnErr}, "/nope", nil, processutil.Options{})
			f := trial.FailureResultOf(t, d, trial.OfType[*protocol.SpawnError]())
			if !errors.Is(f, syscall.ENOENT) {
				t.Errorf("failure %v does not wrap ENOENT", f)
			}
		})
	}
}

func TestHelpers_NilReactorPanics(t *testing.T) {
	for _, h := range helpers {
		t.Run(h.name, func(t *testing.T) {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, h.name) || !strings.Contains(msg, "nil protocol.ReactorProcess") {
					t.Errorf("panic %q, want one naming %s and the nil reactor", msg, h.name)
				}
			}()
			h.call(nil, "/bin/true", nil, processutil.Options{})
		})
	}
}

// Options.Env is copied: the caller may reuse its slice.
func TestHelpers_EnvCopied(t *testing.T) {
	env := []string{"A=1"}
	m := braidtest.NewMemoryReactor()
	var seen []string
	m.OnSpawn = func(t *braidtest.FakeProcessTransport) { seen = t.Opts.Env }
	processutil.GetProcessValue(m, "/bin/true", nil, processutil.Options{Env: env})
	env[0] = "B=2"
	if diff := cmp.Diff([]string{"A=1"}, seen); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
}
