package protocol_test

import (
	"math/rand"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestBasicLineReceiversRandomAgainstTwisted plays 4000 random
// LineReceiver and LineOnlyReceiver runs (fixed seed) on braid and on
// Twisted: short lines, stray halves of the delimiter, a switch to a
// two-byte delimiter, raw mode, clearing and pausing, limits of 4 to 12
// bytes, cut at random points with random resumes — where the
// partial-line fast path of LineReceiver could part from Twisted.
func TestBasicLineReceiversRandomAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.protocols.basic")
	rng := rand.New(rand.NewSource(7))
	var progs []basicProgram
	for range 4000 {
		kind := "line"
		if rng.Intn(4) == 0 {
			kind = "lineonly"
		}
		d := "\r\n"
		var s []byte
		if rng.Intn(2) == 0 {
			d = ";;"
			s = []byte("delim ;;\r\n")
		}
		toks := []string{"a", "bb", "\r", "\n", ";", d, d, d, "xxxxxxxxxxx"}
		if kind == "line" {
			toks = append(toks, "raw 2"+d, "clear"+d, "pause"+d)
		}
		for range rng.Intn(25) {
			s = append(s, toks[rng.Intn(len(toks))]...)
		}
		p := basicProgram{Kind: kind, Max: []int{0, 4, 8, 12}[rng.Intn(4)], Catch: true, Steps: [][]byte{}}
		for i := 0; i < len(s); {
			n := 1 + rng.Intn(9)
			p.Steps = append(p.Steps, s[i:min(i+n, len(s))])
			i += n
			if kind == "line" && rng.Intn(4) == 0 {
				p.Steps = append(p.Steps, nil)
			}
		}
		if kind == "line" {
			p.Steps = append(p.Steps, nil, nil)
		}
		progs = append(progs, p)
	}
	twisted := twistedtest.Traces(t, "testdata/twisted_basic.py", progs, 120*time.Second)
	twistedtest.CompareTraces(t, progs, twisted, runBasicProgram)
}

// TestBasicStringReceiversRandomAgainstTwisted plays 4000 random
// NetstringReceiver and Int8/16/32StringReceiver runs (fixed seed): valid
// and broken netstrings under small limits, and length-prefixed strings
// (within the limit: past it braid departs from Twisted on purpose) with
// random pauses and resumes, cut at random points.
func TestBasicStringReceiversRandomAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.protocols.basic")
	rng := rand.New(rand.NewSource(11))
	var progs []basicProgram
	for range 4000 {
		var s []byte
		p := basicProgram{Max: []int{0, 3, 10, 100}[rng.Intn(4)], Steps: [][]byte{}}
		switch rng.Intn(2) {
		case 0:
			p.Kind = "netstring"
			toks := []string{"0", "1", "5", "9", ":", ",", "a", "\n", "3:abc,", "0:,", "12", "1:x,"}
			for range rng.Intn(20) {
				s = append(s, toks[rng.Intn(len(toks))]...)
			}
		default:
			p.Kind = []string{"int8", "int16", "int32"}[rng.Intn(3)]
			p.Max = []int{0, 22, 100}[rng.Intn(3)]
			size := map[string]int{"int8": 1, "int16": 2, "int32": 4}[p.Kind]
			for range rng.Intn(6) {
				str := []string{"a", "", "hello", "pause", "xxxxxxxxxxxxxxxxxxxxxx"}[rng.Intn(5)]
				s = append(s, prefixed(size, str)...)
			}
		}
		for i := 0; i < len(s); {
			n := 1 + rng.Intn(7)
			p.Steps = append(p.Steps, s[i:min(i+n, len(s))])
			i += n
			if p.Kind != "netstring" && rng.Intn(4) == 0 {
				p.Steps = append(p.Steps, nil)
			}
		}
		progs = append(progs, p)
	}
	twisted := twistedtest.Traces(t, "testdata/twisted_basic.py", progs, 120*time.Second)
	twistedtest.CompareTraces(t, progs, twisted, runBasicProgram)
}
