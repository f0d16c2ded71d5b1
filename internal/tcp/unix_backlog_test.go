//go:build linux

package tcp

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// A UNIX socket whose listen backlog is full refuses a non-blocking
// connect with EAGAIN at once: nothing is in progress, so the attempt
// fails with that errno (Twisted waits for the socket, which then hangs
// up, and reports a closed connection instead, which hides the cause).
func TestUNIX_ConnectBacklogFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil { // never accepted: one pending connection fills it
		t.Fatal(err)
	}
	r := tcpReactor(t)
	const clients = 4
	var failures []error
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		ended := 0
		for range clients {
			cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return &tcpRecorder{} })
			cc.ConnectUNIX(path, protocol.ConnectUNIXOptions{}).AddBoth(func(v any) (any, error) {
				if f, ok := v.(*reactor.Failure); ok {
					failures = append(failures, f)
				} else {
					v.(*tcpRecorder).Transport.(protocol.TCPTransport).AbortConnection()
				}
				if ended++; ended == clients {
					stop()
				}
				return nil, nil
			})
		}
	})
	if len(failures) == 0 {
		t.Fatal("every client connected to a full backlog")
	}
	for _, err := range failures {
		if _, ok := errors.AsType[*protocol.ConnectError](err); !ok || !errors.Is(err, syscall.EAGAIN) {
			t.Errorf("failure %v, want a ConnectError wrapping EAGAIN", err)
		}
	}
}
