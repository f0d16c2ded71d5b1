package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// installHint is what to run when the Python that -python names lacks Twisted.
const installHint = "apt-get install -y python3-twisted"

// twistedEnv is the Python side of a run: which interpreter, where the
// scripts are, and why Twisted columns are n/a when it is unusable.
type twistedEnv struct {
	python  string
	dir     string // bench/twisted
	version string // e.g. "Twisted 22.4.0 (Python 3.11.2, EPollReactor)"
	missing string // non-empty when Twisted cannot run; the reason
}

// probeTwisted asks python for Twisted's version and default reactor.
func probeTwisted(python, dir string) twistedEnv {
	env := twistedEnv{python: python, dir: dir}
	if dir == "" {
		env.missing = "bench/twisted not found (run from the repository, or pass -twisted-dir)"
		return env
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const probe = `import sys, twisted
from twisted.internet import reactor
print(twisted.__version__, "%d.%d.%d" % sys.version_info[:3], type(reactor).__name__)`
	out, err := exec.CommandContext(ctx, python, "-c", probe).Output()
	if err != nil {
		env.missing = fmt.Sprintf("%s cannot import Twisted (%v); install it with: %s", python, err, installHint)
		return env
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		env.missing = fmt.Sprintf("%s printed %q for the Twisted probe", python, out)
		return env
	}
	env.version = fmt.Sprintf("Twisted %s (Python %s, %s)", f[0], f[1], f[2])
	return env
}

// findTwistedDir looks for bench/twisted in the working directory and its
// parents, so the runner works from anywhere inside the repository.
func findTwistedDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "bench", "twisted")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// runTwisted runs one workload's script and returns its samples in ns/op.
func (env twistedEnv) run(w Workload, samples int, warmup, timeout time.Duration) outcome {
	if len(w.Twisted) == 0 {
		return outcome{absent: true}
	}
	if env.missing != "" {
		return outcome{missing: env.missing}
	}
	script := filepath.Join(env.dir, w.Twisted[0])
	args := append([]string{script, "-n", strconv.Itoa(w.N), "-samples", strconv.Itoa(samples),
		"-warmup-ms", strconv.FormatInt(warmup.Milliseconds(), 10)}, w.Twisted[1:]...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.python, args...)
	cmd.Dir = env.dir
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return outcome{err: fmt.Errorf("twisted script %s: no result within %v", w.Twisted[0], timeout)}
	}
	if err != nil {
		return outcome{err: fmt.Errorf("twisted script %s: %w: %s", w.Twisted[0], err, lastLine(stderr.String()))}
	}
	s, err := parseSamples(stdout.String(), samples)
	if err != nil {
		return outcome{err: fmt.Errorf("twisted script %s: %w", w.Twisted[0], err)}
	}
	return outcome{samples: s}
}

// serverContender is the Twisted contender of a workload with a
// TwistedServer: DriveServer against the script run by env's Python. It is
// nil when the workload has none or Twisted cannot run (see env.missing).
func (env twistedEnv) serverContender(w Workload) func(int) (time.Duration, error) {
	if len(w.TwistedServer) == 0 || env.missing != "" {
		return nil
	}
	args := append([]string{filepath.Join(env.dir, w.TwistedServer[0])}, w.TwistedServer[1:]...)
	start := func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, env.python, args...)
		cmd.Dir = env.dir
		return cmd
	}
	return func(n int) (time.Duration, error) { return w.DriveServer(n, start) }
}

var errBadScriptOutput = errors.New("bad script output")

// parseSamples reads the last JSON line of a script's output.
func parseSamples(out string, want int) ([]float64, error) {
	var line string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "{") {
			line = l
		}
	}
	if line == "" {
		return nil, fmt.Errorf("%w: no JSON line in %q", errBadScriptOutput, lastLine(out))
	}
	var v struct {
		NsPerOp []float64 `json:"ns_per_op"`
	}
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadScriptOutput, err)
	}
	if len(v.NsPerOp) != want {
		return nil, fmt.Errorf("%w: %d samples, want %d", errBadScriptOutput, len(v.NsPerOp), want)
	}
	for _, x := range v.NsPerOp {
		if !(x > 0) {
			return nil, fmt.Errorf("%w: sample %v is not a positive time", errBadScriptOutput, x)
		}
	}
	return v.NsPerOp, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
