package main

import (
	"fmt"
	"math"
	"slices"
)

// median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// spread returns (max-min)/median of xs, a rough noise figure: 0.05 means the
// samples lie within 5% of the median's size of one another.
func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	return (slices.Max(xs) - slices.Min(xs)) / median(xs)
}

// formatPerOp renders a time per operation in nanoseconds with a unit that
// keeps three significant digits: "226 ns", "1.14 µs", "38.9 µs", "2.05 ms".
func formatPerOp(ns float64) string {
	switch {
	case math.IsNaN(ns) || ns <= 0:
		return "n/a"
	case ns < 1e3:
		return sig3(ns) + " ns"
	case ns < 1e6:
		return sig3(ns/1e3) + " µs"
	case ns < 1e9:
		return sig3(ns/1e6) + " ms"
	default:
		return sig3(ns/1e9) + " s"
	}
}

// sig3 prints x with about three significant digits and never in exponent
// form (%g would print 1144 as 1.14e+03).
func sig3(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// formatRate renders bytes per op at ns per op as MiB/s.
func formatRate(bytesPerOp int, ns float64) string {
	if math.IsNaN(ns) || ns <= 0 {
		return "n/a"
	}
	return sig3(float64(bytesPerOp)/(ns/1e9)/(1<<20)) + " MiB/s"
}

// formatRatio renders how many times faster braid is than a contender: the
// contender's time divided by braid's. Below 1, braid is slower.
func formatRatio(contenderNs, braidNs float64) string {
	if math.IsNaN(contenderNs) || math.IsNaN(braidNs) || contenderNs <= 0 || braidNs <= 0 {
		return "n/a"
	}
	return sig3(contenderNs/braidNs) + "×"
}
