package main

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMain lets the test binary be the ping-pong rows' server child, as
// the runner binary is: selfServer re-executes os.Executable with -serve.
func TestMain(m *testing.M) {
	if code, ok := childMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestMedian(t *testing.T) {
	cases := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1, 100, 1, 1}, 1},
	}
	for _, c := range cases {
		in := append([]float64(nil), c.in...)
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
		if diff := cmp.Diff(in, c.in); diff != "" {
			t.Errorf("median modified its input (-before +after):\n%s", diff)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestFormatPerOp(t *testing.T) {
	cases := []struct {
		ns   float64
		want string
	}{
		{12.34, "12.3 ns"},
		{226.4, "226 ns"},
		{1144, "1.14 µs"},
		{38900, "38.9 µs"},
		{2_050_000, "2.05 ms"},
		{3.5e9, "3.50 s"},
		{0, "n/a"},
		{math.NaN(), "n/a"},
	}
	for _, c := range cases {
		if got := formatPerOp(c.ns); got != c.want {
			t.Errorf("formatPerOp(%v) = %q, want %q", c.ns, got, c.want)
		}
	}
}

func TestFormatRatioAndRate(t *testing.T) {
	cases := []struct {
		contender, braid float64
		want             string
	}{
		{6600, 110, "60.0×"},
		{6600, 11, "600×"},
		{300, 400, "0.75×"},
		{math.NaN(), 100, "n/a"},
		{100, 0, "n/a"},
	}
	for _, c := range cases {
		if got := formatRatio(c.contender, c.braid); got != c.want {
			t.Errorf("formatRatio(%v, %v) = %q, want %q", c.contender, c.braid, got, c.want)
		}
	}
	// 1 MiB per op at one op per millisecond is 1000 MiB/s.
	if got := formatRate(1<<20, 1e6); got != "1000 MiB/s" {
		t.Errorf("formatRate = %q, want 1000 MiB/s", got)
	}
}

func TestParseSamples(t *testing.T) {
	cases := []struct {
		name    string
		out     string
		want    []float64
		wantErr bool
	}{
		{"one line", `{"ns_per_op": [1.5, 2.5]}` + "\n", []float64{1.5, 2.5}, false},
		{"noise before", "warming up\n{\"ns_per_op\": [3, 4]}\n", []float64{3, 4}, false},
		{"no json", "Traceback: boom\n", nil, true},
		{"wrong count", `{"ns_per_op": [1]}`, nil, true},
		{"zero sample", `{"ns_per_op": [1, 0]}`, nil, true},
		{"bad json", `{"ns_per_op": [1,`, nil, true},
	}
	for _, c := range cases {
		got, err := parseSamples(c.out, 2)
		if (err != nil) != c.wantErr {
			t.Errorf("%s: err = %v, want error %v", c.name, err, c.wantErr)
			continue
		}
		if err != nil && !errors.Is(err, errBadScriptOutput) {
			t.Errorf("%s: err = %v, want errBadScriptOutput", c.name, err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s: samples (-want +got):\n%s", c.name, diff)
		}
	}
}

func okRun(int) (time.Duration, error) { return time.Millisecond, nil }

func TestValidate(t *testing.T) {
	good := Workload{Group: "g", Name: "a", N: 1, Braid: okRun}
	cases := []struct {
		name string
		mod  func(w *Workload)
		want string
	}{
		{"no group", func(w *Workload) { w.Group = "" }, "Group is empty"},
		{"no name", func(w *Workload) { w.Name = "" }, "Name is empty"},
		{"zero N", func(w *Workload) { w.N = 0 }, "N must be at least 1"},
		{"no braid", func(w *Workload) { w.Braid = nil }, "Braid is nil"},
		{"other unnamed", func(w *Workload) { w.Other = okRun }, "OtherName is empty"},
		{"two Twisted kinds", func(w *Workload) { w.Twisted = []string{"a.py"}; w.TwistedServer = []string{"b.py"} }, "both Twisted and TwistedServer"},
		{"server without driver", func(w *Workload) { w.TwistedServer = []string{"b.py"} }, "DriveServer is nil"},
	}
	for _, c := range cases {
		w := good
		c.mod(&w)
		err := validate([]Workload{w})
		if !errors.Is(err, errBadWorkload) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: validate = %v, want %q", c.name, err, c.want)
		}
	}
	if err := validate([]Workload{good, good}); err == nil || !strings.Contains(err.Error(), "registered twice") {
		t.Errorf("duplicate: validate = %v, want registered twice", err)
	}
	if err := validate(registry); err != nil {
		t.Errorf("the registered workloads are malformed: %v", err)
	}
}

func TestSelectWorkloads(t *testing.T) {
	ws := []Workload{
		{Group: "reactor", Name: "Deferred chain"},
		{Group: "reactor", Name: "CallLater fire"},
		{Group: "tcp", Name: "echo"},
	}
	names := func(ws []Workload) []string {
		var s []string
		for _, w := range ws {
			s = append(s, w.Name)
		}
		return s
	}
	cfg, err := parseFlags([]string{"-group", "reactor", "-run", "CallLater"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := selectWorkloads(ws, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"CallLater fire"}, names(got)); diff != "" {
		t.Errorf("selected (-want +got):\n%s", diff)
	}
	cfg, _ = parseFlags([]string{"-group", "nope"}, os.Stderr)
	if _, err := selectWorkloads(ws, cfg); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown group: err = %v, want one naming the group", err)
	}
	for _, bad := range [][]string{{"-samples", "0"}, {"-timeout", "-1s"}, {"-run", "("}, {"stray"}} {
		if _, err := parseFlags(bad, &strings.Builder{}); err == nil {
			t.Errorf("parseFlags(%q) accepted bad input", bad)
		}
	}
}

func TestTimed(t *testing.T) {
	if d, err := timed(okRun, 1, time.Second); err != nil || d != time.Millisecond {
		t.Errorf("timed(ok) = %v, %v", d, err)
	}
	block := make(chan struct{})
	defer close(block)
	_, err := timed(func(int) (time.Duration, error) { <-block; return 1, nil }, 1, 20*time.Millisecond)
	if !errors.Is(err, errTimeout) {
		t.Errorf("timed(hang) err = %v, want errTimeout", err)
	}
	_, err = timed(func(int) (time.Duration, error) { panic("boom") }, 1, time.Second)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("timed(panic) err = %v, want the panic", err)
	}
	_, err = timed(func(int) (time.Duration, error) { return 0, nil }, 1, time.Second)
	if err == nil {
		t.Error("timed accepted a zero duration")
	}
}

func TestRenderTable(t *testing.T) {
	rs := []result{
		{
			w:       Workload{Name: "chain", Unit: "op", Note: "ten callbacks"},
			braid:   outcome{samples: []float64{100, 110, 90}},
			twisted: outcome{samples: []float64{6000}},
			plain:   outcome{absent: true},
			other:   outcome{absent: true},
		},
		{
			w:       Workload{Name: "copy", Bytes: 1 << 20},
			braid:   outcome{samples: []float64{1e6}},
			twisted: outcome{missing: "no twisted"},
			plain:   outcome{err: errors.New("boom")},
			other:   outcome{absent: true},
		},
	}
	want := `| workload | per | braid | Twisted | plain Go | braid vs Twisted | braid vs plain Go |
| --- | --- | --: | --: | --: | --: | --: |
| chain [1] | op | 100 ns | 6.00 µs | — | 60.0× | — |
| copy | op | 1.00 ms · 1000 MiB/s | n/a | error [2] | n/a | n/a |

[1] chain: ten callbacks  
[2] copy: boom  
`
	if diff := cmp.Diff(want, renderTable(rs)); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

// TestTwistedMissing pins the robustness rule: a Python without Twisted
// gives n/a cells and the install hint, never a failed run.
func TestTwistedMissing(t *testing.T) {
	env := probeTwisted("/nonexistent/python3", t.TempDir())
	if !strings.Contains(env.missing, installHint) {
		t.Errorf("missing = %q, want the install hint", env.missing)
	}
	o := env.run(Workload{Twisted: []string{"reactor_deferred.py"}, N: 1}, 1, 0, time.Second)
	if o.missing == "" || !math.IsNaN(o.median()) {
		t.Errorf("outcome = %+v, want missing", o)
	}
	var notes []string
	if got := (result{}).cell(o, &notes); got != "n/a" {
		t.Errorf("cell = %q, want n/a", got)
	}
}

// TestWorkloadsRun runs every registered braid and plain-Go function with a
// small n, so a workload that errors or hangs is caught by go test.
func TestWorkloadsRun(t *testing.T) {
	for _, w := range registry {
		for name, f := range map[string]func(int) (time.Duration, error){"braid": w.Braid, "plain Go": w.PlainGo, w.OtherName: w.Other} {
			if f == nil {
				continue
			}
			n := max(1, min(w.N/100, 200))
			if _, err := timed(f, n, 20*time.Second); err != nil {
				t.Errorf("%s/%s %s (n=%d): %v", w.Group, w.Name, name, n, err)
			}
		}
	}
}
