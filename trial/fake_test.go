package trial_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/braid-go/braid/trial"
)

// fakeT is a recording trial.TB: trial's own tests run an inner test
// against it and look at what trial reported. Fatalf ends the inner test's
// goroutine with runtime.Goexit, as *testing.T does.
type fakeT struct {
	name string

	mu       sync.Mutex
	errors   []string
	fatals   []string
	logs     []string
	deadline time.Time
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Name() string { return f.name }

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeT) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

func (f *fakeT) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.errors)+len(f.fatals) > 0
}

// all returns every failure message, errors then fatals.
func (f *fakeT) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append(append([]string(nil), f.errors...), f.fatals...)
}

func (f *fakeT) text() string { return strings.Join(f.all(), "\n---\n") }

// deadlineT is a fakeT with a go test deadline.
type deadlineT struct{ *fakeT }

func (d deadlineT) Deadline() (time.Time, bool) { return d.deadline, true }

// inner runs body as an inner test on its own goroutine, as testing runs
// a test, and returns the recorder once it has ended.
func inner(t *testing.T, body func(ft *fakeT)) *fakeT {
	t.Helper()
	ft := &fakeT{name: t.Name() + "/inner"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(ft)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("inner test did not end within 60 s")
	}
	return ft
}

// wantClean fails t if the inner test reported anything.
func wantClean(t *testing.T, ft *fakeT) {
	t.Helper()
	if ft.Failed() {
		t.Fatalf("inner test failed, want clean:\n%s", ft.text())
	}
}

// wantFailure fails t unless the inner test reported exactly n failures
// (errors and fatals) and their text has every one of wants.
func wantFailure(t *testing.T, ft *fakeT, n int, wants ...string) {
	t.Helper()
	all := ft.all()
	if len(all) != n {
		t.Errorf("inner test reported %d failures, want %d:\n%s", len(all), n, ft.text())
	}
	text := ft.text()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("inner test's report lacks %q:\n%s", w, text)
		}
	}
}

var _ trial.TB = (*fakeT)(nil)
