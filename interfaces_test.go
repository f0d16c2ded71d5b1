package braid_test

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// probeReactor is all probe needs: Twisted's IReactorTime, IReactorTCP and
// IReactorProcess.
type probeReactor interface {
	reactor.Time
	protocol.ReactorTCP
	protocol.ReactorProcess
}

// probe is user code written against braid's interfaces alone, in the way
// twisted.runner.procmon is written against the reactor's: it starts a
// child whose first line of output names a TCP port, waits delay, connects
// there, sends "ping\n" and fires with what comes back before the server
// closes.
func probe(r probeReactor, exe string, args []string, delay time.Duration) *reactor.Deferred {
	result := reactor.NewDeferred(nil)
	watcher := &portWatcher{onPort: func(port int) {
		r.CallLater(delay, func() {
			cc := protocol.NewClientCreator(r, func() protocol.Protocol {
				return &pinger{done: func(reply []byte) { _ = result.Callback(string(reply)) }}
			})
			cc.ConnectTCP("127.0.0.1", port, protocol.ConnectTCPOptions{}).AddErrback(func(f *reactor.Failure) (any, error) {
				_ = result.Errback(f)
				return nil, nil
			})
		})
	}}
	if _, err := r.SpawnProcess(watcher, exe, args, protocol.SpawnOptions{}); err != nil {
		return reactor.Fail(err)
	}
	return result
}

// portWatcher reads the child's stdout until it has a line with a port.
type portWatcher struct {
	protocol.BaseProcessProtocol
	out    []byte
	onPort func(int)
}

func (w *portWatcher) OutReceived(b []byte) {
	w.out = append(w.out, b...)
	if line, _, ok := bytes.Cut(w.out, []byte("\n")); ok && w.onPort != nil {
		port, _ := strconv.Atoi(strings.TrimSpace(string(line)))
		w.onPort(port)
		w.onPort = nil
	}
}

// pinger sends a line and collects the reply until the connection ends.
type pinger struct {
	protocol.BaseProtocol
	reply []byte
	done  func([]byte)
}

func (p *pinger) ConnectionMade()                        { p.Transport.Write([]byte("ping\n")) }
func (p *pinger) DataReceived(b []byte)                  { p.reply = append(p.reply, b...) }
func (p *pinger) ConnectionLost(reason *reactor.Failure) { p.done(p.reply) }

// lineEcho writes back each chunk and closes after a newline.
type lineEcho struct{ protocol.BaseProtocol }

func (e *lineEcho) DataReceived(b []byte) {
	e.Transport.Write(append([]byte("echo: "), b...))
	if bytes.IndexByte(b, '\n') >= 0 {
		e.Transport.LoseConnection()
	}
}

// The same user function runs on the real reactor — a real child, a real
// loopback connection — and on a hand-written fake of the three
// interfaces, driven by hand with a Clock.
func TestInterfaces_OneFunctionRealAndFake(t *testing.T) {
	t.Run("real reactor", func(t *testing.T) {
		r, err := braid.New()
		if err != nil {
			t.Fatal(err)
		}
		var got any
		r.CallWhenRunning(func() {
			server, err := r.ListenTCP(0, protocol.FactoryFor(func() protocol.Protocol { return &lineEcho{} }),
				protocol.ListenTCPOptions{Interface: "127.0.0.1"})
			if err != nil {
				t.Error(err)
				_ = r.Stop()
				return
			}
			port := server.GetHost().(*net.TCPAddr).Port
			probe(r, "/bin/sh", []string{"sh", "-c", "echo " + strconv.Itoa(port)}, 10*time.Millisecond).
				AddBoth(func(v any) (any, error) {
					got = v
					server.StopListening().AddBoth(func(any) (any, error) { return nil, r.Stop() })
					return nil, nil
				})
		})
		guard := time.AfterFunc(10*time.Second, func() { r.CallFromThread(func() { _ = r.Stop() }) })
		defer guard.Stop()
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		if got != "echo: ping\n" {
			t.Errorf("probe on the real reactor gave %v", got)
		}
	})

	t.Run("hand-written fake", func(t *testing.T) {
		fake := &fakeReactor{}
		d := probe(fake, "/usr/bin/server", []string{"server", "--port=0"}, time.Second)
		// The child says where it listens; nothing connects before delay.
		fake.child.ChildDataReceived(1, []byte("4321\n"))
		if len(fake.connects) != 0 {
			t.Fatalf("connected before the delay: %v", fake.connects)
		}
		fake.clock.Advance(time.Second)
		fake.clock.Advance(0) // ClientCreator hands the protocol on in a later call
		want := []string{"spawn /usr/bin/server [server --port=0]", "connect 127.0.0.1:4321"}
		if diff := cmp.Diff(want, fake.calls); diff != "" {
			t.Errorf("calls the function made (-want +got):\n%s", diff)
		}
		if got := d.Result(); got != "echo: ping\n" {
			t.Errorf("probe on the fake gave %v", got)
		}
	})
}

// fakeReactor implements reactor.Time, protocol.ReactorTCP and
// protocol.ReactorProcess in memory: time is a Clock, a connect succeeds at
// once to an in-memory lineEcho, and a spawn records the child's protocol
// for the test to drive.
type fakeReactor struct {
	clock    reactor.Clock
	calls    []string
	connects []string
	child    protocol.ProcessProtocol
}

func (f *fakeReactor) Seconds() float64 { return f.clock.Seconds() }
func (f *fakeReactor) CallLater(d time.Duration, fn func()) *reactor.DelayedCall {
	return f.clock.CallLater(d, fn)
}
func (f *fakeReactor) GetDelayedCalls() []*reactor.DelayedCall { return f.clock.GetDelayedCalls() }

func (f *fakeReactor) ListenTCP(port int, factory protocol.Factory, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	f.calls = append(f.calls, "listen "+strconv.Itoa(port))
	return nil, &protocol.CannotListenError{Port: port, Err: syscall.EOPNOTSUPP}
}

func (f *fakeReactor) ConnectTCP(host string, port int, factory protocol.ClientFactory, opts protocol.ConnectTCPOptions) protocol.Connector {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	f.calls = append(f.calls, "connect "+addr)
	f.connects = append(f.connects, addr)
	protocol.Bind(factory)
	factory.DoStart()
	client := factory.BuildProtocol(nil)
	server := &lineEcho{}
	a, b := &memTransport{}, &memTransport{}
	a.peer, b.peer = b, a
	a.proto, b.proto = client, server
	protocol.Bind(client)
	protocol.Bind(server)
	server.MakeConnection(b)
	client.MakeConnection(a)
	return nil
}

func (f *fakeReactor) SpawnProcess(proto protocol.ProcessProtocol, exe string, args []string, opts protocol.SpawnOptions) (protocol.ProcessTransport, error) {
	f.calls = append(f.calls, "spawn "+exe+" ["+strings.Join(args, " ")+"]")
	f.child = proto
	t := &memProcess{}
	protocol.Bind(proto)
	proto.MakeConnection(t)
	return t, nil
}

// memTransport delivers writes to its peer at once; LoseConnection ends
// both sides.
type memTransport struct {
	peer  *memTransport
	proto protocol.Protocol
	lost  bool
}

func (m *memTransport) Write(b []byte) {
	if !m.lost {
		m.peer.proto.DataReceived(bytes.Clone(b))
	}
}
func (m *memTransport) WriteSequence(bs [][]byte) { m.Write(bytes.Join(bs, nil)) }
func (m *memTransport) GetHost() net.Addr         { return nil }
func (m *memTransport) GetPeer() net.Addr         { return nil }
func (m *memTransport) LoseConnection() {
	for _, s := range []*memTransport{m, m.peer} {
		if !s.lost {
			s.lost = true
			s.proto.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionDone))
		}
	}
}

// memProcess is a process transport that does nothing.
type memProcess struct{}

func (memProcess) Pid() int                           { return 1 }
func (memProcess) Write([]byte)                       {}
func (memProcess) WriteSequence([][]byte)             {}
func (memProcess) WriteToChild(int, []byte) error     { return nil }
func (memProcess) CloseChildFD(int)                   {}
func (memProcess) CloseStdin()                        {}
func (memProcess) CloseStdout()                       {}
func (memProcess) CloseStderr()                       {}
func (memProcess) LoseConnection()                    {}
func (memProcess) SignalProcess(syscall.Signal) error { return nil }
func (memProcess) PauseProducing()                    {}
func (memProcess) ResumeProducing()                   {}
