//go:build !unix

package tcp

import (
	"errors"
	"testing"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// failedFactory is a client factory of the user's own, embedding the base
// that must be bound before DoStart.
type failedFactory struct {
	protocol.BaseClientFactory
	started int
	reason  *reactor.Failure
	done    func()
}

func (f *failedFactory) StartFactory() { f.started++ }

func (f *failedFactory) ClientConnectionFailed(_ protocol.Connector, reason *reactor.Failure) {
	f.reason = reason
	f.done()
}

// Without sockets, ConnectTCP, ConnectUNIX and ConnectSSL bind the factory,
// as the real connectors do, and report ErrUnsupported through
// ClientConnectionFailed instead of panicking in DoStart.
func TestConnect_UnsupportedBindsFactory(t *testing.T) {
	for name, connect := range map[string]func(*reactor.Reactor, protocol.ClientFactory) protocol.Connector{
		"tcp": func(r *reactor.Reactor, f protocol.ClientFactory) protocol.Connector {
			return Connect(r, "127.0.0.1", 80, f, protocol.ConnectTCPOptions{})
		},
		"unix": func(r *reactor.Reactor, f protocol.ClientFactory) protocol.Connector {
			return ConnectUNIX(r, "sock", f, protocol.ConnectUNIXOptions{})
		},
		"ssl": func(r *reactor.Reactor, f protocol.ClientFactory) protocol.Connector {
			return ConnectSSL(r, "127.0.0.1", 80, f, nil, protocol.ConnectTCPOptions{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := reactor.New()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			f := &failedFactory{done: func() { _ = r.Stop() }}
			r.CallWhenRunning(func() { connect(r, f) })
			r.CallLater(10*time.Second, func() { _ = r.Stop() })
			if err := r.Run(); err != nil {
				t.Fatal(err)
			}
			if f.started != 1 || !errors.Is(f.reason, errors.ErrUnsupported) {
				t.Errorf("StartFactory ran %d times; reason %v, want ErrUnsupported", f.started, f.reason)
			}
		})
	}
}
