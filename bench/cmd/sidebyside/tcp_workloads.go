package main

// The tcp group (issues 4 and 15): one-connection echo throughput, 1,000
// connections of ping-pong (tcp_pingpong.go), connection churn, and a port
// forwarder's throughput — braid beside Twisted (bench/twisted/tcp_*.py),
// goroutine-per-connection net code, and socat.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

const tcpChunk = 64 << 10

// goCopyName labels the io.Copy echo server, the echo rows' floor.
const goCopyName = "plain Go io.Copy"

func init() {
	register(Workload{
		Group:     "tcp",
		Name:      "echo: 64 KiB written and echoed back, one connection",
		Unit:      "round trip",
		N:         1000,
		Bytes:     tcpChunk,
		Braid:     func(n int) (time.Duration, error) { return braidEcho(n, tcpTuning{}) },
		PlainGo:   goEchoRW,
		Other:     goEcho,
		OtherName: goCopyName,
		Twisted:   []string{"tcp_echo.py", "-size", strconv.Itoa(tcpChunk)},
		Note: "client and echo server on one reactor (braid, Twisted) or a goroutine each (plain Go); the client " +
			"writes 64 KiB and waits for all of it to come back. braid with its defaults: each DataReceived gets " +
			"memory of its own, writes wait for the next reactor pass (Twisted's behaviour). plain Go: a goroutine " +
			"per connection reading into one reused 64 KiB buffer and writing back what it read, the same work as " +
			"a user-space echo protocol. " + goCopyName + ": io.Copy(c, c), which the kernel may splice(2) without " +
			"the bytes reaching user space: the floor, not the same work.",
	})
	register(Workload{
		Group:     "tcp",
		Name:      "echo: the same, braid with ReuseReadBuffer only",
		Unit:      "round trip",
		N:         1000,
		Bytes:     tcpChunk,
		Braid:     func(n int) (time.Duration, error) { return braidEcho(n, tcpTuning{reuse: true}) },
		PlainGo:   goEchoRW,
		Other:     goEcho,
		OtherName: goCopyName,
		Note: "both braid ends set TCPConnOptions.ReuseReadBuffer (the protocol does not keep read slices); writes as by " +
			"default. The difference from the default row is what fresh memory for every read costs. plain Go and " +
			goCopyName + " as in the first echo row.",
	})
	register(Workload{
		Group:     "tcp",
		Name:      "echo: the same, braid tuned (ReuseReadBuffer, WriteThrough)",
		Unit:      "round trip",
		N:         1000,
		Bytes:     tcpChunk,
		Braid:     func(n int) (time.Duration, error) { return braidEcho(n, tcpTuning{reuse: true, writeThrough: true}) },
		PlainGo:   goEchoRW,
		Other:     goEcho,
		OtherName: goCopyName,
		Note: "both braid ends set TCPConnOptions.ReuseReadBuffer (the protocol does not keep read slices) and " +
			"WriteThrough (write to the kernel at once when nothing is queued): what the plain-Go read/write loop does. " +
			goCopyName + " as in the first echo row.",
	})
	register(Workload{
		Group:   "tcp",
		Name:    "echo: braid defaults vs plain Go that keeps every read",
		Unit:    "round trip",
		N:       1000,
		Bytes:   tcpChunk,
		Braid:   func(n int) (time.Duration, error) { return braidEcho(n, tcpTuning{}) },
		PlainGo: goEchoKeeping,
		Note: "the default row's braid against net.Conn code bound by the same contract as braid's DataReceived " +
			"(DESIGN §2): both ends read each chunk into memory of its own, as Go code holding on to what it " +
			"receives (a port of Python code that keeps its bytes) must. For the planning decision on issue 4.",
	})
	registerPingPong()
	register(Workload{
		Group:   "tcp",
		Name:    "churn: connect, 1 byte each way, close",
		Unit:    "connection",
		N:       500,
		Braid:   func(n int) (time.Duration, error) { return braidChurn(n, tcpTuning{}) },
		PlainGo: goChurn,
		Twisted: []string{"tcp_churn.py"},
		Note: "one connection at a time: the client connects, writes one byte, reads the echo and closes; its " +
			"ConnectionLost (plain Go: Close) starts the next. Server and client in one process; braid defaults; " +
			"plain Go: net.Dial and the io.Copy echo server (a 64 KiB read buffer per connection would cost it " +
			"more than the connection).",
	})
	register(Workload{
		Group:   "tcp",
		Name:    "churn: the same, braid tuned (WriteThrough)",
		Unit:    "connection",
		N:       500,
		Braid:   func(n int) (time.Duration, error) { return braidChurn(n, tcpTuning{reuse: true, writeThrough: true}) },
		PlainGo: goChurn,
		Note:    "both braid ends write through: the one-byte writes skip the epoll round trip.",
	})
	register(Workload{
		Group:     "tcp",
		Name:      "forward: bulk data through a port forwarder",
		Unit:      "64 KiB",
		N:         512,
		Bytes:     tcpChunk,
		Braid:     braidForward,
		PlainGo:   goForwardRW,
		Twisted:   []string{"tcp_forward.py", "-size", strconv.Itoa(tcpChunk)},
		Other:     func(n int) (time.Duration, error) { return socatForward(n, "-b65536") },
		OtherName: "socat -b65536",
		Note: "a Go client writes 32 MiB into the forwarder, which relays it to a Go sink; time from connect until the " +
			"sink has every byte. braid: ListenForward on its own reactor goroutine (it reuses its read buffer and " +
			"writes through); Twisted: portforward.ProxyFactory (its client and sink are Python threads on blocking " +
			"sockets); plain Go: accept, dial, and a goroutine per direction that reads into one reused 64 KiB " +
			"buffer and writes what it read — the ratio base; socat: `socat -b65536 TCP-LISTEN:…,fork TCP:…` in " +
			"its own process, reading 64 KiB at a time as braid does.",
	})
	register(Workload{
		Group:   "tcp",
		Name:    "forward: the same, plain Go with io.Copy (the floor)",
		Unit:    "64 KiB",
		N:       512,
		Bytes:   tcpChunk,
		Braid:   braidForward,
		PlainGo: goForward,
		Note: "as above, the plain-Go forwarder using io.Copy, which splice(2)s between the sockets on Linux: the " +
			"bytes never enter the process, which no forwarder that hands them to a protocol can match.",
	})
	register(Workload{
		Group:     "tcp",
		Name:      "forward: the same, socat with its default 8 KiB buffer",
		Unit:      "64 KiB",
		N:         512,
		Bytes:     tcpChunk,
		Braid:     braidForward,
		Other:     func(n int) (time.Duration, error) { return socatForward(n) },
		OtherName: "socat",
		Note:      "as above; socat without -b, as one usually runs it.",
	})
}

// tcpTuning is the per-connection tuning both braid ends get, through
// ListenTCPOptions.Conn and ConnectTCPOptions.Conn; the zero value keeps the
// defaults.
type tcpTuning struct{ reuse, writeThrough bool }

func (tu tcpTuning) conn() protocol.TCPConnOptions {
	return protocol.TCPConnOptions{ReuseReadBuffer: tu.reuse, WriteThrough: tu.writeThrough}
}

// benchEchoServer writes back what it receives.
type benchEchoServer struct {
	protocol.BaseProtocol
}

func (e *benchEchoServer) DataReceived(b []byte) { e.Transport.Write(b) }

// benchEchoClient writes a chunk, waits for it to come back, n times.
type benchEchoClient struct {
	protocol.BaseProtocol
	chunk []byte
	n     int
	got   int
	t0    time.Time
	done  func(time.Duration)
}

func (c *benchEchoClient) ConnectionMade() {
	c.t0 = time.Now()
	c.Transport.Write(c.chunk)
}

func (c *benchEchoClient) DataReceived(b []byte) {
	c.got += len(b)
	if c.got < len(c.chunk) {
		return
	}
	c.got -= len(c.chunk)
	if c.n--; c.n > 0 {
		c.Transport.Write(c.chunk)
		return
	}
	el := time.Since(c.t0)
	c.Transport.LoseConnection()
	c.done(el)
}

// benchFailFactory reports a failed connect.
type benchFailFactory struct {
	protocol.BaseClientFactory
	failed *error
}

func (f *benchFailFactory) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	*f.failed = reason
}

// braidEcho mirrors tcp_echo.py: echo server and client on one reactor.
func braidEcho(n int, tuning tcpTuning) (time.Duration, error) {
	return braidEchoWith(n, tcpChunk,
		func(r *braid.Reactor, f protocol.Factory) (protocol.ListeningPort, error) {
			return r.ListenTCP(0, f, protocol.ListenTCPOptions{Interface: "127.0.0.1", Conn: tuning.conn()})
		},
		func(r *braid.Reactor, port int, cf protocol.ClientFactory) {
			r.ConnectTCP("127.0.0.1", port, cf, protocol.ConnectTCPOptions{Conn: tuning.conn()})
		})
}

// braidEchoWith runs the echo server and client on one reactor, the
// server listening with listen and the client connecting with connect;
// the client writes chunk bytes and waits for them, n times.
func braidEchoWith(n, chunk int, listen func(*braid.Reactor, protocol.Factory) (protocol.ListeningPort, error),
	connect func(r *braid.Reactor, port int, cf protocol.ClientFactory)) (time.Duration, error) {
	var failed error
	el, err := runOnReactor(func(r *braid.Reactor, stop func(time.Duration)) {
		port, err := listen(r, protocol.FactoryFor(func() protocol.Protocol { return &benchEchoServer{} }))
		if err != nil {
			failed = err
			stop(0)
			return
		}
		cf := &benchFailFactory{failed: &failed}
		cf.Protocol = func() protocol.Protocol {
			return &benchEchoClient{chunk: make([]byte, chunk), n: n, done: func(d time.Duration) {
				port.StopListening()
				stop(d)
			}}
		}
		connect(r, port.GetHost().(*net.TCPAddr).Port, cf)
	})
	return el, errors.Join(err, failed)
}

// goEchoServer serves every connection with io.Copy on its own goroutine.
// On Linux io.Copy between two TCP sockets may splice(2), so the bytes need
// not reach user space: the floor for the echo rows. It is also the churn
// rows' server: it holds no buffer of its own, where the read/write loop's
// 64 KiB per connection would dominate a one-byte connection's cost.
func goEchoServer() (net.Listener, error) {
	return goServe(func(c net.Conn) { _, _ = io.Copy(c, c) })
}

// goServe listens on a loopback port and runs serve on its own goroutine
// for every connection, closing the connection when serve returns.
func goServe(serve func(net.Conn)) (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	serveOn(l, serve)
	return l, nil
}

// serveOn accepts on l until it is closed and runs serve on its own
// goroutine for every connection, closing the connection when serve
// returns.
func serveOn(l net.Listener, serve func(net.Conn)) {
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { serve(c); c.Close() }()
		}
	}()
}

// echoReadWrite is the echo a Go programmer writes when the bytes pass
// through user space: one 64 KiB buffer per connection, reused for every
// read, and each read written back before the next.
func echoReadWrite(c net.Conn) {
	buf := make([]byte, tcpChunk)
	for {
		k, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:k]); err != nil {
			return
		}
	}
}

// goEcho times the io.Copy server (the floor).
func goEcho(n int) (time.Duration, error) {
	l, err := goEchoServer()
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return echoClient(n, l.Addr().String())
}

// goEchoRW times the read/write-loop server, the echo rows' ratio base.
func goEchoRW(n int) (time.Duration, error) {
	l, err := goServe(echoReadWrite)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return echoClient(n, l.Addr().String())
}

// goEchoKeeping is plain Go under braid's read contract: every read, on
// both ends, lands in a fresh 64 KiB buffer that the code could keep.
func goEchoKeeping(n int) (time.Duration, error) {
	l, err := goServe(func(c net.Conn) {
		for {
			buf := make([]byte, tcpChunk)
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			if _, err := c.Write(buf[:k]); err != nil {
				return
			}
		}
	})
	if err != nil {
		return 0, err
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	chunk := make([]byte, tcpChunk)
	t0 := time.Now()
	for range n {
		if _, err := c.Write(chunk); err != nil {
			return 0, err
		}
		for got := 0; got < tcpChunk; {
			buf := make([]byte, tcpChunk-got)
			k, err := c.Read(buf)
			if err != nil {
				return 0, err
			}
			got += k
		}
	}
	return time.Since(t0), nil
}

// echoClient is the client every echo server is timed with: one net.Conn,
// 64 KiB written, then read back in full, n times.
func echoClient(n int, addr string) (time.Duration, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	chunk, buf := make([]byte, tcpChunk), make([]byte, tcpChunk)
	t0 := time.Now()
	for range n {
		if _, err := c.Write(chunk); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return 0, err
		}
	}
	return time.Since(t0), nil
}

// benchChurnClient writes a byte, closes on the echo, and starts the next
// connection from ConnectionLost.
type benchChurnClient struct {
	protocol.BaseProtocol
	next func()
}

func (c *benchChurnClient) ConnectionMade()                     { c.Transport.Write([]byte{'x'}) }
func (c *benchChurnClient) DataReceived([]byte)                 { c.Transport.LoseConnection() }
func (c *benchChurnClient) ConnectionLost(why *reactor.Failure) { c.next() }

// braidChurn mirrors tcp_churn.py.
func braidChurn(n int, tuning tcpTuning) (time.Duration, error) {
	var failed error
	el, err := runOnReactor(func(r *braid.Reactor, stop func(time.Duration)) {
		port, err := r.ListenTCP(0, protocol.FactoryFor(func() protocol.Protocol { return &benchEchoServer{} }),
			protocol.ListenTCPOptions{Interface: "127.0.0.1", Backlog: 128, Conn: tuning.conn()})
		if err != nil {
			failed = err
			stop(0)
			return
		}
		portNo := port.GetHost().(*net.TCPAddr).Port
		cf := &benchFailFactory{failed: &failed}
		left := n
		t0 := time.Now()
		next := func() {
			if left == 0 || failed != nil {
				el := time.Since(t0)
				port.StopListening()
				stop(el)
				return
			}
			left--
			r.ConnectTCP("127.0.0.1", portNo, cf, protocol.ConnectTCPOptions{Conn: tuning.conn()})
		}
		cf.Protocol = func() protocol.Protocol { return &benchChurnClient{next: next} }
		next()
	})
	return el, errors.Join(err, failed)
}

func goChurn(n int) (time.Duration, error) {
	l, err := goEchoServer()
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr := l.Addr().String()
	one := make([]byte, 1)
	t0 := time.Now()
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, err
		}
		if _, err := c.Write([]byte{'x'}); err != nil {
			c.Close()
			return 0, err
		}
		if _, err := io.ReadFull(c, one); err != nil {
			c.Close()
			return 0, err
		}
		c.Close()
	}
	return time.Since(t0), nil
}

// forwardSample sends n chunks through the forwarder at fwdAddr to the sink
// listening on sink and returns the time from connect until the sink has
// every byte.
func forwardSample(n int, fwdAddr string, sink net.Listener) (time.Duration, error) {
	total := int64(n) * tcpChunk
	got := make(chan error, 1)
	go func() {
		for {
			c, err := sink.Accept()
			if err != nil {
				got <- err
				return
			}
			k, err := drain(c)
			c.Close()
			switch {
			case k == 0 && err == nil:
				continue // a probe connection (socat start-up), not the sample
			case err == nil && k != total:
				err = fmt.Errorf("sink got %d of %d bytes", k, total)
			}
			got <- err
			return
		}
	}()
	chunk := make([]byte, tcpChunk)
	t0 := time.Now()
	c, err := net.Dial("tcp", fwdAddr)
	if err != nil {
		sink.Close()
		<-got
		return 0, err
	}
	for i := 0; i < n && err == nil; i++ {
		_, err = c.Write(chunk)
	}
	if err == nil {
		err = c.(*net.TCPConn).CloseWrite() // the sink reads EOF through the forwarder
	}
	if err != nil {
		c.Close()
		sink.Close()
		<-got
		return 0, err
	}
	err = <-got
	el := time.Since(t0)
	c.Close()
	return el, err
}

// drain reads c to EOF with a 64 KiB buffer and counts the bytes.
func drain(c net.Conn) (int64, error) {
	buf := make([]byte, tcpChunk)
	var k int64
	for {
		m, err := c.Read(buf)
		k += int64(m)
		if err == io.EOF {
			return k, nil
		}
		if err != nil {
			return k, err
		}
	}
}

func braidForward(n int) (time.Duration, error) {
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer sink.Close()
	r, err := braid.New()
	if err != nil {
		return 0, err
	}
	fwd, err := protocol.ListenForward(r, 0, "127.0.0.1", sink.Addr().(*net.TCPAddr).Port, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		r.Close()
		return 0, err
	}
	ran := make(chan error, 1)
	go func() { ran <- r.Run() }()
	el, err := forwardSample(n, fwd.GetHost().String(), sink)
	r.CallFromThread(func() { _ = r.Stop() })
	return el, errors.Join(err, <-ran)
}

// goForwardServer is the forwarder a Go programmer writes: a goroutine per
// direction, io.Copy, and CloseWrite to pass the end of the stream on.
func goForwardServer(target string) (net.Listener, error) {
	return forwardServer(target, func(dst, src net.Conn) { _, _ = io.Copy(dst, src) })
}

// forwardServer accepts connections, dials target for each, and relays
// each direction with relay on a goroutine of its own, passing the end of
// the stream on with CloseWrite.
func forwardServer(target string, relay func(dst, src net.Conn)) (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				out, err := net.Dial("tcp", target)
				if err != nil {
					in.Close()
					return
				}
				pipe := func(dst, src net.Conn, done chan<- struct{}) {
					relay(dst, src)
					_ = dst.(*net.TCPConn).CloseWrite()
					done <- struct{}{}
				}
				done := make(chan struct{}, 2)
				go pipe(out, in, done)
				go pipe(in, out, done)
				<-done
				<-done
				in.Close()
				out.Close()
			}()
		}
	}()
	return l, nil
}

// goForwardRWServer is goForwardServer with a read/write loop in place
// of io.Copy: one reused 64 KiB buffer per direction.
func goForwardRWServer(target string) (net.Listener, error) {
	return forwardServer(target, func(dst, src net.Conn) {
		buf := make([]byte, tcpChunk)
		for {
			k, err := src.Read(buf)
			if k > 0 {
				if _, werr := dst.Write(buf[:k]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
}

func goForwardRW(n int) (time.Duration, error) { return goForwardWith(n, goForwardRWServer) }

func goForward(n int) (time.Duration, error) { return goForwardWith(n, goForwardServer) }

// goForwardWith times a plain-Go forwarder made by serve in front of a
// fresh sink.
func goForwardWith(n int, serve func(target string) (net.Listener, error)) (time.Duration, error) {
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer sink.Close()
	fwd, err := serve(sink.Addr().String())
	if err != nil {
		return 0, err
	}
	defer fwd.Close()
	return forwardSample(n, fwd.Addr().String(), sink)
}

// socatForward runs `socat [opts] TCP-LISTEN:<port>,bind=127.0.0.1,reuseaddr,fork
// TCP:127.0.0.1:<sink>` for the sample; fork so that the probe made while
// waiting for it to listen does not use up its one connection.
func socatForward(n int, opts ...string) (time.Duration, error) {
	path, err := exec.LookPath("socat")
	if err != nil {
		return 0, fmt.Errorf("socat not installed (apt-get install socat): %w", err)
	}
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer sink.Close()
	port, err := freeTCPPort()
	if err != nil {
		return 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := append(append([]string(nil), opts...), "TCP-LISTEN:"+strconv.Itoa(port)+",bind=127.0.0.1,reuseaddr,fork", "TCP:"+sink.Addr().String())
	cmd := exec.Command(path, args...)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("socat did not listen on %s: %w", addr, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return forwardSample(n, addr, sink)
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
