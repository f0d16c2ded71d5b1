package main

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Workload is one row of the side-by-side table: the same operation under
// braid, Twisted, hand-written Go and optionally a fourth contender. Each
// area registers its workloads from an init function in its own file of this
// package (reactor_workloads.go, process_workloads.go, tcp_workloads.go,
// conch_workloads.go, lines_workloads.go).
type Workload struct {
	Group string // "reactor", "process", "tcp", "conch", "lines", "tls": selects with -group
	Name  string // row label, e.g. "Deferred: create, 10 callbacks, fire"
	Unit  string // what one op is, e.g. "op", "process", "connection", "MiB"
	N     int    // iterations per sample (keep a sample well under a second)
	// Braid and PlainGo run n iterations and return the elapsed time (or the
	// bytes moved, see Bytes). PlainGo is nil when there is no hand-written Go
	// equivalent worth comparing.
	Braid   func(n int) (time.Duration, error)
	PlainGo func(n int) (time.Duration, error)
	// Twisted is the script under bench/twisted/ and its arguments; the runner
	// runs `/usr/bin/python3 bench/twisted/<script> -n N -samples S [args...]`, and
	// the script prints one JSON line {"ns_per_op": [sample, sample, ...]}.
	// Empty when there is no Twisted equivalent.
	Twisted []string
	// TwistedServer, instead of Twisted, names a server script under
	// bench/twisted/ and its arguments for a workload whose server runs in a
	// child process of its own: the runner starts `/usr/bin/python3
	// bench/twisted/<script> [args...]` through DriveServer, sample by sample,
	// interleaved with the Go contenders, and shows what DriveServer returns
	// in the Twisted column.
	TwistedServer []string
	// DriveServer runs n ops against the server child that start makes and
	// returns the elapsed time (or whatever the row measures, see Unit).
	// Required with TwistedServer; the Go contenders of such a workload call
	// it too, with their own start.
	DriveServer func(n int, start serverStart) (time.Duration, error)
	// Other is an optional fourth contender (e.g. socat for the forwarder),
	// labelled OtherName; same contract as Braid.
	Other     func(n int) (time.Duration, error)
	OtherName string
	// Bytes, when > 0, is the payload per op: the table then shows MiB/s.
	Bytes int

	// Note, when set, is printed under the table as a footnote to this row:
	// say there what the row measures that its name cannot.
	Note string
}

// registry holds every registered workload in registration order (init
// functions run in file-name order, then source order within a file).
var registry []Workload

// register adds w to the runner. It is called from init functions; a
// malformed workload is reported by main before anything runs.
func register(w Workload) { registry = append(registry, w) }

// errBadWorkload marks a registration mistake found by validate.
var errBadWorkload = errors.New("bad workload")

// validate checks every registered workload and reports all mistakes at once.
func validate(ws []Workload) error {
	var errs []error
	seen := map[string]bool{}
	for i, w := range ws {
		label := fmt.Sprintf("workload %d (%s/%s)", i, w.Group, w.Name)
		bad := func(why string) { errs = append(errs, fmt.Errorf("%w: %s: %s", errBadWorkload, label, why)) }
		switch {
		case w.Group == "":
			bad("Group is empty")
		case w.Name == "":
			bad("Name is empty")
		case w.N < 1:
			bad("N must be at least 1")
		case w.Braid == nil:
			bad("Braid is nil")
		case w.Bytes < 0:
			bad("Bytes is negative")
		case w.Other != nil && w.OtherName == "":
			bad("Other is set but OtherName is empty")
		case len(w.Twisted) > 0 && len(w.TwistedServer) > 0:
			bad("both Twisted and TwistedServer are set")
		case len(w.TwistedServer) > 0 && w.DriveServer == nil:
			bad("TwistedServer is set but DriveServer is nil")
		}
		key := w.Group + "\x00" + w.Name
		if seen[key] {
			bad("registered twice")
		}
		seen[key] = true
	}
	return errors.Join(errs...)
}

// groups returns the group names in order of first registration.
func groups(ws []Workload) []string {
	var gs []string
	for _, w := range ws {
		if !slices.Contains(gs, w.Group) {
			gs = append(gs, w.Group)
		}
	}
	return gs
}
