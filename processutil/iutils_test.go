package processutil_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/processutil"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// The port of Twisted's twisted/test/test_iutils.py (ProcessUtilsTests),
// with real children run by python3 as Twisted runs sys.executable. Each
// test names the Twisted test it ports. SuppressWarningsTests and
// DeferredSuppressedWarningsTests are not ported: Go has no warnings
// system for runWithWarningsSuppressed to filter.

// python returns the interpreter the scripts run under: Debian's, the
// one the against-Twisted checks use (a python3 found on PATH may be a
// slow version manager's shim).
func python(t *testing.T) string {
	t.Helper()
	return twistedtest.Require(t, "os")
}

// sourceFile ports makeSourceFile: the lines, as a script in a temporary
// directory; it returns the script's absolute path.
func sourceFile(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.py")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// bytesEqual returns a callback checking that the result is want.
func bytesEqual(t *testing.T, want []byte) reactor.Callback {
	return func(v any) (any, error) {
		got, err := reactor.ResultAs[[]byte](v)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(got, want) {
			t.Errorf("output %q, want %q", got, want)
		}
		return nil, nil
	}
}

// test_output: the Deferred fires with the whole output once the child
// has exited, however it was written.
func TestPort_Output(t *testing.T) {
	exe := python(t)
	script := sourceFile(t,
		"import sys",
		"for s in b'hello world\\n':",
		"    s = bytes([s])",
		"    sys.stdout.buffer.write(s)",
		"    sys.stdout.flush()")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutput(r, exe, []string{"-u", script}, processutil.Options{})
		return d.AddCallback(bytesEqual(t, []byte("hello world\n")))
	})
}

// test_outputWithErrorIgnored: output on stderr fails the Deferred with
// the error Twisted's IOError stands for, whose ProcessEnded fails with
// ProcessDone once the child has exited 0.
func TestPort_OutputWithErrorIgnored(t *testing.T) {
	exe := python(t)
	script := sourceFile(t, "import sys", "sys.stderr.write('hello world\\n')")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutput(r, exe, []string{"-u", script}, processutil.Options{})
		d = trial.AssertFailure(d, trial.OfType[*processutil.UnexpectedErrorOutputError]())
		return d.AddCallback(func(v any) (any, error) {
			e := v.(*processutil.UnexpectedErrorOutputError)
			return trial.AssertFailure(e.ProcessEnded, trial.OfType[*protocol.ProcessDone]()), nil
		})
	})
}

// test_outputWithErrorCollected: with ErrorToo, stderr is part of the
// output.
func TestPort_OutputWithErrorCollected(t *testing.T) {
	exe := python(t)
	script := sourceFile(t,
		"import sys",
		"sys.stdout.write('foo')",
		"sys.stdout.flush()",
		"sys.stderr.write('foo')",
		"sys.stderr.flush()")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutput(r, exe, []string{"-u", script}, processutil.Options{ErrorToo: true})
		return d.AddCallback(bytesEqual(t, []byte("foofoo")))
	})
}

// test_value: GetProcessValue fires with the exit status.
func TestPort_Value(t *testing.T) {
	exe := python(t)
	script := sourceFile(t, "raise SystemExit(1)")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessValue(r, exe, []string{"-u", script}, processutil.Options{})
		return reactor.AddCallbackAs(d, func(code int) (any, error) {
			if code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			return nil, nil
		})
	})
}

// test_outputAndValue: stdout, stderr and the exit status.
func TestPort_OutputAndValue(t *testing.T) {
	exe := python(t)
	script := sourceFile(t,
		"import sys",
		"sys.stdout.buffer.write(b'hello world!\\n')",
		"sys.stderr.buffer.write(b'goodbye world!\\n')",
		"sys.exit(1)")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutputAndValue(r, exe, []string{"-u", script}, processutil.Options{})
		return reactor.AddCallbackAs(d, func(o processutil.Output) (any, error) {
			if string(o.Stdout) != "hello world!\n" || string(o.Stderr) != "goodbye world!\n" || o.ExitCode != 1 {
				t.Errorf("got %q %q %d", o.Stdout, o.Stderr, o.ExitCode)
			}
			return nil, nil
		})
	})
}

// test_outputSignal: a child killed by a signal fails the Deferred with
// the output and the signal.
func TestPort_OutputSignal(t *testing.T) {
	exe := python(t)
	script := sourceFile(t,
		"import sys, os, signal",
		"sys.stdout.write('stdout bytes\\n')",
		"sys.stderr.write('stderr bytes\\n')",
		"sys.stdout.flush()",
		"sys.stderr.flush()",
		"os.kill(os.getpid(), signal.SIGKILL)")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutputAndValue(r, exe, []string{"-u", script}, processutil.Options{})
		d = trial.AssertFailure(d, trial.OfType[*processutil.SignalError]())
		return reactor.AddCallbackAs(d, func(e *processutil.SignalError) (any, error) {
			if string(e.Stdout) != "stdout bytes\n" || string(e.Stderr) != "stderr bytes\n" || e.Signal != syscall.SIGKILL {
				t.Errorf("got %q %q %v", e.Stdout, e.Stderr, e.Signal)
			}
			return nil, nil
		})
	})
}

// pathCheck checks a helper's result given the directory the child should
// have run in.
type pathCheck func(t *testing.T, v any, dir string) error

func checkOutputIsDir(t *testing.T, v any, dir string) error {
	out, err := reactor.ResultAs[[]byte](v)
	if err == nil && string(out) != dir {
		t.Errorf("child's directory %q, want %q", out, dir)
	}
	return err
}

func checkValueIsZero(t *testing.T, v any, _ string) error {
	code, err := reactor.ResultAs[int](v)
	if err == nil && code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	return err
}

func checkOutputAndValue(t *testing.T, v any, dir string) error {
	o, err := reactor.ResultAs[processutil.Output](v)
	if err == nil && (string(o.Stdout) != dir || o.ExitCode != 0) {
		t.Errorf("got %q, status %d; want %q, 0", o.Stdout, o.ExitCode, dir)
	}
	return err
}

var pathCases = []struct {
	name   string
	helper func(protocol.ReactorProcess, string, []string, processutil.Options) *reactor.Deferred
	check  pathCheck
}{
	{"GetProcessOutput", processutil.GetProcessOutput, checkOutputIsDir},
	{"GetProcessValue", processutil.GetProcessValue, checkValueIsZero},
	{"GetProcessOutputAndValue", processutil.GetProcessOutputAndValue, checkOutputAndValue},
}

// test_getProcessOutputPath, test_getProcessValuePath,
// test_getProcessOutputAndValuePath: Dir is the child's working directory.
func TestPort_Path(t *testing.T) {
	exe := python(t)
	for _, c := range pathCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			script := sourceFile(t, "import os, sys", "sys.stdout.write(os.getcwd())")
			trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
				d := c.helper(r, exe, []string{"-u", script}, processutil.Options{Dir: dir})
				return d.AddCallback(func(v any) (any, error) { return nil, c.check(t, v, dir) })
			})
		})
	}
}

// test_getProcessOutputDefaultPath, test_getProcessValueDefaultPath,
// test_getProcessOutputAndValueDefaultPath: without Dir the child runs in
// the parent's working directory, even one it may only read and search.
func TestPort_DefaultPath(t *testing.T) {
	exe := python(t)
	for _, c := range pathCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			script := sourceFile(t, "import os, sys", "cdir = os.getcwd()", "sys.stdout.write(cdir)")
			t.Chdir(dir)
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
			trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
				d := c.helper(r, exe, []string{"-u", script}, processutil.Options{})
				return d.AddCallback(func(v any) (any, error) { return nil, c.check(t, v, dir) })
			})
		})
	}
}

// test_get_processOutputAndValueStdin: Stdin is what the child reads.
func TestPort_OutputAndValueStdin(t *testing.T) {
	exe := python(t)
	script := sourceFile(t, "import sys", "sys.stdout.write(sys.stdin.read())")
	stdin := []byte("These are the bytes to see.")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutputAndValue(r, exe, []string{"-u", script}, processutil.Options{Stdin: stdin})
		return reactor.AddCallbackAs(d, func(o processutil.Output) (any, error) {
			if !bytes.Contains(o.Stdout, stdin) || o.ExitCode != 0 {
				t.Errorf("got %q, status %d", o.Stdout, o.ExitCode)
			}
			return nil, nil
		})
	})
}

// Beyond the port: the behaviour braid adds or decides, with real children.

// The environment is empty by default, the given one otherwise, and the
// parent's with InheritEnv; sh is found without a PATH.
func TestReal_Environment(t *testing.T) {
	t.Setenv("PROCESSUTIL_PARENT", "here")
	cases := []struct {
		name string
		opts processutil.Options
		want string
	}{
		{"default is empty", processutil.Options{}, "[] \n"},
		{"given", processutil.Options{Env: []string{"A=1"}}, "[] 1\n"},
		{"inherited", processutil.Options{InheritEnv: true, Env: []string{"A=2"}}, "[here] 2\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
				d := processutil.GetProcessOutput(r, "sh", []string{"-c", `echo "[$PROCESSUTIL_PARENT] $A"`}, c.opts)
				return d.AddCallback(bytesEqual(t, []byte(c.want)))
			})
		})
	}
}

// Without ErrorToo the child's pipes are closed at the first stderr
// output: a child that goes on writing dies of SIGPIPE, as under Twisted
// (compared in TestAgainstTwisted).
func TestReal_StderrClosesThePipes(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		script := "echo out; echo err >&2; sleep 0.2; echo more; exit 3"
		d := processutil.GetProcessOutput(r, "/bin/sh", []string{"-c", script}, processutil.Options{})
		d = trial.AssertFailure(d, trial.OfType[*processutil.UnexpectedErrorOutputError]())
		return reactor.AddCallbackAs(d, func(e *processutil.UnexpectedErrorOutputError) (any, error) {
			if string(e.Text) != "err\n" {
				t.Errorf("Text %q", e.Text)
			}
			ended := trial.AssertFailure(e.ProcessEnded, trial.OfType[*protocol.ProcessTerminated]())
			return reactor.AddCallbackAs(ended, func(pt *protocol.ProcessTerminated) (any, error) {
				if pt.Signal != syscall.SIGPIPE {
					t.Errorf("child ended with %v, want SIGPIPE", pt)
				}
				return nil, nil
			}), nil
		})
	})
}

// Cancelling kills a child that would run for a long time. The test then
// waits for the child's end, which the helpers do not report after a
// cancellation, through a reactor that watches the protocols it drives.
func TestReal_CancelKillsTheChild(t *testing.T) {
	for _, h := range helpers {
		t.Run(h.name, func(t *testing.T) {
			trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
				w := &endWatcher{ReactorProcess: r}
				d := h.call(w, "/bin/sleep", []string{"30"}, processutil.Options{})
				d.Cancel()
				trial.FailureResultOf(t, d, reactor.ErrCancelled)
				return reactor.AddErrbackAs(w.ends[0], func(pt *protocol.ProcessTerminated) (any, error) {
					if pt.Signal != syscall.SIGKILL {
						t.Errorf("child ended with %v, want SIGKILL", pt)
					}
					return nil, nil
				})
			})
		})
	}
}

// endWatcher is a ReactorProcess that fails a Deferred of its own with each
// child's exit reason, after the helper's protocol has seen it.
type endWatcher struct {
	protocol.ReactorProcess
	ends []*reactor.Deferred
}

func (w *endWatcher) SpawnProcess(p protocol.ProcessProtocol, exe string, args []string, opts protocol.SpawnOptions) (protocol.ProcessTransport, error) {
	protocol.Bind(p) // the wrapper below is not the type embedding p's base
	ended := reactor.NewDeferred(nil)
	w.ends = append(w.ends, ended)
	return w.ReactorProcess.SpawnProcess(&watchedProtocol{p, ended}, exe, args, opts)
}

type watchedProtocol struct {
	protocol.ProcessProtocol
	ended *reactor.Deferred
}

func (p *watchedProtocol) ProcessEnded(reason *reactor.Failure) {
	p.ProcessProtocol.ProcessEnded(reason)
	_ = p.ended.Errback(reason)
}

// A missing executable fails with a *protocol.SpawnError.
func TestReal_MissingExecutable(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessValue(r, "/nonexistent/prog", nil, processutil.Options{})
		return trial.AssertFailure(d, trial.OfType[*protocol.SpawnError]()).AddCallback(func(v any) (any, error) {
			if !errors.Is(v.(error), os.ErrNotExist) {
				t.Errorf("%v is not ErrNotExist", v)
			}
			return nil, nil
		})
	})
}

// The bridges' check that Wait is not called on the loop goroutine works
// on a *braid.Reactor under trial too (it embeds the core reactor). The
// test function itself runs before the reactor does, so the check is made
// in a callback the loop runs.
func TestReal_WaitOnTheReactorGoroutine(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessValue(r, "true", nil, processutil.Options{})
		return d.AddCallback(func(v any) (any, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := reactor.Wait(ctx, r, reactor.NewDeferred(nil)); !errors.Is(err, reactor.ErrWaitOnReactor) {
				t.Errorf("Wait on the reactor goroutine: %v, want ErrWaitOnReactor", err)
			}
			return nil, nil
		})
	})
}
