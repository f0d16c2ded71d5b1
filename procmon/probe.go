package procmon

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/braid-go/braid/internal/listener"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// probe is one run's readiness check: connect to the port until it
// accepts, retrying refused connects with Readiness's backoff.
//
// It is not conchtest.ForwardingProcess, though it waits the same way: that
// helper is the ProcessProtocol of its process, sends data once connected,
// and stops the process when the exchange ends, where a monitored server
// must run on under the monitor's LoggingProtocol. So the probe is built on
// protocol.ClientCreator, as the helper's connects are, and reuses its
// backoff rule (internal/backoff) and, with VerifyListener, its listener
// ownership check (internal/listener).
type probe struct {
	m     *ProcessMonitor
	p     *LoggingProtocol
	check Readiness
	tcp   protocol.ClientCreatorReactor

	started    float64 // the spawn, in the reactor's seconds
	attempts   int
	retry      *reactor.DelayedCall // the next attempt
	deadline   *reactor.DelayedCall // Readiness.Deadline
	connecting *reactor.Deferred    // the attempt in flight
	verifying  *probeConn           // the accepted connection VerifyListener checks
	stopped    bool
}

func newProbe(m *ProcessMonitor, p *LoggingProtocol, check Readiness) *probe {
	// AddProcess has checked that the reactor does TCP.
	tcp, _ := m.r.(protocol.ClientCreatorReactor)
	return &probe{m: m, p: p, check: check, tcp: tcp, started: m.timeStarted[p.Name]}
}

// start makes the first attempt, right after the spawn (the server is
// unlikely to listen yet: a refusal costs little).
func (pr *probe) start() {
	if pr.check.Deadline > 0 {
		pr.deadline = pr.m.r.CallLater(pr.check.Deadline, pr.deadlinePassed)
	}
	pr.attempt()
}

func (pr *probe) attempt() {
	pr.retry = nil
	pr.attempts++
	keep := pr.check.VerifyListener
	cc := protocol.NewClientCreator(pr.tcp, func() protocol.Protocol { return &probeConn{keepOpen: keep} })
	d := cc.ConnectTCP(pr.check.host(), pr.check.Port, protocol.ConnectTCPOptions{})
	pr.connecting = d
	d.AddCallbacks(func(conn any) (any, error) {
		pr.connecting = nil
		c := conn.(*probeConn)
		if pr.check.VerifyListener {
			pr.verify(c, pr.m.r.Seconds())
			return nil, nil
		}
		pr.accepted()
		return nil, nil
	}, func(f *reactor.Failure) (any, error) {
		pr.connecting = nil
		pr.failed(f)
		return nil, nil
	})
}

func (pr *probe) accepted() {
	if pr.stopped {
		return
	}
	pr.stop()
	pr.m.becameReady(pr.p)
}

// failed retries a refused connect; any other failure ends the check.
func (pr *probe) failed(f *reactor.Failure) {
	if pr.stopped {
		return // cancelled by stop
	}
	if errors.Is(f, syscall.ECONNREFUSED) {
		waited := time.Duration((pr.m.r.Seconds() - pr.started) * float64(time.Second))
		pr.retry = pr.m.r.CallLater(pr.check.nextRetry(waited), pr.attempt)
		return
	}
	pr.stop()
	pr.m.notReady(pr.p, pr.notReadyError(f))
}

// deadlinePassed gives up, and stops the process, taken to be hung; the
// monitor restarts it as after any death.
func (pr *probe) deadlinePassed() {
	pr.deadline = nil
	if pr.stopped {
		return
	}
	pr.stop()
	err := pr.notReadyError(ErrReadyDeadline)
	err.Deadline = pr.check.Deadline
	pr.p.notReady = err // before the stop, which a test double may end at once
	if pr.m.protocols[pr.p.Name] == pr.p && !pr.p.done {
		if serr := pr.m.StopProcess(pr.p.Name); serr != nil {
			pr.m.r.LogError(reactor.NewFailure(serr), fmt.Sprintf("procmon: stopping process %q after its readiness deadline", pr.p.Name))
		}
	}
	pr.m.notReady(pr.p, err)
}

func (pr *probe) notReadyError(reason error) *NotReadyError {
	return &NotReadyError{Name: pr.p.Name, Port: pr.check.Port, Host: pr.check.host(), Attempts: pr.attempts, Reason: reason}
}

// stop ends the check: no more attempts, and the one in flight abandoned.
func (pr *probe) stop() {
	pr.stopped = true
	for _, dc := range []**reactor.DelayedCall{&pr.retry, &pr.deadline} {
		if *dc != nil {
			_ = (*dc).Cancel()
			*dc = nil
		}
	}
	if d := pr.connecting; d != nil {
		pr.connecting = nil
		d.Cancel()
	}
	if c := pr.verifying; c != nil {
		pr.verifying = nil
		c.Transport.LoseConnection()
	}
}

// verify is Readiness.VerifyListener's check of an accepted connection:
// ready if the spawned process's tree serves it, not ready if another
// process does. The server may not have accepted yet (the connection waits
// in the backlog with no socket of its own, and a one-shot server closes
// its listener once it has), so it looks again every millisecond for up
// to verifyFor. The connection stays open until the answer.
func (pr *probe) verify(c *probeConn, start float64) {
	if pr.stopped {
		c.Transport.LoseConnection()
		return
	}
	pr.verifying = c
	clientPort := 0
	if a, ok := c.Transport.GetHost().(*net.TCPAddr); ok {
		clientPort = a.Port
	}
	pid := pr.p.Transport.Pid()
	owner, ours, found, err := listener.Owner(pr.check.Port, clientPort, pid)
	waited := time.Duration((pr.m.r.Seconds() - start) * float64(time.Second))
	if !ours && err == nil && !found && waited < verifyFor {
		pr.retry = pr.m.r.CallLater(time.Millisecond, func() { pr.retry = nil; pr.verify(c, start) })
		return
	}
	pr.verifying = nil
	c.Transport.LoseConnection()
	if ours {
		pr.accepted()
		return
	}
	pr.stop()
	pr.m.notReady(pr.p, pr.notReadyError(&ListenerError{Port: pr.check.Port, Owner: owner, Pid: pid, Err: err}))
}

// verifyFor bounds VerifyListener's wait for the server's socket to show.
const verifyFor = time.Second

// probeConn is the probe's connection: it closes as soon as it is made,
// unless VerifyListener needs it open until the owner is found (verify
// closes it then).
type probeConn struct {
	protocol.BaseProtocol
	keepOpen bool
}

func (c *probeConn) ConnectionMade() {
	if !c.keepOpen {
		c.Transport.LoseConnection()
	}
}
