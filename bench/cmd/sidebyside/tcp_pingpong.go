package main

// The rows of the tcp group whose server runs in a child process of its
// own (serve.go), so that the server's CPU time per request can be read
// apart from the client's (issue 15): ping-pong, 1,000 connections each
// doing 1 KiB round trips, and echo, one connection doing 64 KiB round
// trips — the second as the issue measured braid against Go's event
// loops, a server process driven by a plain-Go client.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// loadShape is what the client does: conns connections, all open before
// timing starts, each writing size bytes and reading them back.
type loadShape struct {
	conns, size int
	n           int // requests per sample
}

var (
	pingShape = loadShape{conns: 1000, size: 1 << 10, n: 20000} // 20 requests per connection
	echoShape = loadShape{conns: 1, size: tcpChunk, n: 4000}
)

const (
	pingConns = 1000 // the listen backlog the servers ask for
	// pingLimit bounds one sample's child and connections: a hung server
	// fails the sample instead of leaking a process.
	pingLimit = 2 * time.Minute
)

// pingMeasure is what a ping-pong sample returns.
type pingMeasure int

const (
	pingWall      pingMeasure = iota // from the first timed request until the last reply
	pingServerCPU                    // the server child's CPU (user+system, all threads) over the same span
)

// registerPingPong registers the ping-pong rows; tcp_workloads.go calls it
// so that they sit between the echo and the churn rows.
func registerPingPong() {
	rows := []struct {
		name    string
		shape   loadShape
		braid   string // server kind
		twisted bool
		note    string
	}{
		{"echo, server in its own process: 64 KiB round trips, one connection", echoShape, serveBraid, true,
			"the 64 KiB echo with the server alone in its process and a plain-Go client: only the server's " +
				"reads get fresh memory. braid defaults; plain Go: a goroutine per connection, one reused 64 KiB " +
				"buffer, Read then Write; Twisted: bench/twisted/tcp_echo_server.py"},
		{"echo, server in its own process: the same, braid tuned (ReuseReadBuffer, WriteThrough)", echoShape, serveBraidTuned, false,
			"the braid server's connections set TCPConnOptions{ReuseReadBuffer: true, WriteThrough: true}; plain Go, " +
				"the client and the figure as in the rows above"},
		{"ping-pong: 1,000 connections, 1 KiB round trips", pingShape, serveBraid, true,
			"braid with its defaults (braid.New, ListenTCP, an echo protocol that writes what DataReceived gets); " +
				"plain Go: a goroutine per connection, one reused 64 KiB buffer, Read then Write; Twisted: " +
				"bench/twisted/tcp_echo_server.py, the same echo protocol on the default epoll reactor"},
		{"ping-pong: the same, braid tuned (ReuseReadBuffer, WriteThrough)", pingShape, serveBraidTuned, false,
			"the braid server's connections set TCPConnOptions{ReuseReadBuffer: true, WriteThrough: true}; plain Go, " +
				"the client and the figure as in the ping-pong rows above"},
	}
	for _, row := range rows {
		for _, m := range []pingMeasure{pingWall, pingServerCPU} {
			shape := row.shape
			w := Workload{
				Group:       "tcp",
				Name:        row.name + m.suffix(),
				Unit:        m.unit(),
				N:           shape.n,
				Bytes:       shape.size,
				Braid:       pingContender(row.braid, m, shape),
				PlainGo:     pingContender(serveGoRW, m, shape),
				DriveServer: func(n int, start serverStart) (time.Duration, error) { return pingPong(n, start, m, shape) },
				Note:        row.note + ".",
			}
			if m == pingServerCPU {
				w.Bytes = 0 // a rate of CPU time would read as throughput
			}
			// The default rows carry the full explanation; the tuned rows
			// point to it.
			if row.twisted {
				w.TwistedServer = []string{"tcp_echo_server.py"}
				w.Note += " " + m.note(shape)
			}
			register(w)
		}
	}
}

func (m pingMeasure) suffix() string {
	if m == pingServerCPU {
		return ", server CPU"
	}
	return ", wall time"
}

func (m pingMeasure) unit() string {
	if m == pingServerCPU {
		return "request (server CPU)"
	}
	return "request"
}

// note explains the default rows' figures; the tuned rows point to it.
func (m pingMeasure) note(shape loadShape) string {
	if m == pingServerCPU {
		return "The client as in the wall-time row. The figure is the server's CPU time (user+system, every " +
			"thread) from the first timed request until the last reply, divided by the requests: the kernel's " +
			"per-thread run time (/proc/PID/task/*/schedstat) read just before and just after. Left out: " +
			"start-up (Python's import of Twisted included), the 1,000 accepts and warm-up round trips, and the " +
			"closes and exit after (bench/README.md gives their size)."
	}
	return fmt.Sprintf("The server runs in its own process (the runner re-executed with -serve, or python3); the "+
		"client is plain Go in the runner: %d connection(s) opened and a quarter as many requests again made, "+
		"untimed, to let the fresh child settle; then a goroutine per connection writes %d bytes and reads the reply, %d times. The figure is "+
		"the client's wall time over all requests divided by their number.", shape.conns, shape.size, shape.n/shape.conns)
}

// pingContender is a Go contender of a ping-pong row: this binary as a
// server of kind.
func pingContender(kind string, m pingMeasure, shape loadShape) func(int) (time.Duration, error) {
	return func(n int) (time.Duration, error) { return pingPong(n, selfServer(kind), m, shape) }
}

// pingPong starts the server child, opens shape.conns connections to it
// and makes n/4 untimed round trips over them, then times n requests spread
// over the connections, closes them and the child's stdin, and waits for
// it.
func pingPong(n int, start serverStart, m pingMeasure, shape loadShape) (_ time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), pingLimit)
	defer cancel()
	child, err := startServer(ctx, start)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, child.stop()) }()

	conns := make([]net.Conn, 0, shape.conns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	deadline, _ := ctx.Deadline()
	for range shape.conns {
		c, err := net.Dial("tcp", child.addr)
		if err != nil {
			return 0, fmt.Errorf("connection %d of %d: %w", len(conns)+1, shape.conns, err)
		}
		conns = append(conns, c)
		if err := c.SetDeadline(deadline); err != nil {
			return 0, err
		}
	}

	// Every goroutine makes its warm-up round trips, reports ready, and
	// waits for go: the CPU snapshot and t0 fall between the two. Each
	// sample starts a fresh child, so the runner's warm-up sample cannot
	// settle it: a quarter of the sample's requests, untimed, let the
	// child's heap and collector settle first (without them a Go server
	// that allocates per read is timed while its heap is still growing).
	errs := make([]error, len(conns))
	var ready, done sync.WaitGroup
	begin := make(chan struct{})
	for i, c := range conns {
		reqs := n / len(conns)
		if i < n%len(conns) {
			reqs++
		}
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			out, in := make([]byte, shape.size), make([]byte, shape.size)
			var err error
			for w := max(reqs/4, 1); err == nil && w > 0; w-- {
				err = roundTrip(c, out, in)
			}
			ready.Done()
			<-begin
			for ; err == nil && reqs > 0; reqs-- {
				err = roundTrip(c, out, in)
			}
			errs[i] = err
		}()
	}
	ready.Wait()
	pid := child.cmd.Process.Pid
	cpu0, cpuErr := threadsCPU(pid)
	t0 := time.Now()
	close(begin)
	done.Wait()
	wall := time.Since(t0)
	cpu1, cpuErr1 := threadsCPU(pid)
	if err := errors.Join(cpuErr, cpuErr1, errors.Join(errs...)); err != nil {
		return 0, err
	}
	if m == pingWall {
		return wall, nil
	}
	return cpuBetween(cpu0, cpu1)
}

func roundTrip(c net.Conn, out, in []byte) error {
	if _, err := c.Write(out); err != nil {
		return err
	}
	_, err := io.ReadFull(c, in)
	return err
}

// serverChild is a running server child.
type serverChild struct {
	cmd    *exec.Cmd
	addr   string
	stdin  io.Closer
	stderr *strings.Builder
	waited bool
	err    error
}

// startServer starts the child and reads the port it prints.
func startServer(ctx context.Context, start serverStart) (*serverChild, error) {
	cmd := start(ctx)
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := &serverChild{cmd: cmd, stdin: stdin, stderr: &stderr}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	port, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil || port <= 0 || port > 65535 {
		return nil, errors.Join(fmt.Errorf("server %s printed %q, not a port: %v", filepath.Base(cmd.Path), line, err), ch.stop())
	}
	ch.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return ch, nil
}

// stop closes the child's stdin and waits for it to exit; it reports a
// failed exit with what the child wrote on stderr. It is idempotent.
func (ch *serverChild) stop() error {
	if ch.waited {
		return ch.err
	}
	ch.waited = true
	ch.stdin.Close()
	if err := ch.cmd.Wait(); err != nil {
		ch.err = fmt.Errorf("server %s: %w: %s", filepath.Base(ch.cmd.Path), err, lastLine(ch.stderr.String()))
	}
	return ch.err
}

// threadsCPU is the CPU time (user and system) each live thread of
// process pid has used so far, by thread id: the kernel's per-thread run
// time in nanoseconds, the first field of /proc/PID/task/TID/schedstat.
func threadsCPU(pid int) (map[string]time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return nil, fmt.Errorf("reading the server's CPU time: no /proc/%d/task/*/schedstat (%v)", pid, err)
	}
	cpu := make(map[string]time.Duration, len(tasks))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if errors.Is(err, os.ErrNotExist) {
			continue // the thread has just exited; cpuBetween notices if it mattered
		}
		if err != nil {
			return nil, fmt.Errorf("reading the server's CPU time: %w", err)
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return nil, fmt.Errorf("reading the server's CPU time: %s is empty", t)
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("reading the server's CPU time from %s: %w", t, err)
		}
		cpu[filepath.Base(filepath.Dir(t))] = time.Duration(ns)
	}
	return cpu, nil
}

// errThreadExited reports a server thread that ended during the timed
// span: its CPU time would be lost, flattering the server.
var errThreadExited = errors.New("a server thread exited while timed")

// cpuBetween is the CPU the process used between two threadsCPU readings.
// Threads started in between count in full.
func cpuBetween(before, after map[string]time.Duration) (time.Duration, error) {
	var d time.Duration
	for tid, t := range after {
		d += t - before[tid]
	}
	for tid := range before {
		if _, ok := after[tid]; !ok {
			return 0, fmt.Errorf("%w (thread %s)", errThreadExited, tid)
		}
	}
	return d, nil
}
