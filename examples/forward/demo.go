package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// demo holds what the run found out, for the report.
type demo struct {
	start     time.Time
	forwarder string
	proc      *conchtest.ForwardingProcess
	result    any
	sshd      *conchtest.SSHServer
}

func run(m mode, hardened bool, data []byte) error {
	r, err := braid.New()
	if err != nil {
		return err
	}
	d := &demo{start: time.Now()}
	var failure error
	r.CallWhenRunning(func() {
		d.begin(r, m, hardened, data).AddBoth(func(v any) (any, error) {
			if f, ok := v.(*reactor.Failure); ok {
				failure = f
			}
			return nil, r.Stop()
		})
	})
	// A safety net: the faithful helper retries forever.
	r.CallLater(60*time.Second, func() {
		failure = fmt.Errorf("gave up after 60 s")
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
		return fmt.Errorf("%w: got %q, want %q", errNotEchoed, d.result, data)
	}
	return nil
}

// begin starts the echo server and the forwarder; the Deferred fires when
// the forwarder has ended and everything is stopped.
func (d *demo) begin(r *braid.Reactor, m mode, hardened bool, data []byte) *reactor.Deferred {
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
	switch m {
	case modeSSH:
		forwarded = d.viaSSH(r, port, echoPort)
	case modeSocat:
		forwarded = d.viaSocat(r, port, echoPort)
	default:
		forwarded = d.viaEmbedded(r, port, echoPort)
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

// spawnOptions gives the forwarder the process group Hardening.StopGroup
// stops.
func (d *demo) spawnOptions() protocol.SpawnOptions {
	return protocol.SpawnOptions{NewProcessGroup: d.proc.Hardening.StopGroup}
}

// viaEmbedded re-executes this program as the forwarder: a separate process
// running braid's own port forwarder (see child.go).
func (d *demo) viaEmbedded(r *braid.Reactor, port, echoPort int) *reactor.Deferred {
	self, err := os.Executable()
	if err != nil {
		return reactor.Fail(fmt.Errorf("cannot re-execute this program as the forwarder: %w", err))
	}
	spec := strconv.Itoa(port) + ":" + strconv.Itoa(echoPort)
	d.forwarder = fmt.Sprintf("embedded: this program re-executed as a child running braid's port forwarder (127.0.0.1:%d -> 127.0.0.1:%d)", port, echoPort)
	opts := d.spawnOptions()
	opts.Env = []string{childEnv + "=" + spec}
	if _, err := r.SpawnProcess(d.proc, self, []string{"forward-child"}, opts); err != nil {
		return reactor.Fail(err)
	}
	return d.proc.Deferred
}

func (d *demo) viaSocat(r *braid.Reactor, port, echoPort int) *reactor.Deferred {
	socat, err := conchtest.FindProgram("socat", "socat")
	if err != nil {
		return reactor.Fail(err)
	}
	argv := []string{"socat", "TCP-LISTEN:" + strconv.Itoa(port) + ",bind=127.0.0.1,reuseaddr",
		"TCP:127.0.0.1:" + strconv.Itoa(echoPort)}
	d.forwarder = fmt.Sprint(argv)
	if _, err := r.SpawnProcess(d.proc, socat, argv, d.spawnOptions()); err != nil {
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
