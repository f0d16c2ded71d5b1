package procmon

import (
	"errors"
	"fmt"
	"syscall"
	"time"

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
// backoff rule (see Readiness).
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
	cc := protocol.NewClientCreator(pr.tcp, func() protocol.Protocol { return &probeConn{} })
	d := cc.ConnectTCP(pr.check.host(), pr.check.Port, protocol.ConnectTCPOptions{})
	pr.connecting = d
	d.AddCallbacks(func(any) (any, error) {
		pr.connecting = nil
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
}

// probeConn is the probe's connection: it closes as soon as it is made.
type probeConn struct{ protocol.BaseProtocol }

func (c *probeConn) ConnectionMade() { c.Transport.LoseConnection() }
