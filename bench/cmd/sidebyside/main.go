// Command sidebyside runs braid's benchmark workloads beside the same
// workloads under Twisted and hand-written Go, in one run on one machine, and
// prints a markdown table of medians with the ratios between them.
//
// Usage (from the repository root; bench/run.sh does this):
//
//	go run ./bench/cmd/sidebyside [-group reactor] [-samples 5] [-out /tmp/run.md]
//	go run ./bench/cmd/sidebyside -check   # every contender and Twisted script once, no timing
//
// Each area registers its workloads in its own file of this package; see
// workload.go and bench/README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

type config struct {
	groups     []string // empty: all
	run        *regexp.Regexp
	samples    int
	warmup     time.Duration
	out        string
	timeout    time.Duration
	python     string
	twistedDir string
	verbose    bool
	list       bool
	check      bool
}

func main() {
	if code, ok := childMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); ok {
		os.Exit(code)
	}
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(2)
	}
	if err := run(cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	group := fs.String("group", "all", "comma-separated groups to run (reactor, process, tcp, conch, lines, tls), or all")
	runRE := fs.String("run", "", "only workloads whose name matches this regular expression")
	var cfg config
	fs.IntVar(&cfg.samples, "samples", 5, "samples per contender; the table shows their median")
	fs.DurationVar(&cfg.warmup, "warmup", 500*time.Millisecond, "discard each contender's samples until it has run this long (at least one sample), Twisted's too")
	fs.StringVar(&cfg.out, "out", "", "append the table, with date and machine line, to this file (e.g. bench/RESULTS.md)")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "longest one sample may take before it counts as an error")
	fs.StringVar(&cfg.python, "python", "/usr/bin/python3", "the Python with Debian's python3-twisted")
	fs.StringVar(&cfg.twistedDir, "twisted-dir", "", "directory of the Twisted scripts (default: bench/twisted found from the working directory)")
	fs.BoolVar(&cfg.verbose, "v", false, "print every sample to stderr")
	fs.BoolVar(&cfg.list, "list", false, "list the registered workloads and exit")
	fs.BoolVar(&cfg.check, "check", false, "run every contender and Twisted script once at a small n and report failures (no timing)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.samples < 1 {
		return cfg, fmt.Errorf("-samples %d: must be at least 1", cfg.samples)
	}
	if cfg.warmup < 0 {
		return cfg, fmt.Errorf("-warmup %v: must not be negative", cfg.warmup)
	}
	if cfg.timeout <= 0 {
		return cfg, fmt.Errorf("-timeout %v: must be positive", cfg.timeout)
	}
	if *group != "all" && *group != "" {
		for _, g := range strings.Split(*group, ",") {
			cfg.groups = append(cfg.groups, strings.TrimSpace(g))
		}
	}
	if *runRE != "" {
		re, err := regexp.Compile(*runRE)
		if err != nil {
			return cfg, fmt.Errorf("-run: %w", err)
		}
		cfg.run = re
	}
	return cfg, nil
}

// selectWorkloads applies -group and -run, keeping registration order.
func selectWorkloads(ws []Workload, cfg config) ([]Workload, error) {
	known := groups(ws)
	for _, g := range cfg.groups {
		if !slices.Contains(known, g) {
			return nil, fmt.Errorf("-group %q: no such group (registered: %s)", g, strings.Join(known, ", "))
		}
	}
	var out []Workload
	for _, w := range ws {
		if len(cfg.groups) > 0 && !slices.Contains(cfg.groups, w.Group) {
			continue
		}
		if cfg.run != nil && !cfg.run.MatchString(w.Name) {
			continue
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, errors.New("no workload matches -group and -run")
	}
	return out, nil
}

func run(cfg config, stdout, stderr io.Writer) error {
	if err := validate(registry); err != nil {
		return err
	}
	ws, err := selectWorkloads(registry, cfg)
	if err != nil {
		return err
	}
	if cfg.list {
		for _, w := range ws {
			fmt.Fprintf(stdout, "%-8s %-55s N=%d twisted=%v plainGo=%v\n", w.Group, w.Name, w.N,
				append(slices.Clone(w.Twisted), w.TwistedServer...), w.PlainGo != nil)
		}
		return nil
	}

	dir := cfg.twistedDir
	if dir == "" {
		dir = findTwistedDir()
	}
	tw := probeTwisted(cfg.python, dir)
	if cfg.check {
		return check(ws, tw, stdout)
	}
	if tw.missing != "" {
		fmt.Fprintf(stderr, "Twisted columns will show n/a: %s\n", tw.missing)
	}
	started := time.Now()
	header := machineLine(started, tw, cfg.samples)
	fmt.Fprintln(stderr, header)

	var rs []result
	for _, w := range ws {
		r := measure(w, cfg, tw, stderr)
		rs = append(rs, r)
	}

	title := fmt.Sprintf("## %s — %s", strings.Join(groups(ws), ", "), started.UTC().Format("2006-01-02"))
	report := fmt.Sprintf("%s\n\n%s\n\n%s\n%s\n", title, header, renderTable(rs), legend)
	fmt.Fprintf(stdout, "\n%s", report)
	fmt.Fprintf(stderr, "(%d workloads in %.1fs)\n", len(rs), time.Since(started).Seconds())
	if cfg.out != "" {
		if err := appendFile(cfg.out, "\n"+report); err != nil {
			return err
		}
	}
	return nil
}

// measure runs one workload: full-size warm-up samples of each Go contender
// for at least -warmup, then the Go contenders' samples interleaved (so
// drift on a shared machine hits them alike), then the Twisted script, which
// warms up as long. A TwistedServer is driven from Go, so it takes its turn
// among the Go contenders instead. The warm-up is by time because what settles is the heap:
// until the GC pacer has found its goal and the scavenger stops handing
// pages back, a Go process keeps faulting in fresh pages, at some 14 µs each
// on the VM of bench/RESULTS.md; one 7 ms sample of the Deferred chain took
// 173 ns with 226 faults where the settled rate is 101-124 ns with none.
func measure(w Workload, cfg config, tw twistedEnv, stderr io.Writer) result {
	r := result{w: w}
	type goContender struct {
		name string
		f    func(int) (time.Duration, error)
		out  *outcome
	}
	cs := []goContender{{"braid", w.Braid, &r.braid}, {"plain Go", w.PlainGo, &r.plain}, {w.OtherName, w.Other, &r.other},
		{"Twisted", tw.serverContender(w), &r.twisted}}
	if len(w.TwistedServer) > 0 && tw.missing != "" {
		r.twisted.missing = tw.missing
	}
	for _, c := range cs {
		if c.f == nil {
			c.out.absent = c.out.missing == ""
			continue
		}
		if err := warmUp(c.f, w.N, cfg); err != nil {
			c.out.err = fmt.Errorf("%s warm-up: %w", c.name, err)
		}
	}
	for range cfg.samples {
		for _, c := range cs {
			if c.f == nil || c.out.err != nil {
				continue
			}
			d, err := timed(c.f, w.N, cfg.timeout)
			if err != nil {
				c.out.err = fmt.Errorf("%s: %w", c.name, err)
				continue
			}
			c.out.samples = append(c.out.samples, float64(d)/float64(w.N))
		}
	}
	if len(w.TwistedServer) == 0 {
		r.twisted = tw.run(w, cfg.samples, cfg.warmup, cfg.warmup+cfg.timeout*time.Duration(cfg.samples+2))
	}

	fmt.Fprintf(stderr, "%-8s %-50s braid %s  Twisted %s  plain Go %s\n", w.Group, w.Name,
		formatPerOp(r.braid.median()), formatPerOp(r.twisted.median()), formatPerOp(r.plain.median()))
	if cfg.verbose {
		for _, c := range []struct {
			name string
			o    outcome
		}{{"braid", r.braid}, {"Twisted", r.twisted}, {"plain Go", r.plain}, {w.OtherName, r.other}} {
			if len(c.o.samples) > 0 {
				fmt.Fprintf(stderr, "    %-10s samples ns/op %.1f (spread %.0f%%)\n", c.name, c.o.samples, 100*spread(c.o.samples))
			}
		}
	}
	return r
}

// warmUp runs samples of f, discarded, until they add up to cfg.warmup; at
// least one.
func warmUp(f func(int) (time.Duration, error), n int, cfg config) error {
	start := time.Now()
	for {
		if _, err := timed(f, n, cfg.timeout); err != nil {
			return err
		}
		if time.Since(start) >= cfg.warmup {
			return nil
		}
	}
}

// errTimeout reports a sample that did not finish within -timeout.
var errTimeout = errors.New("sample timed out")

// timed runs f(n) and returns its duration, or an error if f fails, returns
// a non-positive duration, or takes longer than timeout. A timed-out f keeps
// running on its goroutine; the runner moves on and reports it.
func timed(f func(int) (time.Duration, error), n int, timeout time.Duration) (time.Duration, error) {
	type res struct {
		d   time.Duration
		err error
	}
	ch := make(chan res, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				ch <- res{err: fmt.Errorf("panic: %v", v)}
			}
		}()
		d, err := f(n)
		ch <- res{d, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err == nil && r.d <= 0 {
			r.err = fmt.Errorf("returned a non-positive duration %v", r.d)
		}
		return r.d, r.err
	case <-t.C:
		return 0, fmt.Errorf("%w after %v (n=%d)", errTimeout, timeout, n)
	}
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("-out %s: %w", path, err)
	}
	return f.Close()
}
