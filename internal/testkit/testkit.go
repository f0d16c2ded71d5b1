// Package testkit holds the helpers that braid's own tests share across
// packages: running a reactor under a time limit, naming a connection's
// end for event traces, and finding a free loopback port. It is for tests
// only; users have trial and braidtest.
package testkit

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/braid-go/braid/reactor"
)

// Reactor is what RunUntil drives: a *reactor.Reactor or a *braid.Reactor.
type Reactor interface {
	reactor.Core
	reactor.Time
}

// RunUntil runs r until stop is called, or until limit passes, which fails
// the test (limit only guards against a hang: tests end on events). start
// runs once the reactor is running.
func RunUntil(t testing.TB, r Reactor, limit time.Duration, start func(stop func())) {
	t.Helper()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = r.Stop()
		}
	}
	timer := r.CallLater(limit, func() {
		t.Errorf("reactor still running after %v", limit)
		stop()
	})
	r.CallWhenRunning(func() { start(stop) })
	if err := r.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if timer.Active() {
		_ = timer.Cancel()
	}
}

// ReasonKind names a ConnectionLost reason for event traces: nil, aborted,
// done, lost or other(message).
func ReasonKind(f *reactor.Failure) string {
	switch {
	case f == nil:
		return "nil"
	case errors.Is(f, reactor.ErrConnectionAborted):
		return "aborted"
	case errors.Is(f, reactor.ErrConnectionDone):
		return "done"
	case errors.Is(f, reactor.ErrConnectionLost):
		return "lost"
	}
	return "other(" + f.Error() + ")"
}

// FreePort returns a loopback port nobody listens on (it was just
// released).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
