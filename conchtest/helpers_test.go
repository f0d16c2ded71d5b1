//go:build unix

package conchtest_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
)

// needProgram skips the test when a third-party program is missing, except
// in CI, where it must run for real.
func needProgram(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && !fi.IsDir() {
			return filepath.Join(dir, name)
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required in CI but not installed (scripts/test.sh installs it)", name)
	}
	t.Skipf("%s not installed (apt-get install socat openssh-server openssh-client); skipping outside CI", name)
	return ""
}

// recordT is a recording trial.TB: a test runs an inner trial.Run against
// it to look at what trial reported (a timeout, a dirty reactor). Fatalf
// ends the inner goroutine, as *testing.T does.
type recordT struct {
	mu     sync.Mutex
	errors []string
}

func (r *recordT) Helper()             {}
func (r *recordT) Name() string        { return "inner" }
func (r *recordT) Logf(string, ...any) {}
func (r *recordT) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordT) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recordT) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errors) > 0
}
func (r *recordT) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errors, "\n---\n")
}

var warmUp sync.Once

// leakCheck records the open descriptors and goroutines now, and at the
// end of the test checks that they are back, and that no child of this
// process is left (alive or zombie).
func leakCheck(t *testing.T) {
	t.Helper()
	warmUp.Do(func() {
		// Descriptors opened once, on first use, and kept for the life of
		// the process are not leaks: the Go runtime's network poller, and
		// the spare descriptor a listening port reserves (Twisted's
		// _reservedFD).
		_, _ = conchtest.FreePort()
		if r, err := braid.New(); err == nil {
			if p, err := conchtest.ListenEcho(r, "127.0.0.1"); err == nil {
				p.StopListening()
				r.Iterate(0)
			}
			_ = r.Close()
		}
	})
	fds, gs := openFDs(), runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for {
			nowFDs, nowGs, kids := openFDs(), runtime.NumGoroutine(), children()
			if nowFDs <= fds && nowGs <= gs && len(kids) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("leak: fds %d -> %d %v, goroutines %d -> %d, children left %v", fds, nowFDs, fdNames(), gs, nowGs, kids)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func openFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents) - 1
}

// children lists this process's children in any state, zombies included.
func children() []int {
	files, _ := filepath.Glob("/proc/self/task/*/children")
	var out []int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil {
				out = append(out, pid)
			}
		}
	}
	return out
}

// fdNames lists what the open descriptors point at, for leak reports.
func fdNames() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out = append(out, e.Name()+"->"+target)
	}
	return out
}
