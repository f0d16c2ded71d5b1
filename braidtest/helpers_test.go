package braidtest_test

import (
	"errors"
	"fmt"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// tracer collects a trace of calls, to compare with cmp.Diff.
type tracer struct{ lines []string }

func (t *tracer) add(format string, args ...any) {
	t.lines = append(t.lines, fmt.Sprintf(format, args...))
}

// reason describes a process or connection reason compactly.
func reason(f *reactor.Failure) string {
	if f == nil {
		return "<nil>"
	}
	if d, ok := errors.AsType[*protocol.ProcessDone](f); ok {
		return fmt.Sprintf("done(pid=%d)", d.Pid)
	}
	if t, ok := errors.AsType[*protocol.ProcessTerminated](f); ok {
		return fmt.Sprintf("terminated(code=%d signal=%d status=%d pid=%d)", t.ExitCode, int(t.Signal), t.Status, t.Pid)
	}
	return f.Error()
}

// recordingFactory is a client and server factory that traces the calls a
// reactor makes to it.
type recordingFactory struct {
	protocol.BaseClientFactory
	tracer
}

func newRecordingFactory() *recordingFactory {
	f := &recordingFactory{}
	protocol.Bind(f)
	return f
}

func (f *recordingFactory) StartFactory()                        { f.add("StartFactory") }
func (f *recordingFactory) StopFactory()                         { f.add("StopFactory") }
func (f *recordingFactory) StartedConnecting(protocol.Connector) { f.add("StartedConnecting") }
func (f *recordingFactory) ClientConnectionFailed(_ protocol.Connector, r *reactor.Failure) {
	f.add("ClientConnectionFailed: %s", reason(r))
}

// traceProcess is a process protocol that traces every call it gets.
type traceProcess struct {
	protocol.BaseProcessProtocol
	tracer
}

func (p *traceProcess) ConnectionMade() { p.add("ConnectionMade pid=%d", p.Transport.Pid()) }
func (p *traceProcess) ChildDataReceived(fd int, data []byte) {
	p.add("ChildDataReceived %d %q", fd, data)
}
func (p *traceProcess) ChildConnectionLost(fd int) {
	p.add("ChildConnectionLost %d pid=%d", fd, p.Transport.Pid())
}
func (p *traceProcess) ProcessExited(r *reactor.Failure) {
	p.add("ProcessExited %s pid=%d", reason(r), p.Transport.Pid())
}
func (p *traceProcess) ProcessEnded(r *reactor.Failure) { p.add("ProcessEnded %s", reason(r)) }
