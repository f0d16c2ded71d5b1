package procmon_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// dummyProcessReactor ports test_procmon's DummyProcessReactor on
// braidtest's MemoryReactorClock, which records the spawns (Processes),
// the connects (TCPClients) and the errors logged (LoggedErrors): each
// child it spawns answers signals as Twisted's DummyProcess does (see
// dummyProcess). SpawnProcess fails with spawnError when that is set, as
// the real reactor's does for a missing executable.
type dummyProcessReactor struct {
	*braidtest.MemoryReactorClock
	dummies    map[*braidtest.FakeProcessTransport]*dummyProcess
	spawnError error
}

func newDummyProcessReactor() *dummyProcessReactor {
	r := &dummyProcessReactor{
		MemoryReactorClock: braidtest.NewMemoryReactorClock(),
		dummies:            map[*braidtest.FakeProcessTransport]*dummyProcess{},
	}
	r.OnSpawn = r.newDummyProcess
	return r
}

func (r *dummyProcessReactor) SpawnProcess(proto protocol.ProcessProtocol, executable string, args []string, opts protocol.SpawnOptions) (protocol.ProcessTransport, error) {
	if r.spawnError != nil {
		return nil, &protocol.SpawnError{Executable: executable, Op: "exec", Path: executable, Err: r.spawnError}
	}
	return r.MemoryReactorClock.SpawnProcess(proto, executable, args, opts)
}

// dummyProcess ports test_procmon's DummyProcess: a child that understands
// two signals. SIGTERM makes it exit 0 terminationDelay later; SIGKILL makes
// it exit 1 at once (on the clock's next step). Once it has exited,
// signals give ErrProcessExitedAlready (the FakeProcessTransport's rule).
// signalErr, when set, is what a signal returns instead.
type dummyProcess struct {
	*braidtest.FakeProcessTransport
	terminationDelay time.Duration
	signalErr        error
}

func (r *dummyProcessReactor) newDummyProcess(t *braidtest.FakeProcessTransport) {
	d := &dummyProcess{FakeProcessTransport: t, terminationDelay: time.Second}
	r.dummies[t] = d
	t.OnSignal = func(sig syscall.Signal) error {
		if d.signalErr != nil {
			return d.signalErr
		}
		switch sig {
		case syscall.SIGTERM:
			r.CallLater(d.terminationDelay, func() { d.exit(0) })
		case syscall.SIGKILL:
			r.CallLater(0, func() { d.exit(1) })
		}
		return nil
	}
}

// exit ends the child, once: a SIGKILL may overtake a SIGTERM's exit.
func (d *dummyProcess) exit(code int) {
	if !d.Ended() {
		d.Exit(code)
	}
}

// dummy returns the dummyProcess behind a transport the reactor spawned.
func (r *dummyProcessReactor) dummy(t *testing.T, tr protocol.ProcessTransport) *dummyProcess {
	t.Helper()
	fake, _ := tr.(*braidtest.FakeProcessTransport)
	d := r.dummies[fake]
	if d == nil {
		t.Fatalf("transport %v was not spawned by the dummy reactor", tr)
	}
	return d
}

// refuse fails a recorded connect as a refused one fails.
func refuse(c braidtest.TCPClient) {
	c.Factory.ClientConnectionFailed(c.Connector, reactor.NewFailure(&protocol.ConnectionRefusedError{OSError: syscall.ECONNREFUSED}))
}

// accept completes a recorded connect with a connection on a
// StringTransport, which it returns.
func accept(c braidtest.TCPClient) *braidtest.StringTransport {
	p := c.Factory.BuildProtocol(c.Connector.GetDestination())
	protocol.Bind(p)
	tr := &braidtest.StringTransport{}
	p.MakeConnection(tr)
	return tr
}
