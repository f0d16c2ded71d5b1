package conchtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/braid-go/braid/internal/listener"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// faithfulRetry is Conch's fixed pause between refused connects (C-05).
const faithfulRetry = 100 * time.Millisecond

// ForwardingProcess ports Conch's ConchTestForwardingProcess: the
// ProcessProtocol for a third-party process (socat, ssh -L, ...) that starts
// a server on 127.0.0.1:Port. As soon as the process is spawned it tries to
// connect there with a protocol.ForwardingPort carrying Data, retrying until
// the port accepts; when that connection ends it keeps what came back in
// Buffer, stops the process, and when the process has ended fires Deferred
// with Buffer — once.
//
// With a zero Hardening it behaves exactly as Conch's helper (C-02..C-09):
// every failed connect is retried 0.1 s later, forever; the stop is a "\x03"
// byte on stdin, LoseConnection, and SIGKILL on the next reactor turn
// (ProcessExitedAlready ignored); the process's exit reason is ignored and
// Deferred fires with nil if the port never answered (C-15). Hardening turns
// on the fixes of docs/SEMANTICS.md W-09..W-14; see its fields.
//
// Spawn it as any ProcessProtocol, with the reactor's SpawnProcess, and
// wait on Deferred:
//
//	p := conchtest.NewForwardingProcess(r, port, []byte("hello\n"))
//	if _, err := r.SpawnProcess(p, "/usr/bin/socat", argv, protocol.SpawnOptions{}); err != nil {
//		return reactor.Fail(err)
//	}
//	return p.Deferred
//
// Its steps are methods a type embedding it can override, as Twisted tests
// override those of ConchTestForwardingProcess: Connect (Conch's _connect),
// ConnectFailed (_ebConnect), ForwardingPortDisconnected and ReallyDie
// (_reallyDie). The manager calls each through the embedding value, so the
// override runs, and the override may call the embedded method to carry on:
//
//	type loudRetry struct{ *conchtest.ForwardingProcess }
//
//	func (l loudRetry) ConnectFailed(reason *reactor.Failure) {
//		log.Print(reason)
//		l.ForwardingProcess.ConnectFailed(reason)
//	}
type ForwardingProcess struct {
	protocol.BaseProcessProtocol

	// Port is where the process's server listens, on 127.0.0.1.
	Port int
	// Data is written to the server once connected; Conch's tests end it
	// with "\n" so the echo server closes the connection.
	Data []byte
	// Deferred fires when the process has ended, with Buffer (nil when the
	// port never accepted), or with an error in the hardened cases. It is
	// taken when it fires (Conch's _getDeferred), so it fires once.
	// NewForwardingProcess makes it, cancellable: cancelling it stops the
	// retries and kills the process, and it fails with reactor.ErrCancelled.
	// Conch's tests set their own instead; that works too.
	Deferred *reactor.Deferred
	// Buffer is what the forwarding connection received; nil until that
	// connection has ended.
	Buffer []byte
	// Hardening selects the behaviour beyond Conch's; the zero value is
	// Conch's behaviour.
	Hardening Hardening

	// Stdout and Stderr keep the tail of the child's output when
	// Hardening.KeepOutput is set (Stderr also for FailFast).
	Stdout, Stderr *TailBuffer

	// Timeline records when things happened, for reports and benchmarks.
	Timeline Timeline

	r          ForwardingReactor
	retry      *reactor.DelayedCall // the pending reconnect
	connecting *reactor.Deferred    // the connect attempt in flight
	deadline   *reactor.DelayedCall
	total      *reactor.DelayedCall // Hardening.TotalDeadline
	backstop   *reactor.DelayedCall // fires the Deferred if the killed process never ends
	port       *protocol.ForwardingPort
	childPid   int // the spawned process's pid, for VerifyListener
	grace      *reactor.DelayedCall
	halted     bool  // retries were stopped on purpose (hardened end, failure, cancel)
	failure    error // what the Deferred fails with when the process ends
	stopping   bool  // the stop sequence has started
	ended      bool  // ProcessEnded has been delivered
}

// Timeline records a [ForwardingProcess]'s progress.
type Timeline struct {
	// Attempts counts connect attempts to Port.
	Attempts int
	// Spawned is when ConnectionMade ran (inside SpawnProcess).
	Spawned time.Time
	// Connected is when the forwarding port's connection was made: the
	// moment the server was found ready. Zero if it never was.
	Connected time.Time
	// Disconnected is when the forwarding connection ended.
	Disconnected time.Time
	// Ended is when ProcessEnded ran.
	Ended time.Time
	// Reason is the process's exit reason (ProcessDone or ProcessTerminated).
	Reason *reactor.Failure
}

// Readiness is how long after the spawn the server's port accepted, or 0.
func (t Timeline) Readiness() time.Duration {
	if t.Connected.IsZero() {
		return 0
	}
	return t.Connected.Sub(t.Spawned)
}

// ForwardingReactor is what a [ForwardingProcess] needs of its reactor: time
// for its retries and stop, TCP for its connects, and a place to log the
// errors nobody else sees. braid.Reactor is one.
type ForwardingReactor interface {
	reactor.Time
	reactor.ErrorLogger
	protocol.ReactorTCP
}

// NewForwardingProcess returns a [ForwardingProcess] for a server on
// 127.0.0.1:port, driven by r (Conch's helper uses the global reactor),
// with a cancellable Deferred.
func NewForwardingProcess(r ForwardingReactor, port int, data []byte) *ForwardingProcess {
	p := &ForwardingProcess{r: r, Port: port, Data: data}
	p.Deferred = reactor.NewDeferred(func(*reactor.Deferred) { p.abort() })
	return p
}

// adjustSpawn gives the child the process group that Hardening.StopGroup
// signals. SSHServer.Execute calls it.
func (p *ForwardingProcess) adjustSpawn(opts *protocol.SpawnOptions) {
	if p.Hardening.StopGroup {
		opts.NewProcessGroup = true
	}
}

// forwardingSteps are the overridable steps, reached through the value
// that embeds the ForwardingProcess.
type forwardingSteps interface {
	Connect() *reactor.Deferred
	ConnectFailed(reason *reactor.Failure)
	ForwardingPortDisconnected(buffer []byte)
	ReallyDie()
}

// steps returns the embedding value's steps (the [ForwardingProcess] itself
// when it is not embedded).
func (p *ForwardingProcess) steps() forwardingSteps {
	if s, ok := p.Outer().(forwardingSteps); ok {
		return s
	}
	return p
}

// takeDeferred ports _getDeferred: it returns the Deferred and forgets it,
// so that nothing fires it twice.
func (p *ForwardingProcess) takeDeferred() *reactor.Deferred {
	d := p.Deferred
	p.Deferred = nil
	return d
}

// ConnectionMade ports connectionMade: the first connect attempt happens
// here, inside SpawnProcess, usually before the server listens (C-03).
func (p *ForwardingProcess) ConnectionMade() {
	p.Timeline.Spawned = time.Now()
	p.childPid = p.Transport.Pid()
	h := &p.Hardening
	if h.FailFast || h.KeepOutput {
		p.Stderr = NewTailBuffer(h.tailSize())
	}
	if h.KeepOutput {
		p.Stdout = NewTailBuffer(h.tailSize())
	}
	if h.Deadline > 0 {
		p.deadline = p.r.CallLater(h.Deadline, p.deadlinePassed)
	}
	if h.TotalDeadline > 0 {
		p.total = p.r.CallLater(h.TotalDeadline, p.totalDeadlinePassed)
	}
	if h.StopGroup {
		p.checkGroup()
	}
	p.steps().Connect()
}

// checkGroup says, once, that Hardening.StopGroup has no group to stop.
func (p *ForwardingProcess) checkGroup() {
	if g, ok := p.Transport.(protocol.GroupSignaler); ok {
		if err := g.SignalProcessGroup(0); !errors.Is(err, protocol.ErrNoProcessGroup) {
			return
		}
	}
	p.r.LogError(reactor.NewFailure(fmt.Errorf("conchtest: Hardening.StopGroup, but process %v has no process group of its own (spawn it with SpawnOptions.NewProcessGroup): stop signals reach it alone", p.Transport)),
		"ForwardingProcess")
}

// Connect ports _connect (C-04): one attempt with a fresh ForwardingPort
// and a ClientCreator; a failed attempt goes to ConnectFailed. It returns
// the ClientCreator's Deferred.
func (p *ForwardingProcess) Connect() *reactor.Deferred {
	p.retry = nil
	p.Timeline.Attempts++
	port := protocol.NewForwardingPort(p.steps(), p.Data)
	p.port = port
	cc := protocol.NewClientCreator(p.r, func() protocol.Protocol { return &timedPort{ForwardingPort: port, owner: p} })
	// The port copies what it receives, so reads may reuse one buffer.
	d := cc.ConnectTCP("127.0.0.1", p.Port, protocol.ConnectTCPOptions{Conn: protocol.TCPConnOptions{ReuseReadBuffer: true}})
	p.connecting = d
	d.AddCallbacks(func(v any) (any, error) {
		p.connecting = nil
		return v, nil
	}, func(f *reactor.Failure) (any, error) {
		p.connecting = nil
		p.steps().ConnectFailed(f)
		return nil, nil
	})
	return d
}

// ConnectFailed ports _ebConnect (C-05), the errback of a failed attempt:
// faithful mode retries every 0.1 s whatever the failure; hardened mode
// retries only refused connects, with backoff, and only while the process
// runs.
func (p *ForwardingProcess) ConnectFailed(reason *reactor.Failure) {
	if p.halted {
		return
	}
	h := &p.Hardening
	if !h.Backoff {
		p.retry = p.r.CallLater(faithfulRetry, p.reconnect)
		return
	}
	if p.ended || p.stopping {
		return
	}
	if !errors.Is(reason, syscall.ECONNREFUSED) {
		p.fail(&ConnectFailedError{Port: p.Port, Attempts: p.Timeline.Attempts, Err: reason})
		return
	}
	p.retry = p.r.CallLater(h.nextRetry(time.Since(p.Timeline.Spawned)), p.reconnect)
}

func (p *ForwardingProcess) reconnect() { p.steps().Connect() }

// timedPort notes in the owner's Timeline when the connection was made.
type timedPort struct {
	*protocol.ForwardingPort
	owner *ForwardingProcess
}

func (t *timedPort) ConnectionMade() {
	t.owner.portConnected()
	if !t.owner.Hardening.VerifyListener {
		t.ForwardingPort.ConnectionMade()
		return
	}
	t.owner.verifyListener(t, time.Now())
}

// verifyListener is Hardening.VerifyListener's check: once the server's
// socket can be found, send Data if it is the spawned process's, else drop
// the connection unused and fail. The server may not have accepted yet (a
// connection waits in the backlog with no socket of its own, and a one-shot
// server closes its listener once it has), so the check retries every
// millisecond for up to verifyFor.
func (p *ForwardingProcess) verifyListener(t *timedPort, start time.Time) {
	if p.failure != nil || p.ended {
		return
	}
	clientPort := 0
	if a, ok := t.Transport.GetHost().(*net.TCPAddr); ok {
		clientPort = a.Port
	}
	owner, ours, found, err := listener.Owner(p.Port, clientPort, p.childPid)
	switch {
	case ours:
		t.ForwardingPort.ConnectionMade()
		return
	case err == nil && !found && time.Since(start) < verifyFor:
		p.r.CallLater(time.Millisecond, func() { p.verifyListener(t, start) })
		return
	}
	// Not the server we spawned: send nothing, and fail.
	if a, ok := t.Transport.(interface{ AbortConnection() }); ok {
		a.AbortConnection()
	} else {
		t.Transport.LoseConnection()
	}
	p.fail(&ListenerError{Port: p.Port, Owner: owner, Child: p.childPid, Err: err})
}

// verifyFor bounds VerifyListener's wait for the server's socket to show.
const verifyFor = time.Second

func (p *ForwardingProcess) portConnected() {
	p.Timeline.Connected = time.Now()
	if p.deadline != nil {
		_ = p.deadline.Cancel()
		p.deadline = nil
	}
}

// isConnected reports whether the forwarding port has connected at least once.
func (p *ForwardingProcess) isConnected() bool { return !p.Timeline.Connected.IsZero() }

// ForwardingPortDisconnected ports forwardingPortDisconnected (C-07): keep
// what came back, then stop the process (ReallyDie comes last).
func (p *ForwardingProcess) ForwardingPortDisconnected(buffer []byte) {
	p.Timeline.Disconnected = time.Now()
	p.Buffer = buffer
	if p.failure != nil {
		return // a hardened failure is stopping the process already
	}
	p.stop()
}

// stop begins the stop sequence. Faithful (C-07, C-08): "\x03" on stdin,
// LoseConnection, and SIGKILL on the next turn. Hardened: see Hardening's
// StopSignal, GracePeriod and StopGroup.
func (p *ForwardingProcess) stop() {
	p.stopping = true
	h := &p.Hardening
	if h.StopSignal == 0 {
		p.Transport.Write([]byte{0x03})
		p.Transport.LoseConnection()
	} else {
		p.signal(h.StopSignal)
	}
	if h.GracePeriod > 0 {
		p.grace = p.r.CallLater(h.GracePeriod, p.reallyDie)
		return
	}
	p.r.CallLater(0, p.reallyDie)
}

func (p *ForwardingProcess) reallyDie() {
	p.grace = nil
	p.steps().ReallyDie()
}

// ReallyDie ports _reallyDie (C-08): SIGKILL, where "already exited" is
// fine. The stop sequence calls it on the reactor turn after the first stop
// step (after Hardening.GracePeriod when that is set). With a
// Hardening.StopSignal, whose first step leaves the pipes open, it also
// closes them, as Conch's first step does: a descendant outside the
// process group (a daemon that called setsid) may hold them, and would
// otherwise keep ProcessEnded, and so the Deferred, away for ever (W-13).
func (p *ForwardingProcess) ReallyDie() {
	p.signal(syscall.SIGKILL)
	if p.Hardening.StopSignal != 0 {
		p.Transport.LoseConnection()
	}
}

func (p *ForwardingProcess) signal(sig syscall.Signal) {
	var err error
	g, isGroup := p.Transport.(protocol.GroupSignaler)
	if p.Hardening.StopGroup && isGroup {
		err = g.SignalProcessGroup(sig)
	}
	if !p.Hardening.StopGroup || !isGroup || errors.Is(err, protocol.ErrNoProcessGroup) {
		err = p.Transport.SignalProcess(sig) // no group to stop: the child alone
	}
	if err != nil && !errors.Is(err, protocol.ErrProcessExitedAlready) {
		p.r.LogError(reactor.NewFailure(err), "ForwardingProcess: stopping the process")
	}
}

// OutReceived keeps stdout when Hardening.KeepOutput asks for it.
func (p *ForwardingProcess) OutReceived(data []byte) {
	if p.Stdout != nil {
		p.Stdout.Write(data)
	}
}

// ErrReceived keeps stderr when Hardening.FailFast or KeepOutput asks for it.
func (p *ForwardingProcess) ErrReceived(data []byte) {
	if p.Stderr != nil {
		p.Stderr.Write(data)
	}
}

// ProcessEnded ports processEnded (C-09): the Deferred fires with Buffer.
// Conch ignores reason; so does faithful mode. With Hardening.FailFast a
// process that ended before its port ever accepted fails the Deferred with
// an *EndedEarlyError carrying reason and the tail of stderr.
func (p *ForwardingProcess) ProcessEnded(reason *reactor.Failure) {
	p.ended = true
	p.Timeline.Ended = time.Now()
	p.Timeline.Reason = reason
	if p.Hardening.Backoff || p.Hardening.FailFast {
		p.cancelPending() // W-09: no retries after the end
	}
	if p.deadline != nil {
		_ = p.deadline.Cancel()
		p.deadline = nil
	}
	if p.grace != nil {
		_ = p.grace.Cancel()
		p.grace = nil
	}
	p.cancelTotal()
	if p.Hardening.FailFast && !p.isConnected() && !p.stopping {
		p.failure = &EndedEarlyError{Port: p.Port, Attempts: p.Timeline.Attempts, Reason: reason, Stderr: p.Stderr.Bytes()}
	}
	if p.failure != nil {
		p.fireFailure()
		return
	}
	d := p.takeDeferred()
	if d == nil {
		return // already fired (hardened error, or cancelled)
	}
	if p.Buffer == nil {
		_ = d.Callback(nil) // Conch's None, not a typed nil slice
		return
	}
	_ = d.Callback(p.Buffer)
}

// fail stops the process and makes its end fail the Deferred with err
// instead of firing it with Buffer, so that the Deferred still fires only
// once the process is gone.
func (p *ForwardingProcess) fail(err error) {
	p.cancelPending()
	if p.failure == nil {
		p.failure = err
	}
	if p.ended {
		p.fireFailure()
		return
	}
	if !p.stopping {
		p.stopping = true
		p.signal(syscall.SIGKILL)
	}
}

func (p *ForwardingProcess) fireFailure() {
	if d := p.takeDeferred(); d != nil {
		_ = d.Errback(p.failure)
	}
}

// abort is the canceller [NewForwardingProcess] installs: stop everything and
// kill the child.
func (p *ForwardingProcess) abort() {
	p.takeDeferred() // Cancel fires it with CancelledError
	p.cancelPending()
	p.cancelTotal()
	if !p.ended && !p.stopping && p.Transport != nil {
		p.stopping = true
		p.signal(syscall.SIGKILL)
	}
}

// cancelPending stops the retry loop: the scheduled reconnect and the
// attempt in flight.
func (p *ForwardingProcess) cancelPending() {
	p.halted = true
	if p.retry != nil {
		_ = p.retry.Cancel()
		p.retry = nil
	}
	if p.deadline != nil {
		_ = p.deadline.Cancel()
		p.deadline = nil
	}
	if d := p.connecting; d != nil {
		p.connecting = nil
		d.Cancel()
	}
}

func (p *ForwardingProcess) deadlinePassed() {
	p.deadline = nil
	if p.isConnected() || p.ended {
		return
	}
	p.fail(&DeadlineError{Port: p.Port, Deadline: p.Hardening.Deadline, Attempts: p.Timeline.Attempts, Phase: "connect"})
}

// totalDeadlinePassed ends a run that outlived Hardening.TotalDeadline:
// kill, close the pipes, and fail with what came back so far.
func (p *ForwardingProcess) totalDeadlinePassed() {
	p.total = nil
	if p.ended {
		return
	}
	phase, received := "connect", []byte(nil)
	switch {
	case p.Timeline.Disconnected.IsZero() && p.isConnected():
		phase = "exchange"
		if p.port != nil {
			received = bytes.Clone(p.port.Buffer)
		}
	case !p.Timeline.Disconnected.IsZero():
		phase, received = "stop", p.Buffer
	}
	p.cancelPending()
	if p.failure == nil {
		p.failure = &DeadlineError{Port: p.Port, Deadline: p.Hardening.TotalDeadline, Attempts: p.Timeline.Attempts,
			Phase: phase, Received: received}
	}
	p.stopping = true
	p.signal(syscall.SIGKILL)
	p.Transport.LoseConnection()
	p.backstop = p.r.CallLater(max(p.Hardening.GracePeriod, 100*time.Millisecond), func() {
		p.backstop = nil
		p.fireFailure() // the process has not ended; the Deferred is bounded anyway
	})
}

// cancelTotal drops TotalDeadline's timers.
func (p *ForwardingProcess) cancelTotal() {
	for _, c := range []**reactor.DelayedCall{&p.total, &p.backstop} {
		if *c != nil {
			_ = (*c).Cancel()
			*c = nil
		}
	}
}
