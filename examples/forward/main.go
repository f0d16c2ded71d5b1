// Command forward is braid's demo: it starts an echo server, launches a real
// third-party forwarder in front of it — socat, or with -ssh OpenSSH's
// `ssh -N -L` through a throw-away sshd — and drives a
// conchtest.ForwardingProcess through it, as Conch's forwarding tests do:
// reconnect until the forwarder's port accepts, send a line, collect the
// echo, stop the forwarder, report.
//
//	go run ./examples/forward              # socat, Conch's faithful behaviour
//	go run ./examples/forward -hardened    # backoff, deadline, graceful group stop
//	go run ./examples/forward -ssh         # OpenSSH ssh -N -L through a private sshd
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

func main() {
	useSSH := flag.Bool("ssh", false, "forward with OpenSSH (ssh -N -L through a throw-away sshd) instead of socat")
	hardened := flag.Bool("hardened", false, "use conchtest.Hardened(): backoff retries, deadline, graceful group stop")
	data := flag.String("data", "hello through braid\n", "what to send (a newline makes the echo server close)")
	flag.Parse()
	if err := run(*useSSH, *hardened, []byte(*data)); err != nil {
		fmt.Fprintln(os.Stderr, "forward:", err)
		os.Exit(1)
	}
}

// demo holds what the run found out, for the report.
type demo struct {
	start     time.Time
	forwarder string
	proc      *conchtest.ForwardingProcess
	result    any
	sshd      *conchtest.SSHServer
}

func run(useSSH, hardened bool, data []byte) error {
	r, err := braid.New()
	if err != nil {
		return err
	}
	d := &demo{start: time.Now()}
	var failure error
	r.CallWhenRunning(func() {
		d.begin(r, useSSH, hardened, data).AddBoth(func(v any) (any, error) {
			if f, ok := v.(*reactor.Failure); ok {
				failure = f
			}
			return nil, r.Stop()
		})
	})
	// A safety net: the faithful helper retries forever.
	r.CallLater(60*time.Second, func() {
		failure = errors.New("gave up after 60 s")
		_ = r.Stop()
	})
	if err := r.Run(); err != nil {
		return err
	}
	if failure != nil {
		return failure
	}
	d.report()
	if got, _ := d.result.([]byte); !bytes.Equal(got, data) {
		return fmt.Errorf("the forwarder gave back %q, want %q", d.result, data)
	}
	return nil
}

// begin starts the echo server and the forwarder; the Deferred fires when
// the forwarder has ended and everything is stopped.
func (d *demo) begin(r *braid.Reactor, useSSH, hardened bool, data []byte) *reactor.Deferred {
	echo, err := conchtest.ListenEcho(r, "127.0.0.1")
	if err != nil {
		return reactor.Fail(err)
	}
	port, err := conchtest.FreePort()
	if err != nil {
		return reactor.Fail(err)
	}
	d.proc = conchtest.NewForwardingProcess(r, port, data)
	if hardened {
		d.proc.Hardening = conchtest.Hardened()
	}
	echoPort := conchtest.PortNumber(echo)
	var forwarded *reactor.Deferred
	if useSSH {
		forwarded = d.viaSSH(r, port, echoPort)
	} else {
		forwarded = d.viaSocat(r, port, echoPort)
	}
	return forwarded.AddBoth(func(v any) (any, error) {
		d.result = v
		var stops []*reactor.Deferred
		stops = append(stops, echo.StopListening())
		if d.sshd != nil {
			stops = append(stops, d.sshd.Stop())
		}
		gathered := reactor.GatherResults(stops, reactor.GatherOptions{ConsumeErrors: true})
		return gathered.AddCallback(func(any) (any, error) { return v, nil }), nil
	})
}

func (d *demo) viaSocat(r *braid.Reactor, port, echoPort int) *reactor.Deferred {
	socat, err := conchtest.FindProgram("socat", "socat")
	if err != nil {
		return reactor.Fail(err)
	}
	argv := []string{"socat", "TCP-LISTEN:" + strconv.Itoa(port) + ",bind=127.0.0.1,reuseaddr",
		"TCP:127.0.0.1:" + strconv.Itoa(echoPort)}
	d.forwarder = fmt.Sprint(argv)
	opts := protocol.SpawnOptions{NewProcessGroup: d.proc.Hardening.StopGroup}
	if _, err := r.SpawnProcess(d.proc, socat, argv, opts); err != nil {
		return reactor.Fail(err)
	}
	return d.proc.Deferred
}

func (d *demo) viaSSH(r *braid.Reactor, port, echoPort int) *reactor.Deferred {
	return conchtest.StartSSHServer(r, conchtest.SSHServerOptions{}).AddCallback(func(v any) (any, error) {
		d.sshd = v.(*conchtest.SSHServer)
		args := fmt.Sprintf("-N -L%d:127.0.0.1:%d", port, echoPort)
		d.forwarder = fmt.Sprint(d.sshd.SSHArgv("", args))
		return d.sshd.Execute("", d.proc, args), nil
	})
}

func (d *demo) report() {
	tl := d.proc.Timeline
	mode := "faithful (Conch's ConchTestForwardingProcess)"
	if d.proc.Hardening.Backoff {
		mode = "hardened (conchtest.Hardened())"
	}
	fmt.Printf("forwarder:      %s\n", d.forwarder)
	fmt.Printf("mode:           %s\n", mode)
	fmt.Printf("came back:      %q\n", d.result)
	fmt.Printf("port ready:     after %v (%d connect attempts)\n", tl.Readiness().Round(time.Microsecond), tl.Attempts)
	if !tl.Disconnected.IsZero() {
		fmt.Printf("round trip:     %v (connected to echo back and closed)\n", tl.Disconnected.Sub(tl.Connected).Round(time.Microsecond))
		fmt.Printf("stop:           %v (forwarder stopped to ProcessEnded)\n", tl.Ended.Sub(tl.Disconnected).Round(time.Microsecond))
	}
	fmt.Printf("process ended:  %v\n", tl.Reason)
	fmt.Printf("total:          %v\n", time.Since(d.start).Round(time.Microsecond))
}
