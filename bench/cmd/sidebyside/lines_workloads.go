package main

// The lines group (issue 14): LineReceiver parsing short lines from a large
// buffer handed over in chunks, in-process (no sockets) — braid's
// protocol.LineReceiver beside Twisted's (bench/twisted/lines_linereceiver.py)
// and bufio.Scanner.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/braid-go/braid/protocol"
)

func init() {
	for _, chunk := range []int{4 << 10, 64 << 10} {
		n := 200000
		note := "the same buffer of short CRLF lines (\"line <i> of the benchmark\", about 27 bytes) is fed in %s chunks to a " +
			"LineReceiver whose LineReceived counts; plain Go: bufio.Scanner (ScanLines) over a reader giving the same chunks. " +
			"No sockets; the buffer is built before timing."
		if chunk == 64<<10 {
			// Twisted's LineReceiver copies the rest of its buffer for
			// every line it splits off: the cost per line grows with the
			// chunk, so fewer lines keep the sample short.
			n = 20000
			note += " Twisted's LineReceiver copies what is left of its buffer for each line, so its cost per line grows with the chunk size."
		}
		size := fmt.Sprintf("%d KiB", chunk>>10)
		register(Workload{
			Group:   "lines",
			Name:    "LineReceiver: short lines in " + size + " chunks",
			Unit:    "line",
			N:       n,
			Braid:   func(n int) (time.Duration, error) { return braidLines(n, chunk) },
			PlainGo: func(n int) (time.Duration, error) { return goScannerLines(n, chunk) },
			Twisted: []string{"lines_linereceiver.py", "-chunk", strconv.Itoa(chunk)},
			Note:    fmt.Sprintf(note, size),
		})
	}
}

// linesInput is n benchmark lines cut into chunks of size bytes; Twisted's
// script builds the same bytes.
func linesInput(n, size int) [][]byte {
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprintf(&buf, "line %d of the benchmark\r\n", i)
	}
	all := buf.Bytes()
	var chunks [][]byte
	for i := 0; i < len(all); i += size {
		chunks = append(chunks, all[i:min(i+size, len(all))])
	}
	return chunks
}

// lineCounter counts the lines its LineReceiver delivers.
type lineCounter struct {
	protocol.LineReceiver
	lines int
}

func (c *lineCounter) LineReceived([]byte) { c.lines++ }

// nullTransport is the connection the benchmark's receiver is attached to:
// it is never written to.
type nullTransport struct{}

func (nullTransport) Write([]byte)           {}
func (nullTransport) WriteSequence([][]byte) {}
func (nullTransport) LoseConnection()        {}
func (nullTransport) GetHost() net.Addr      { return nil }
func (nullTransport) GetPeer() net.Addr      { return nil }

func braidLines(n, size int) (time.Duration, error) {
	chunks := linesInput(n, size)
	c := &lineCounter{}
	protocol.Bind(c)
	c.MakeConnection(nullTransport{})
	start := time.Now()
	for _, ch := range chunks {
		c.DataReceived(ch)
	}
	elapsed := time.Since(start)
	if c.lines != n {
		return 0, fmt.Errorf("LineReceiver delivered %d lines, want %d", c.lines, n)
	}
	return elapsed, nil
}

// chunkReader gives its chunks one Read at a time, as a socket's reads
// would.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	if n == len(r.chunks[0]) {
		r.chunks = r.chunks[1:]
	} else {
		r.chunks[0] = r.chunks[0][n:]
	}
	return n, nil
}

func goScannerLines(n, size int) (time.Duration, error) {
	chunks := linesInput(n, size)
	start := time.Now()
	sc := bufio.NewScanner(&chunkReader{chunks: chunks})
	lines := 0
	for sc.Scan() {
		lines++
	}
	elapsed := time.Since(start)
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if lines != n {
		return 0, fmt.Errorf("bufio.Scanner found %d lines, want %d", lines, n)
	}
	return elapsed, nil
}
