package protocol_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

type countingLines struct {
	protocol.LineReceiver
	n int
}

func (c *countingLines) LineReceived([]byte) { c.n++ }

// BenchmarkLineReceiver parses 10,000 short CRLF lines fed in 4 KiB chunks
// per op, as the "lines" group of bench/ does beside Twisted and
// bufio.Scanner; ns/line is the figure to compare.
func BenchmarkLineReceiver(b *testing.B) {
	var buf bytes.Buffer
	const lines = 10000
	for i := range lines {
		fmt.Fprintf(&buf, "line %d of the benchmark\r\n", i)
	}
	all := buf.Bytes()
	c := &countingLines{}
	protocol.Bind(c)
	c.MakeConnection(&braidtest.StringTransport{})
	b.ReportAllocs()
	b.SetBytes(int64(len(all)))
	start := time.Now()
	for b.Loop() {
		for j := 0; j < len(all); j += 4096 {
			c.DataReceived(all[j:min(j+4096, len(all))])
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*lines), "ns/line")
	if c.n != b.N*lines {
		b.Fatalf("%d lines, want %d", c.n, b.N*lines)
	}
}
