package braidtest

import (
	"bytes"
	"fmt"
	"slices"
	"syscall"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// FakeProcessTransport is a protocol.ProcessTransport (also a
// protocol.GroupSignaler and a protocol.Consumer for the child's stdin)
// with no child behind it: it records what the protocol asks of it, and
// the test plays the child with Deliver, Hangup, Exit and KilledBy.
// MemoryReactor.SpawnProcess makes one; Twisted has no such double in
// twisted.internet.testing (its procmon tests write a DummyProcess, which
// this one can replace: see OnSignal).
//
// The child's pipes are those SpawnOptions.ChildFDs describes (by default
// stdin written by the parent, stdout and stderr read by it). Every event is
// delivered at once, inside the call that causes it, where the real
// transport delivers on a later reactor pass:
//
//   - CloseChildFD (and CloseStdin, LoseConnection, …) reports the pipe lost
//     with ChildConnectionLost at once; closing stdin while a producer is
//     registered waits, as the real transport does, until UnregisterProducer.
//   - Exit and KilledBy end the child: ChildConnectionLost for each pipe
//     still open (in fd order), then ProcessExited, then ProcessEnded, with a
//     *protocol.ProcessDone or *protocol.ProcessTerminated reason, as the
//     real transport orders them (P-08, P-10, P-12). From ProcessExited on,
//     Pid returns 0 and signals fail with protocol.ErrProcessExitedAlready.
//
// Misuse by the test — delivering on a descriptor with no pipe, ending the
// child twice — panics, naming it.
type FakeProcessTransport struct {
	// Protocol receives the events; SpawnProcess sets it.
	Protocol protocol.ProcessProtocol
	// Opts are the spawn options; ChildFDs gives the pipes, and
	// NewProcessGroup or SignalGroup allows SignalProcessGroup.
	Opts protocol.SpawnOptions

	// Written holds, per child fd, the bytes written to the child's pipe
	// by Write, WriteSequence and WriteToChild.
	Written map[int][]byte
	// ClosedFDs lists the child fds whose pipes the parent closed
	// (CloseChildFD and the calls built on it), in order, each once.
	ClosedFDs []int
	// LoseConnectionCalls counts LoseConnection calls.
	LoseConnectionCalls int

	// Signals lists the signals SignalProcess sent, in order, and
	// GroupSignals those SignalProcessGroup sent. Calls refused because
	// the child has exited are not listed.
	Signals      []syscall.Signal
	GroupSignals []syscall.Signal
	// OnSignal, when set, is called with each signal sent (by either
	// method) once it is listed, and its error is returned to the sender.
	// It is how the test makes the child answer signals; for instance,
	// Twisted's procmon DummyProcess, which exits a second after TERM:
	//
	//	t.OnSignal = func(sig syscall.Signal) error {
	//		if sig == syscall.SIGTERM {
	//			clock.CallLater(time.Second, func() { t.Exit(0) })
	//		}
	//		return nil
	//	}
	OnSignal func(sig syscall.Signal) error

	// Producer and Streaming are the producer registered for the child's
	// stdin; it is recorded, never driven, and told StopProducing when
	// stdin closes.
	Producer  protocol.Producer
	Streaming bool
	// ProducerState is Paused after PauseProducing and Producing after
	// ResumeProducing. It does not hold back Deliver: the test decides what
	// the child writes.
	ProducerState ProducerState

	pid     int
	pipes   []*fakePipe // the open pipes, ordered by child fd
	exiting bool        // Exit or KilledBy has been called
	ended   bool        // ProcessExited is under way or done
}

// fakePipe is one open pipe of the fake child.
type fakePipe struct {
	fd      int
	writes  bool // the parent writes it (ChildFDWrite)
	closing bool // CloseChildFD waits for the producer to be unregistered
}

var (
	_ protocol.ProcessTransport = (*FakeProcessTransport)(nil)
	_ protocol.GroupSignaler    = (*FakeProcessTransport)(nil)
	_ protocol.Consumer         = (*FakeProcessTransport)(nil)
)

// NewFakeProcessTransport returns a transport for proto, with pid 1 (that
// of Twisted's DummyProcess) and the pipes opts.ChildFDs describes. It does
// not connect proto: to drive a protocol by hand, call protocol.Bind(proto)
// and proto.MakeConnection(t), as MemoryReactor.SpawnProcess does.
func NewFakeProcessTransport(proto protocol.ProcessProtocol, opts protocol.SpawnOptions) *FakeProcessTransport {
	t := &FakeProcessTransport{Protocol: proto, Opts: opts, pid: 1}
	fds := opts.ChildFDs
	if fds == nil {
		fds = map[int]protocol.ChildFD{0: protocol.ChildFDWrite, 1: protocol.ChildFDRead, 2: protocol.ChildFDRead}
	}
	for fd, kind := range fds {
		if kind == protocol.ChildFDRead || kind == protocol.ChildFDWrite {
			t.pipes = append(t.pipes, &fakePipe{fd: fd, writes: kind == protocol.ChildFDWrite})
		}
	}
	slices.SortFunc(t.pipes, func(a, b *fakePipe) int { return a.fd - b.fd })
	return t
}

func (t *FakeProcessTransport) pipe(fd int) *fakePipe {
	for _, p := range t.pipes {
		if p.fd == fd {
			return p
		}
	}
	return nil
}

// Pid returns the pid until the child has exited, then 0.
func (t *FakeProcessTransport) Pid() int {
	if t.ended {
		return 0
	}
	return t.pid
}

// SetPid sets the pid Pid reports while the child lives.
func (t *FakeProcessTransport) SetPid(pid int) { t.pid = pid }

// Ended reports whether Exit or KilledBy has been called.
func (t *FakeProcessTransport) Ended() bool { return t.exiting }

// Write records data as written to stdin (fd 0); without an open stdin
// pipe it is dropped, as the real transport drops it.
func (t *FakeProcessTransport) Write(data []byte) {
	if p := t.pipe(0); p != nil && p.writes {
		t.record(0, data)
	}
}

// WriteSequence is Write of each slice in turn.
func (t *FakeProcessTransport) WriteSequence(seq [][]byte) {
	for _, b := range seq {
		t.Write(b)
	}
}

// WriteToChild records data as written to childFD's pipe. Without an open
// pipe the parent writes there, it returns an error wrapping
// protocol.ErrUnknownChildFD.
func (t *FakeProcessTransport) WriteToChild(childFD int, data []byte) error {
	if p := t.pipe(childFD); p == nil || !p.writes {
		return fmt.Errorf("braidtest: write to child fd %d of pid %d: %w", childFD, t.pid, protocol.ErrUnknownChildFD)
	}
	t.record(childFD, data)
	return nil
}

func (t *FakeProcessTransport) record(fd int, data []byte) {
	if len(data) == 0 {
		return
	}
	if t.Written == nil {
		t.Written = make(map[int][]byte)
	}
	t.Written[fd] = append(t.Written[fd], data...)
}

// CloseChildFD closes childFD's pipe: it is listed in ClosedFDs and the
// protocol is told ChildConnectionLost at once — except for stdin while a
// producer is registered, which is reported when the producer is
// unregistered. A child fd with no open pipe is ignored.
func (t *FakeProcessTransport) CloseChildFD(childFD int) {
	p := t.pipe(childFD)
	if p == nil || p.closing {
		return
	}
	t.ClosedFDs = append(t.ClosedFDs, childFD)
	if childFD == 0 && p.writes && t.Producer != nil {
		p.closing = true
		return
	}
	t.lose(p)
}

// CloseStdin is CloseChildFD(0).
func (t *FakeProcessTransport) CloseStdin() { t.CloseChildFD(0) }

// CloseStdout is CloseChildFD(1).
func (t *FakeProcessTransport) CloseStdout() { t.CloseChildFD(1) }

// CloseStderr is CloseChildFD(2).
func (t *FakeProcessTransport) CloseStderr() { t.CloseChildFD(2) }

// LoseConnection counts the call and closes stdin, stderr and stdout, in
// the real transport's order. It sends no signal.
func (t *FakeProcessTransport) LoseConnection() {
	t.LoseConnectionCalls++
	t.CloseStdin()
	t.CloseStderr()
	t.CloseStdout()
}

// lose forgets pipe p and tells the protocol.
func (t *FakeProcessTransport) lose(p *fakePipe) {
	t.pipes = slices.DeleteFunc(t.pipes, func(q *fakePipe) bool { return q == p })
	if p.fd == 0 && p.writes && t.Producer != nil {
		pr := t.Producer
		t.Producer, t.Streaming = nil, false
		pr.StopProducing() // nothing left to write to
	}
	t.Protocol.ChildConnectionLost(p.fd)
}

// SignalProcess lists sig in Signals and returns what OnSignal returns
// (nil without one). Once the child has exited it returns an error wrapping
// protocol.ErrProcessExitedAlready, whatever sig is, and lists nothing.
// With Opts.SignalGroup the signal is still listed in Signals.
func (t *FakeProcessTransport) SignalProcess(sig syscall.Signal) error {
	if t.ended {
		return t.exitedAlready(sig)
	}
	t.Signals = append(t.Signals, sig)
	return t.answer(sig)
}

// SignalProcessGroup lists sig in GroupSignals and returns what OnSignal
// returns. It returns an error wrapping protocol.ErrNoProcessGroup unless
// Opts.NewProcessGroup or Opts.SignalGroup is set, and one wrapping
// protocol.ErrProcessExitedAlready once the child has exited (the fake
// child starts no process that could outlive it).
func (t *FakeProcessTransport) SignalProcessGroup(sig syscall.Signal) error {
	if !t.Opts.NewProcessGroup && !t.Opts.SignalGroup {
		return fmt.Errorf("braidtest: signal group of pid %d: %w", t.pid, protocol.ErrNoProcessGroup)
	}
	if t.ended {
		return t.exitedAlready(sig)
	}
	t.GroupSignals = append(t.GroupSignals, sig)
	return t.answer(sig)
}

func (t *FakeProcessTransport) answer(sig syscall.Signal) error {
	if t.OnSignal != nil {
		return t.OnSignal(sig)
	}
	return nil
}

func (t *FakeProcessTransport) exitedAlready(sig syscall.Signal) error {
	return fmt.Errorf("braidtest: signal %v to pid %d: %w", sig, t.pid, protocol.ErrProcessExitedAlready)
}

// RegisterProducer records p and streaming in Producer and Streaming.
// Errors as the real transport's: one wrapping protocol.ErrUnknownChildFD
// without an open stdin pipe, protocol.ErrProducerRegistered when one is
// registered, protocol.ErrNotPushProducer for a streaming p that cannot
// pause.
func (t *FakeProcessTransport) RegisterProducer(p protocol.Producer, streaming bool) error {
	if pp := t.pipe(0); pp == nil || !pp.writes || pp.closing {
		return fmt.Errorf("braidtest: register a producer for the stdin of pid %d: %w", t.pid, protocol.ErrUnknownChildFD)
	}
	if t.Producer != nil {
		return protocol.ErrProducerRegistered
	}
	if _, ok := p.(protocol.PushProducer); streaming && !ok {
		return protocol.ErrNotPushProducer
	}
	t.Producer, t.Streaming = p, streaming
	return nil
}

// UnregisterProducer forgets the producer; a CloseStdin that was waiting
// for it then completes. With none registered it does nothing, as the real
// transport.
func (t *FakeProcessTransport) UnregisterProducer() {
	t.Producer, t.Streaming = nil, false
	if p := t.pipe(0); p != nil && p.closing {
		t.lose(p)
	}
}

// PauseProducing sets ProducerState to Paused.
func (t *FakeProcessTransport) PauseProducing() { t.ProducerState = Paused }

// ResumeProducing sets ProducerState to Producing.
func (t *FakeProcessTransport) ResumeProducing() { t.ProducerState = Producing }

// Deliver plays the child writing data to childFD: the protocol gets
// ChildDataReceived(childFD, a copy of data). childFD must be an open pipe
// the parent reads; otherwise Deliver panics.
func (t *FakeProcessTransport) Deliver(childFD int, data []byte) {
	if p := t.pipe(childFD); p == nil || p.writes {
		panic(fmt.Sprintf("braidtest: Deliver on child fd %d of pid %d, which has no open pipe the parent reads", childFD, t.pid))
	}
	t.Protocol.ChildDataReceived(childFD, bytes.Clone(data))
}

// Hangup plays the child closing its end of childFD's pipe: the protocol
// gets ChildConnectionLost(childFD). childFD must be an open pipe;
// otherwise Hangup panics.
func (t *FakeProcessTransport) Hangup(childFD int) {
	p := t.pipe(childFD)
	if p == nil {
		panic(fmt.Sprintf("braidtest: Hangup of child fd %d of pid %d, which has no open pipe", childFD, t.pid))
	}
	t.lose(p)
}

// Exit plays the child exiting with code: a *protocol.ProcessDone reason
// for 0, else a *protocol.ProcessTerminated with ExitCode code and Status
// code<<8. See the type's comment for the calls made. Ending a child twice
// panics.
func (t *FakeProcessTransport) Exit(code int) {
	t.end(func(pid int) error {
		if code == 0 {
			return &protocol.ProcessDone{Pid: pid}
		}
		return &protocol.ProcessTerminated{ExitCode: code, Status: code << 8, Pid: pid}
	})
}

// KilledBy plays the child killed by sig: a *protocol.ProcessTerminated
// reason with ExitCode -1, Signal sig and Status sig (no core dump). Ending
// a child twice panics.
func (t *FakeProcessTransport) KilledBy(sig syscall.Signal) {
	t.end(func(pid int) error {
		return &protocol.ProcessTerminated{ExitCode: -1, Signal: sig, Status: int(sig), Pid: pid}
	})
}

// end closes the pipes left, then reports the exit twice, each time with
// a Failure of its own (P-12).
func (t *FakeProcessTransport) end(reason func(pid int) error) {
	if t.exiting {
		panic(fmt.Sprintf("braidtest: pid %d ended twice", t.pid))
	}
	t.exiting = true
	for len(t.pipes) > 0 {
		t.lose(t.pipes[0])
	}
	t.ended = true
	t.Protocol.ProcessExited(reactor.NewFailure(reason(t.pid)))
	t.Protocol.ProcessEnded(reactor.NewFailure(reason(t.pid)))
}
