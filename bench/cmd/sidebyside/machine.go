package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// machineLine describes where and when a table was measured: date, Go,
// Twisted, CPU, cores, kernel and load — the context a reader needs to
// compare two tables.
func machineLine(now time.Time, tw twistedEnv, samples int) string {
	twisted := tw.version
	if twisted == "" {
		twisted = "Twisted n/a"
	}
	return fmt.Sprintf("%s · %s %s/%s · %s · %s · %d cores (GOMAXPROCS %d) · Linux %s · load %s · %d samples",
		now.UTC().Format("2006-01-02 15:04 MST"), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		twisted, cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0),
		readTrim("/proc/sys/kernel/osrelease", "?"), loadAverage(), samples)
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "unknown CPU"
}

// loadAverage returns the 1-minute load average: on a shared machine a load
// near the core count means the figures are noisy.
func loadAverage() string {
	f := strings.Fields(readTrim("/proc/loadavg", "?"))
	return f[0]
}

func readTrim(path, fallback string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return fallback
	}
	return strings.TrimSpace(string(b))
}
