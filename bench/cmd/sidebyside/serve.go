package main

// The server child of the ping-pong and server-apart echo rows: the
// runner re-executes itself as `sidebyside -serve KIND` so that the
// server's CPU time is a process's own, read from its threads' run times
// (tcp_pingpong.go).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
)

// serveFlag is the hidden first argument that turns the runner into a
// server child. It is not in -help: only the runner passes it.
const serveFlag = "-serve"

// Server kinds the child runs, named after what they serve with.
const (
	serveBraid      = "braid"       // braid.New + ListenTCP, default connections
	serveBraidTuned = "braid-tuned" // the same with ReuseReadBuffer and WriteThrough
	serveGoRW       = "go-rw"       // goroutine per connection, one reused buffer, Read then Write
)

// serverStart makes the command that starts a server child. The child
// listens on a loopback port, prints the port number on a line of stdout,
// serves until its stdin closes and then exits 0. Cancelling ctx kills it.
type serverStart func(ctx context.Context) *exec.Cmd

// selfServer is the serverStart that runs this binary as a server of kind.
// Under go test the binary is the test binary, whose TestMain hands
// -serve to childMain as main does.
func selfServer(kind string) serverStart {
	return func(ctx context.Context) *exec.Cmd {
		exe, err := os.Executable()
		if err != nil {
			exe = os.Args[0]
		}
		return exec.CommandContext(ctx, exe, serveFlag, kind)
	}
}

// childMain runs the server child when args (os.Args[1:]) ask for one and
// returns its exit code; ok is false when they do not.
func childMain(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 || args[0] != serveFlag {
		return 0, false
	}
	if len(args) != 2 {
		fmt.Fprintf(stderr, "sidebyside %s: want one server kind (%s, %s or %s)\n", serveFlag, serveBraid, serveBraidTuned, serveGoRW)
		return 2, true
	}
	if err := serve(args[1], stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "sidebyside %s %s: %v\n", serveFlag, args[1], err)
		return 1, true
	}
	return 0, true
}

// errUnknownServer reports a -serve kind the child does not know.
var errUnknownServer = errors.New("unknown server kind")

// serve runs one server of kind until stdin reaches EOF (or fails).
func serve(kind string, stdin io.Reader, stdout io.Writer) error {
	switch kind {
	case serveBraid:
		return serveWithBraid(tcpTuning{}, stdin, stdout)
	case serveBraidTuned:
		return serveWithBraid(tcpTuning{reuse: true, writeThrough: true}, stdin, stdout)
	case serveGoRW:
		l, err := goServe(echoReadWrite)
		if err != nil {
			return err
		}
		defer l.Close()
		if _, err := fmt.Fprintln(stdout, l.Addr().(*net.TCPAddr).Port); err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, stdin)
		return err
	}
	return fmt.Errorf("%w %q (want %s, %s or %s)", errUnknownServer, kind, serveBraid, serveBraidTuned, serveGoRW)
}

// serveWithBraid runs the echo protocol on braid's reactor, in this
// goroutine, until stdin closes.
func serveWithBraid(tuning tcpTuning, stdin io.Reader, stdout io.Writer) error {
	r, err := braid.New()
	if err != nil {
		return err
	}
	port, err := r.ListenTCP(0, protocol.FactoryFor(func() protocol.Protocol { return &benchEchoServer{} }),
		protocol.ListenTCPOptions{Interface: "127.0.0.1", Backlog: pingConns, Conn: tuning.conn()})
	if err != nil {
		return errors.Join(err, r.Close())
	}
	if _, err := fmt.Fprintln(stdout, port.GetHost().(*net.TCPAddr).Port); err != nil {
		return errors.Join(err, r.Close())
	}
	eof := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, stdin)
		eof <- err
		r.CallFromThread(func() { _ = r.Stop() })
	}()
	return errors.Join(r.Run(), <-eof)
}
