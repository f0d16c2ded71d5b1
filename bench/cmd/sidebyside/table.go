package main

import (
	"fmt"
	"math"
	"strings"
)

// outcome is what one contender gave for one workload.
type outcome struct {
	absent  bool      // the workload has no such contender
	missing string    // why it could not run (e.g. Twisted not installed), or ""
	err     error     // it ran and failed
	samples []float64 // ns per op, one per sample
}

// median is the outcome's figure, NaN when there is none.
func (o outcome) median() float64 {
	if o.absent || o.missing != "" || o.err != nil {
		return math.NaN()
	}
	return median(o.samples)
}

// result is one measured workload.
type result struct {
	w                            Workload
	braid, twisted, plain, other outcome
}

// cell renders a contender's figure for the table.
func (r result) cell(o outcome, notes *[]string) string {
	switch {
	case o.absent:
		return "—"
	case o.missing != "":
		return "n/a"
	case o.err != nil:
		*notes = append(*notes, fmt.Sprintf("%s: %v", r.w.Name, o.err))
		return fmt.Sprintf("error [%d]", len(*notes))
	}
	m := o.median()
	s := formatPerOp(m)
	if r.w.Bytes > 0 {
		s += " · " + formatRate(r.w.Bytes, m)
	}
	return s
}

// renderTable returns the markdown table of results, followed by numbered
// notes (errors, then each row's Note).
func renderTable(rs []result) string {
	hasOther := false
	for _, r := range rs {
		if !r.other.absent {
			hasOther = true
		}
	}
	head := []string{"workload", "per", "braid", "Twisted", "plain Go"}
	if hasOther {
		head = append(head, "other")
	}
	head = append(head, "braid vs Twisted", "braid vs plain Go")

	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	line(head)
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---"
		if i >= 2 {
			sep[i] = "--:"
		}
	}
	line(sep)

	var notes []string
	for _, r := range rs {
		name := r.w.Name
		if r.w.Note != "" {
			notes = append(notes, r.w.Name+": "+r.w.Note)
			name += fmt.Sprintf(" [%d]", len(notes))
		}
		unit := r.w.Unit
		if unit == "" {
			unit = "op"
		}
		cells := []string{name, unit, r.cell(r.braid, &notes), r.cell(r.twisted, &notes), r.cell(r.plain, &notes)}
		if hasOther {
			c := r.cell(r.other, &notes)
			if !r.other.absent {
				c = r.w.OtherName + ": " + c
			}
			cells = append(cells, c)
		}
		bm := r.braid.median()
		cells = append(cells, ratioCell(r.twisted, bm), ratioCell(r.plain, bm))
		line(cells)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		for i, n := range notes {
			fmt.Fprintf(&b, "[%d] %s  \n", i+1, n)
		}
	}
	return b.String()
}

func ratioCell(o outcome, braidNs float64) string {
	if o.absent {
		return "—"
	}
	return formatRatio(o.median(), braidNs)
}

// legend explains the ratio columns; it goes under every table.
const legend = "Times are the median over samples of the mean time per op. " +
	"\"braid vs X\" is X's time divided by braid's, measured in the same run: " +
	"above 1 braid is faster, below 1 slower. — means no such contender; n/a means it could not run here."
