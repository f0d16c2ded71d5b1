package processutil_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/processutil"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// iutilsScenario is one call of a helper, run under Twisted's
// twisted.internet.utils (testdata/twisted_iutils.py) and under
// processutil. The children's output is ordered by sleeps where two pipes
// are involved, so that the traces are deterministic.
type iutilsScenario struct {
	Name     string            `json:"name"`
	Helper   string            `json:"helper"` // output, value or outputAndValue
	Argv     []string          `json:"argv"`
	Env      map[string]string `json:"env"`
	Path     string            `json:"path"`
	ErrorToo bool              `json:"errortoo"`
	Stdin    *string           `json:"stdin"`
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func strPtr(s string) *string { return &s }

// A missing executable is not among them: Twisted's child writes a
// traceback to stderr and exits 1, where braid fails with a
// *protocol.SpawnError (docs/DESIGN.md §9).
var iutilsScenarios = []iutilsScenario{
	{Name: "output, exit status ignored", Helper: "output", Argv: sh("echo hello; exit 3")},
	{Name: "output of a child killed by a signal", Helper: "output", Argv: sh("echo x; kill -9 $$")},
	{Name: "output: stderr, then more output (SIGPIPE)", Helper: "output",
		Argv: sh("echo out; echo err >&2; sleep 0.2; echo more; exit 3")},
	{Name: "output: stderr, then exit 0", Helper: "output", Argv: sh("echo out; echo err >&2; sleep 0.2")},
	{Name: "output: stderr, then exit 4", Helper: "output", Argv: sh("echo err >&2; sleep 0.2; exit 4")},
	{Name: "output: errortoo in arrival order", Helper: "output", ErrorToo: true,
		Argv: sh("echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c; exit 1")},
	{Name: "output: empty environment by default", Helper: "output", Argv: []string{"/usr/bin/env"}},
	{Name: "output: a given environment", Helper: "output", Argv: []string{"/usr/bin/env"}, Env: map[string]string{"K": "v"}},
	{Name: "output: path", Helper: "output", Argv: []string{"/bin/pwd"}, Path: "/"},
	{Name: "output: a bare name found without PATH", Helper: "output", Argv: []string{"sh", "-c", "echo found"}},
	{Name: "value: exit status", Helper: "value", Argv: sh("echo ignored; echo ignored >&2; exit 7")},
	{Name: "value: killed", Helper: "value", Argv: sh("kill -9 $$")},
	{Name: "outputAndValue", Helper: "outputAndValue", Argv: sh("echo o; sleep 0.1; echo e >&2; exit 2")},
	{Name: "outputAndValue: killed", Helper: "outputAndValue", Argv: sh("echo o; echo e >&2; kill -9 $$")},
	{Name: "outputAndValue: SIGTERM", Helper: "outputAndValue", Argv: sh("kill -15 $$")},
	{Name: "outputAndValue: stdin", Helper: "outputAndValue", Argv: []string{"/bin/cat"}, Stdin: strPtr("to the child\n")},
	{Name: "outputAndValue: empty stdin", Helper: "outputAndValue", Argv: []string{"/bin/cat"}, Stdin: strPtr("")},
}

// TestAgainstTwisted runs each scenario under Twisted and under braid and
// compares the traces: how the Deferred fired and with what, and for
// output on stderr, the message and how the process ended.
func TestAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.internet.utils")
	var twisted map[string][]string
	twistedtest.Run(t, "testdata/twisted_iutils.py", iutilsScenarios, &twisted, 2*time.Minute)
	braidTraces := map[string][]string{}
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		d := reactor.Succeed(nil)
		for _, s := range iutilsScenarios {
			d.AddCallback(func(any) (any, error) {
				return runScenario(r, s).AddCallback(func(v any) (any, error) {
					braidTraces[s.Name] = v.([]string)
					return nil, nil
				}), nil
			})
		}
		return d
	})
	twistedtest.CompareScenarios(t, iutilsScenarios, func(s iutilsScenario) string { return s.Name }, twisted, braidTraces)
}

// runScenario runs s on r and returns a Deferred of its trace, written as
// twisted_iutils.py writes Twisted's.
func runScenario(r *braid.Reactor, s iutilsScenario) *reactor.Deferred {
	opts := processutil.Options{Dir: s.Path, ErrorToo: s.ErrorToo}
	for k, v := range s.Env {
		opts.Env = append(opts.Env, k+"="+v)
	}
	if s.Stdin != nil {
		opts.Stdin = []byte(*s.Stdin)
	}
	exe, args := s.Argv[0], s.Argv[1:]
	var d *reactor.Deferred
	switch s.Helper {
	case "output":
		d = processutil.GetProcessOutput(r, exe, args, opts)
	case "value":
		d = processutil.GetProcessValue(r, exe, args, opts)
	default:
		d = processutil.GetProcessOutputAndValue(r, exe, args, opts)
	}
	return d.AddCallbacks(func(v any) (any, error) {
		switch v := v.(type) {
		case []byte:
			return []string{"callback", string(v)}, nil
		case int:
			if v == -1 {
				return []string{"callback", "None"}, nil // Twisted's exitCode for a signal
			}
			return []string{"callback", strconv.Itoa(v)}, nil
		case processutil.Output:
			return []string{"callback", string(v.Stdout), string(v.Stderr), strconv.Itoa(v.ExitCode)}, nil
		}
		return []string{"callback ?", fmt.Sprintf("%T %v", v, v)}, nil
	}, func(f *reactor.Failure) (any, error) {
		if se, ok := errors.AsType[*processutil.SignalError](f); ok {
			return []string{"errback signal", string(se.Stdout), string(se.Stderr), strconv.Itoa(int(se.Signal))}, nil
		}
		ue, ok := errors.AsType[*processutil.UnexpectedErrorOutputError](f)
		if !ok {
			return []string{"errback ?", f.Error()}, nil
		}
		trace := []string{"errback stderr", "got stderr: " + pyBytesRepr(ue.Text)}
		return ue.ProcessEnded.AddCallbacks(func(any) (any, error) {
			return append(trace, "processEnded callback"), nil
		}, func(f *reactor.Failure) (any, error) {
			return append(trace, "processEnded "+reasonText(f)), nil
		}), nil
	})
}

// reasonText writes an exit reason as twisted_iutils.py does.
func reasonText(f *reactor.Failure) string {
	if _, ok := errors.AsType[*protocol.ProcessDone](f); ok {
		return "ProcessDone"
	}
	if pt, ok := errors.AsType[*protocol.ProcessTerminated](f); ok {
		code, sig := strconv.Itoa(pt.ExitCode), strconv.Itoa(int(pt.Signal))
		if pt.Signal != 0 {
			code = "None"
		} else {
			sig = "None"
		}
		return "ProcessTerminated exit=" + code + " signal=" + sig
	}
	return "?" + f.TypeName()
}

// pyBytesRepr is Python's repr of b for the ASCII the scenarios write
// (no quotes in it).
func pyBytesRepr(b []byte) string {
	var s strings.Builder
	s.WriteString("b'")
	for _, c := range b {
		switch {
		case c == '\n':
			s.WriteString(`\n`)
		case c == '\t':
			s.WriteString(`\t`)
		case c == '\r':
			s.WriteString(`\r`)
		case c == '\\':
			s.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, `\x%02x`, c)
		}
	}
	s.WriteString("'")
	return s.String()
}
