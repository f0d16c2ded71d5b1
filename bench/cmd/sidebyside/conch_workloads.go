package main

// The conch group: the forwarding manager end to end (issue 6). A shell
// sleeps, then execs socat forwarding a free port to an echo server on the
// reactor; a ForwardingProcess sends "test\n" through it and fires with the
// echo. braid runs it faithful (Conch's fixed 0.1 s retry) and hardened
// (conchtest.Hardened()); Twisted runs its own ConchTestForwardingProcess
// (bench/twisted/conch_forward.py).

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

func init() {
	for _, delay := range []time.Duration{0, 50 * time.Millisecond, 250 * time.Millisecond} {
		ms := fmt.Sprint(delay.Milliseconds())
		register(Workload{
			Group:     "conch",
			Name:      "forward via socat, server up after " + ms + " ms: spawn to Deferred",
			Unit:      "run",
			N:         3,
			Braid:     func(n int) (time.Duration, error) { return forwardRuns(n, delay, false, false) },
			Other:     func(n int) (time.Duration, error) { return forwardRuns(n, delay, true, false) },
			OtherName: "braid hardened",
			Twisted:   []string{"conch_forward.py", "-delay-ms", ms, "-metric", "e2e"},
			Note: "end to end: spawn of `sh -c 'sleep D; exec socat ...'` to the Deferred firing with the echo. " +
				"braid column: faithful ForwardingProcess (0.1 s retry, KILL on the next turn, as Conch); " +
				"braid hardened: conchtest.Hardened() (retry from 1 ms growing with the wait, SIGTERM + group stop).",
		})
		register(Workload{
			Group:     "conch",
			Name:      "forward via socat, server up after " + ms + " ms: readiness lag",
			Unit:      "run",
			N:         3,
			Braid:     func(n int) (time.Duration, error) { return forwardRuns(n, delay, false, true) },
			Other:     func(n int) (time.Duration, error) { return forwardRuns(n, delay, true, true) },
			OtherName: "braid hardened",
			Twisted:   []string{"conch_forward.py", "-delay-ms", ms, "-metric", "lag"},
			Note: "from socat's own `listening on` log line (socat -d -d -lu, microsecond timestamps) " +
				"to the forwarding connection's ConnectionMade: how late the manager notices the port opened.",
		})
	}
}

// forwardRuns does n forwarding runs one after another and returns the sum
// of their end-to-end times, or of their readiness lags when lag is set.
func forwardRuns(n int, delay time.Duration, hardened, lag bool) (time.Duration, error) {
	socat, err := conchtest.FindProgram("socat", "socat")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	var failed error
	_, err = runOnReactor(func(r *braid.Reactor, stop func(time.Duration)) {
		echo, err := conchtest.ListenEcho(r, "127.0.0.1")
		if err != nil {
			failed = err
			stop(0)
			return
		}
		left := n
		var next func()
		finish := func(err error) {
			failed = err
			echo.StopListening().AddBoth(func(any) (any, error) { stop(total); return nil, nil })
		}
		next = func() {
			d, proc, err := startForward(r, socat, conchtest.PortNumber(echo), delay, hardened)
			if err != nil {
				finish(err)
				return
			}
			t0 := time.Now()
			d.AddBoth(func(v any) (any, error) {
				if b, ok := v.([]byte); !ok || string(b) != "test\n" {
					finish(fmt.Errorf("forwarding returned %v", v))
					return nil, nil
				}
				if lag {
					l, err := readinessLag(proc)
					if err != nil {
						finish(err)
						return nil, nil
					}
					total += l
				} else {
					total += time.Since(t0)
				}
				if left--; left == 0 {
					finish(nil)
				} else {
					r.CallLater(0, next)
				}
				return nil, nil
			})
		}
		next()
	})
	if err == nil {
		err = failed
	}
	return total, err
}

func startForward(r *braid.Reactor, socat string, echoPort int, delay time.Duration, hardened bool) (*reactor.Deferred, *conchtest.ForwardingProcess, error) {
	port, err := conchtest.FreePort()
	if err != nil {
		return nil, nil, err
	}
	proc := conchtest.NewForwardingProcess(r, port, []byte("test\n"))
	if hardened {
		proc.Hardening = conchtest.Hardened()
	} else {
		proc.Hardening = conchtest.Hardening{KeepOutput: true} // keeps stderr only; otherwise Conch's behaviour
	}
	script := fmt.Sprintf("sleep %.3f; exec %s -d -d -lu TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr TCP:127.0.0.1:%d",
		delay.Seconds(), socat, port, echoPort)
	// Hardening.StopGroup signals the child's own process group: give it one,
	// as ForwardingProcess.Spawn used to.
	opts := protocol.SpawnOptions{NewProcessGroup: proc.Hardening.StopGroup}
	d := proc.Deferred // taken before the spawn, as Spawn did: the process clears the field when it fires it
	if _, err := r.SpawnProcess(proc, "/bin/sh", []string{"sh", "-c", script}, opts); err != nil {
		return nil, proc, err
	}
	return d, proc, nil
}

// readinessLag is the time from socat's "listening on" log line to the
// forwarding port's connection. socat writes that line just after listen(),
// so a connect that lands in the backlog before socat gets to write it (a
// loaded machine, the hardened 1 ms retry) shows a negative difference: the
// manager noticed the port at once. Such lags count as the log's resolution,
// 1 µs, so they stay in the sample instead of failing it.
func readinessLag(proc *conchtest.ForwardingProcess) (time.Duration, error) {
	sc := bufio.NewScanner(bytes.NewReader(proc.Stderr.Bytes()))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "listening on") {
			continue
		}
		f := strings.Fields(line)
		at, err := time.ParseInLocation("2006/01/02 15:04:05.000000", f[0]+" "+f[1], time.Local)
		if err != nil {
			return 0, fmt.Errorf("socat log %q: %w", line, err)
		}
		return max(proc.Timeline.Connected.Sub(at), time.Microsecond), nil
	}
	return 0, fmt.Errorf("socat did not log 'listening on': %q", proc.Stderr.String())
}
