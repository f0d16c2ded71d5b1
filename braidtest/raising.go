package braidtest

import (
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// RaisingMemoryReactor ports twisted.internet.testing.RaisingMemoryReactor:
// a protocol.ReactorTCP, ReactorUNIX, ReactorUDP, ReactorSSL and
// ReactorProcess whose every attempt fails with
// the error the test set, for testing how code copes. A nil error field
// means ErrRefused. It records nothing.
//
// ListenTCP, ListenUNIX, ListenUDP and SpawnProcess return their error, as
// Twisted's listenTCP raises. ConnectTCP (and ConnectUNIX) has no error result in braid (nothing fails
// synchronously, as in Twisted's real reactors), so where Twisted's double
// raises, this one reports the failure to the factory — synchronously,
// inside ConnectTCP, where a real reactor reports it on a later pass.
//
// The zero value is ready to use.
type RaisingMemoryReactor struct {
	// ListenErr is what ListenTCP, ListenUNIX, ListenUDP and
	// ListenMulticast fail with (Twisted's listenException).
	ListenErr error
	// ConnectErr is the reason ConnectTCP and ConnectUNIX report
	// (Twisted's connectException).
	ConnectErr error
	// SpawnErr is what SpawnProcess fails with. Beyond Twisted.
	SpawnErr error
}

var (
	_ protocol.ReactorTCP     = (*RaisingMemoryReactor)(nil)
	_ protocol.ReactorProcess = (*RaisingMemoryReactor)(nil)
	_ protocol.ReactorUNIX    = (*RaisingMemoryReactor)(nil)
	_ protocol.ReactorUDP     = (*RaisingMemoryReactor)(nil)
)

func orRefused(err error) error {
	if err == nil {
		return ErrRefused
	}
	return err
}

// ListenTCP returns ListenErr; the factory is not started.
func (r *RaisingMemoryReactor) ListenTCP(port int, factory protocol.Factory, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	return nil, orRefused(r.ListenErr)
}

// ConnectTCP binds factory and calls, as a failing attempt on the real
// reactor does, DoStart, StartedConnecting, ClientConnectionFailed with a
// Failure wrapping ConnectErr, and DoStop; all before it returns the
// FakeConnector it passed them.
func (r *RaisingMemoryReactor) ConnectTCP(host string, port int, factory protocol.ClientFactory, opts protocol.ConnectTCPOptions) protocol.Connector {
	c := &FakeConnector{Host: host, Port: port, Factory: factory}
	raiseConnect(c, factory, r.ConnectErr)
	return c
}

func raiseConnect(c *FakeConnector, factory protocol.ClientFactory, err error) {
	protocol.Bind(factory)
	factory.DoStart()
	factory.StartedConnecting(c)
	factory.ClientConnectionFailed(c, reactor.NewFailure(orRefused(err)))
	factory.DoStop()
}

// SpawnProcess returns SpawnErr; proto is never called, as when the real
// reactor fails to start a child.
func (r *RaisingMemoryReactor) SpawnProcess(proto protocol.ProcessProtocol, executable string, args []string, opts protocol.SpawnOptions) (protocol.ProcessTransport, error) {
	return nil, orRefused(r.SpawnErr)
}
