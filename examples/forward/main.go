// Command forward is braid's demo: it starts an echo server, launches a real
// forwarder in front of it as a separate process, and drives a
// conchtest.ForwardingProcess through it, as Conch's forwarding tests do:
// reconnect until the forwarder's port accepts, send a line, collect the
// echo, stop the forwarder, report.
//
// The forwarder is, by default, this very program re-executed as a child
// that runs braid's own port forwarder (protocol.ListenForward), so the
// demo needs nothing installed but Go. -socat and -ssh use the real
// third-party programs instead.
//
//	go run ./examples/forward              # embedded forwarder, Conch's faithful behaviour
//	go run ./examples/forward -hardened    # backoff, deadline, graceful group stop
//	go run ./examples/forward -socat       # socat TCP-LISTEN (apt-get install socat)
//	go run ./examples/forward -ssh         # OpenSSH ssh -N -L through a private sshd
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runForwarderChild(spec))
	}
	useSocat := flag.Bool("socat", false, "forward with socat (apt-get install socat) instead of the embedded forwarder")
	useSSH := flag.Bool("ssh", false, "forward with OpenSSH: ssh -N -L through a throw-away sshd (apt-get install openssh-server openssh-client)")
	hardened := flag.Bool("hardened", false, "use conchtest.Hardened(): backoff retries, deadline, graceful group stop")
	data := flag.String("data", "hello through braid\n", "what to send (a newline makes the echo server close)")
	flag.Parse()
	mode := modeEmbedded
	switch {
	case *useSocat && *useSSH:
		fmt.Fprintln(os.Stderr, "forward: choose one of -socat and -ssh")
		os.Exit(2)
	case *useSocat:
		mode = modeSocat
	case *useSSH:
		mode = modeSSH
	}
	if err := run(mode, *hardened, []byte(*data)); err != nil {
		fmt.Fprintln(os.Stderr, "forward:", err)
		os.Exit(1)
	}
}

// mode is which forwarder the demo launches.
type mode int

const (
	modeEmbedded mode = iota // this program, re-executed as braid's port forwarder
	modeSocat                // socat TCP-LISTEN
	modeSSH                  // ssh -N -L through a throw-away sshd
)

func (m mode) String() string {
	return [...]string{"embedded", "socat", "ssh"}[m]
}

// errNotEchoed is the demo's failure when the forwarder gave back
// something else.
var errNotEchoed = errors.New("the forwarder did not give back what was sent")

// report prints what the run found out.
func (d *demo) report() {
	tl := d.proc.Timeline
	style := "faithful (Conch's ConchTestForwardingProcess)"
	if d.proc.Hardening.Backoff {
		style = "hardened (conchtest.Hardened())"
	}
	fmt.Printf("forwarder:      %s\n", d.forwarder)
	fmt.Printf("manager:        %s\n", style)
	fmt.Printf("came back:      %q\n", d.result)
	fmt.Printf("port ready:     after %v (%d connect attempts)\n", tl.Readiness().Round(time.Microsecond), tl.Attempts)
	if !tl.Disconnected.IsZero() {
		fmt.Printf("round trip:     %v (connected to echo back and closed)\n", tl.Disconnected.Sub(tl.Connected).Round(time.Microsecond))
		fmt.Printf("stop:           %v (forwarder stopped to ProcessEnded)\n", tl.Ended.Sub(tl.Disconnected).Round(time.Microsecond))
	}
	fmt.Printf("process ended:  %s\n", describeEnd(tl, d.proc.Hardening.StopSignal != 0))
	fmt.Printf("total:          %v\n", time.Since(d.start).Round(time.Microsecond))
}
