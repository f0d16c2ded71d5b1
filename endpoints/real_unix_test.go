//go:build unix

package endpoints_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/braid-go/braid/endpoints"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// unix: descriptions on braid.Reactor and a real socket file: the server's
// mode and lock file are applied, and a client reaches it by path.
func TestRealUNIXEndpointsFromStrings(t *testing.T) {
	r := newReactor(t)
	path := filepath.Join(t.TempDir(), "echo.sock")
	server, err := endpoints.ServerFromString(r, "unix:"+endpoints.QuoteStringArgument(path)+":mode=600:lockfile=1")
	if err != nil {
		t.Fatal(err)
	}
	client, err := endpoints.ClientFromString(r, "unix:path="+endpoints.QuoteStringArgument(path)+":checkPID=1")
	if err != nil {
		t.Fatal(err)
	}
	p := &pinger{}
	testkit.RunUntil(t, r, 60*time.Second, func(stop func()) {
		p.done = stop
		v, err := result(t, server.Listen(protocol.FactoryFor(func() protocol.Protocol { return &echo{} })))
		if err != nil {
			t.Fatal(err)
		}
		lp := v.(protocol.ListeningPort)
		t.Cleanup(func() { lp.StopListening() })
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("socket file: %v, mode %v; want mode 0600", err, fi.Mode().Perm())
		}
		if _, err := os.Lstat(path + ".lock"); err != nil {
			t.Errorf("lockfile=1 left no lock file: %v", err)
		}
		endpoints.ConnectProtocol(client, p).AddErrback(func(f *reactor.Failure) (any, error) {
			t.Errorf("connect: %v", f)
			stop()
			return nil, nil
		})
	})
	if string(p.got) != "ping" {
		t.Errorf("client read %q, want the echoed ping", p.got)
	}
}
