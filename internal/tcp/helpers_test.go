//go:build unix

package tcp

import (
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"golang.org/x/sys/unix"
)

// tcpReactor returns a reactor whose logged errors fail the test.
func tcpReactor(t testing.TB) *reactor.Reactor {
	t.Helper()
	r, err := reactor.New(reactor.WithErrorObserver(func(ev reactor.ErrorEvent) {
		t.Errorf("reactor logged an error (%s): %v", ev.Why, ev.Failure)
	}))
	if err != nil {
		t.Fatalf("reactor.New: %v", err)
	}
	return r
}

// tcpRecorder is a protocol that records what happens to it.
type tcpRecorder struct {
	protocol.BaseProtocol
	events []string
	data   []byte
	reason *reactor.Failure
	lost   int
	onMade func(p *tcpRecorder)
	onData func(p *tcpRecorder, b []byte)
	onLost func(p *tcpRecorder)
}

func (p *tcpRecorder) ConnectionMade() {
	p.events = append(p.events, "made")
	if p.onMade != nil {
		p.onMade(p)
	}
}

func (p *tcpRecorder) DataReceived(b []byte) {
	if len(p.events) == 0 || p.events[len(p.events)-1] != "data" {
		p.events = append(p.events, "data")
	}
	p.data = append(p.data, b...)
	if p.onData != nil {
		p.onData(p, b)
	}
}

func (p *tcpRecorder) ConnectionLost(reason *reactor.Failure) {
	p.lost++
	p.reason = reason
	p.events = append(p.events, "lost:"+testkit.ReasonKind(reason))
	if p.onLost != nil {
		p.onLost(p)
	}
}

// tcpEcho writes back what it receives.
type tcpEcho struct{ protocol.BaseProtocol }

func (e *tcpEcho) DataReceived(b []byte) { e.Transport.Write(b) }

// tcpListen starts a port on 127.0.0.1 with a fresh port number.
func tcpListen(t testing.TB, r *reactor.Reactor, f protocol.Factory) *Port {
	t.Helper()
	return tcpListenWith(t, r, f, protocol.TCPConnOptions{})
}

// tcpListenWith is tcpListen whose accepted connections are tuned by conn.
func tcpListenWith(t testing.TB, r *reactor.Reactor, f protocol.Factory, conn protocol.TCPConnOptions) *Port {
	t.Helper()
	p, err := Listen(r, 0, f, protocol.ListenTCPOptions{Interface: "127.0.0.1", Conn: conn})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return p
}

// tcpReactorTCP adapts a core reactor to protocol.ReactorTCP with this
// package's Listen and Connect, as braid.Reactor does (the root package
// imports this one, so its tests cannot use braid.Reactor).
type tcpReactorTCP struct{ *reactor.Reactor }

var _ protocol.ClientCreatorReactor = tcpReactorTCP{}

func (r tcpReactorTCP) ListenTCP(port int, f protocol.Factory, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	p, err := Listen(r.Reactor, port, f, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (r tcpReactorTCP) ConnectTCP(host string, port int, f protocol.ClientFactory, opts protocol.ConnectTCPOptions) protocol.Connector {
	return Connect(r.Reactor, host, port, f, opts)
}

// tcpClientCreator is protocol.NewClientCreator on r.
func tcpClientCreator(r *reactor.Reactor, newProto func() protocol.Protocol) *protocol.ClientCreator {
	return protocol.NewClientCreator(tcpReactorTCP{r}, newProto)
}

func tcpPortOf(p *Port) int { return p.GetHost().(*net.TCPAddr).Port }

// tcpOpenFDs counts this process's open descriptors.
func tcpOpenFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("read /proc/self/fd: %v", err)
	}
	return len(ents)
}

// tcpSettleGoroutines waits briefly for goroutines started by others (the
// resolver, the testing package) to finish, and returns the count.
func tcpSettleGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100 && n > want; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func tcpContains(s, sub string) bool { return strings.Contains(s, sub) }

// smallSocketBuffers caps the kernel's buffers of c at about 64 KiB each
// way, so that a test needs only a few MiB, not tens of them, to get past
// what loopback sockets hold (their auto-tuned buffers reach several MiB)
// and exercise the transport's own buffer; that keeps -race runs short on
// a busy machine.
func smallSocketBuffers(t *testing.T, c *Conn) {
	t.Helper()
	for _, opt := range []int{unix.SO_SNDBUF, unix.SO_RCVBUF} {
		if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, opt, 64<<10); err != nil {
			t.Errorf("setsockopt: %v", err)
		}
	}
}
