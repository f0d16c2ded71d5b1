//go:build unix

package tcp

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// unixReactor adds ListenUNIX and ConnectUNIX to tcpReactorTCP, as
// braid.Reactor does, for protocol.ClientCreator.
type unixReactor struct{ tcpReactorTCP }

func (r unixReactor) ListenUNIX(address string, f protocol.Factory, opts protocol.ListenUNIXOptions) (protocol.ListeningPort, error) {
	p, err := ListenUNIX(r.Reactor, address, f, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (r unixReactor) ConnectUNIX(address string, f protocol.ClientFactory, opts protocol.ConnectUNIXOptions) protocol.Connector {
	return ConnectUNIX(r.Reactor, address, f, opts)
}

var _ protocol.ReactorUNIX = unixReactor{}

func unixPath(t testing.TB) string { return filepath.Join(t.TempDir(), "sock") }

// unixPair listens on address, connects one client to it and calls ready
// with both ends once each has ConnectionMade; stop ends the run.
func unixPair(t *testing.T, r *reactor.Reactor, address string, server, client *tcpRecorder, ready func(p *Port, stop func())) {
	t.Helper()
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		made := 0
		both := func(*tcpRecorder) {
			if made++; made == 2 {
				ready(nil, stop)
			}
		}
		server.onMade, client.onMade = both, both
		p, err := ListenUNIX(r, address, protocol.FactoryFor(func() protocol.Protocol { return server }), protocol.ListenUNIXOptions{})
		if err != nil {
			t.Error(err)
			stop()
			return
		}
		t.Cleanup(func() { p.ConnectionLost(nil) })
		ready = func(ready func(*Port, func())) func(*Port, func()) {
			return func(_ *Port, stop func()) { ready(p, stop) }
		}(ready)
		cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return client })
		cc.ConnectUNIX(address, protocol.ConnectUNIXOptions{}).AddErrback(func(f *reactor.Failure) (any, error) {
			t.Errorf("connect: %v", f)
			stop()
			return nil, nil
		})
	})
}

// Ports test_dumber, test_peerBind and test_addresses: data both ways, the
// addresses each end reports, and the socket file removed on close.
func TestUNIX_ConnectExchangeAddresses(t *testing.T) {
	addresses := []string{unixPath(t)}
	if runtime.GOOS == "linux" {
		addresses = append(addresses, "\x00braid-test-"+strconv.Itoa(os.Getpid()))
	}
	for _, address := range addresses {
		t.Run(strconv.Quote(address), func(t *testing.T) {
			r := tcpReactor(t)
			server, client := &tcpRecorder{}, &tcpRecorder{}
			server.onData = func(p *tcpRecorder, b []byte) { p.Transport.Write(append([]byte("re:"), b...)) }
			client.onData = func(p *tcpRecorder, b []byte) { p.Transport.LoseConnection() }
			var port *Port
			type addrs struct{ ServerHost, ServerPeer, ClientHost, ClientPeer, Dest, PortHost string }
			var got addrs
			unixPair(t, r, address, server, client, func(p *Port, stop func()) {
				port = p
				got = addrs{server.Transport.GetHost().String(), server.Transport.GetPeer().String(),
					client.Transport.GetHost().String(), client.Transport.GetPeer().String(), "", p.GetHost().String()}
				for _, a := range []net.Addr{server.Transport.GetHost(), client.Transport.GetPeer(), p.GetHost()} {
					if _, ok := a.(*net.UnixAddr); !ok {
						t.Errorf("address %v is a %T", a, a)
					}
				}
				client.Transport.Write([]byte("hello"))
				server.onLost = func(*tcpRecorder) { stop() }
			})
			want := addrs{address, "", "", address, "", address}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
			if string(server.data) != "hello" || string(client.data) != "re:hello" {
				t.Errorf("server got %q, client %q", server.data, client.data)
			}
			port.StopListening()
			if _, err := os.Stat(address); inFilesystem(address) && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("socket file left after StopListening: %v", err)
			}
			if !strings.HasPrefix(port.String(), "UNIX port ") {
				t.Errorf("String = %q", port.String())
			}
		})
	}
}

// Ports test_mode: the socket file gets the mode asked for, 0666 by
// default.
func TestUNIX_Mode(t *testing.T) {
	r := tcpReactor(t)
	for _, c := range []struct {
		mode, want fs.FileMode
	}{{0, 0o666}, {0o600, 0o600}, {0o640, 0o640}} {
		path := unixPath(t)
		p, err := ListenUNIX(r, path, protocol.FactoryFor(nil), protocol.ListenUNIXOptions{Mode: c.mode})
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != c.want {
			t.Errorf("Mode %o: file mode %v, want a socket with %o", c.mode, fi.Mode(), c.want)
		}
		p.ConnectionLost(nil)
	}
}

// Ports test_listenFailure and the nil checks: failures are a
// *CannotListenError naming the address, and the factory is not started.
func TestUNIX_ListenFailures(t *testing.T) {
	r := tcpReactor(t)
	inUse := unixPath(t)
	p, err := ListenUNIX(r, inUse, protocol.FactoryFor(nil), protocol.ListenUNIXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.ConnectionLost(nil)
	cases := []struct {
		name, address string
		want          error
	}{
		{"no such directory", filepath.Join(t.TempDir(), "missing", "sock"), syscall.ENOENT},
		{"address in use", inUse, syscall.EADDRINUSE},
	}
	for _, c := range cases {
		f := &countingFactory{}
		_, err := ListenUNIX(r, c.address, f, protocol.ListenUNIXOptions{})
		cle, ok := errors.AsType[*protocol.CannotListenError](err)
		if !ok || !errors.Is(err, c.want) || cle.Address != c.address || !strings.Contains(err.Error(), c.address) {
			t.Errorf("%s: error %v", c.name, err)
		}
		if f.started != 0 {
			t.Errorf("%s: factory started", c.name)
		}
	}
	if _, err := ListenUNIX(r, unixPath(t), nil, protocol.ListenUNIXOptions{}); err == nil {
		t.Error("nil factory accepted")
	}
}

type countingFactory struct {
	protocol.BaseFactory
	started int
}

func (f *countingFactory) StartFactory() { f.started++ }

// Ports the connect failures of test_unix: a missing file, a file nobody
// listens on, and (test_connectToUncleanServer) CheckPID with no live
// holder.
func TestUNIX_ConnectFailures(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: stale}); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd) // bound, never listened on, closed: refused
	cases := []struct {
		name, address string
		opts          protocol.ConnectUNIXOptions
		check         func(error) bool
	}{
		{"missing file", filepath.Join(dir, "none"), protocol.ConnectUNIXOptions{}, func(err error) bool { return errors.Is(err, syscall.ENOENT) }},
		{"nobody listening", stale, protocol.ConnectUNIXOptions{}, func(err error) bool {
			_, ok := errors.AsType[*protocol.ConnectionRefusedError](err)
			return ok
		}},
		{"CheckPID without a lock", stale, protocol.ConnectUNIXOptions{CheckPID: true}, func(err error) bool {
			_, ok := errors.AsType[*protocol.BadFileError](err)
			return ok
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := tcpReactor(t)
			var got error
			testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
				cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return &tcpRecorder{} })
				cc.ConnectUNIX(c.address, c.opts).AddBoth(func(v any) (any, error) {
					if f, ok := v.(*reactor.Failure); ok {
						got = f
					}
					stop()
					return nil, nil
				})
			})
			if _, ok := errors.AsType[*protocol.ConnectError](got); !ok || !c.check(got) {
				t.Errorf("failure %v", got)
			}
		})
	}
}

// Ports test_pidFile, test_socketLocking and
// test_uncleanServerSocketLocking: WantPID holds address.lock naming this
// process; a second port is refused while it does; a lock left by a dead
// process, and its socket file, are taken over.
func TestUNIX_WantPIDLocking(t *testing.T) {
	r := tcpReactor(t)
	path := unixPath(t)
	lock := path + ".lock"
	p, err := ListenUNIX(r, path, protocol.FactoryFor(nil), protocol.ListenUNIXOptions{WantPID: true})
	if err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(lock); err != nil || target != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock names %q (%v), want our pid", target, err)
	}
	if locked, err := reactor.IsLocked(lock); !locked || err != nil {
		t.Error("isLocked says the live lock is free")
	}
	_, err = ListenUNIX(r, path, protocol.FactoryFor(nil), protocol.ListenUNIXOptions{WantPID: true})
	if !errors.Is(err, protocol.ErrLockHeld) {
		t.Errorf("second WantPID port: %v, want ErrLockHeld", err)
	}
	p.ConnectionLost(nil)
	for _, f := range []string{path, lock} {
		if _, err := os.Lstat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left after the port closed (%v)", f, err)
		}
	}

	// A process that died holding the lock, leaving its socket file.
	dead := deadPID(t)
	if err := os.Symlink(strconv.Itoa(dead), lock); err != nil {
		t.Fatal(err)
	}
	fd, _ := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	if locked, err := reactor.IsLocked(lock); locked || err != nil {
		t.Error("isLocked says a dead process's lock is held")
	}
	// isLocked took the stale lock over and released it, as Twisted's
	// does: put it back.
	if err := os.Symlink(strconv.Itoa(dead), lock); err != nil {
		t.Fatal(err)
	}
	p, err = ListenUNIX(r, path, protocol.FactoryFor(nil), protocol.ListenUNIXOptions{WantPID: true})
	if err != nil {
		t.Fatalf("taking over a stale lock and socket: %v", err)
	}
	if !p.unix.lock.Locked() || p.unix.lock.Clean() {
		t.Errorf("lock locked %v clean %v, want true false", p.unix.lock.Locked(), p.unix.lock.Clean())
	}
	p.ConnectionLost(nil)
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

// Ports test_buildProtocolReturnsNone for UNIX: a factory that refuses
// closes the connection; the client sees it end.
func TestUNIX_FactoryRefuses(t *testing.T) {
	r := tcpReactor(t)
	path := unixPath(t)
	client := &tcpRecorder{}
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		f := protocol.FactoryFor(func() protocol.Protocol { return nil })
		p, err := ListenUNIX(r, path, f, protocol.ListenUNIXOptions{})
		if err != nil {
			t.Fatal(err)
		}
		client.onLost = func(*tcpRecorder) { p.StopListening(); stop() }
		cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return client })
		cc.ConnectUNIX(path, protocol.ConnectUNIXOptions{})
	})
	if diff := cmp.Diff([]string{"made", "lost:done"}, client.events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Peer credentials: each end sees this process (SO_PEERCRED on Linux).
func TestUNIX_PeerCredentials(t *testing.T) {
	r := tcpReactor(t)
	server, client := &tcpRecorder{}, &tcpRecorder{}
	var creds []protocol.PeerCredentials
	unixPair(t, r, unixPath(t), server, client, func(p *Port, stop func()) {
		for _, tr := range []protocol.Transport{server.Transport, client.Transport} {
			c, err := tr.(protocol.UNIXTransport).PeerCredentials()
			if err != nil {
				t.Fatal(err)
			}
			creds = append(creds, c)
		}
		stop()
	})
	want := protocol.PeerCredentials{PID: os.Getpid(), UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		want.PID = -1
	}
	if diff := cmp.Diff([]protocol.PeerCredentials{want, want}, creds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A TCP connection has no descriptors to pass nor peer credentials.
func TestUNIX_TCPConnectionRefusesUNIXMethods(t *testing.T) {
	c := &Conn{fd: -1}
	if err := c.SendFileDescriptor(0); !errors.Is(err, errNotUNIX) {
		t.Errorf("SendFileDescriptor on TCP: %v", err)
	}
	if _, err := c.PeerCredentials(); !errors.Is(err, errNotUNIX) {
		t.Errorf("PeerCredentials on TCP: %v", err)
	}
}

// A listener whose backlog is full makes a UNIX connect(2) say EAGAIN
// (where TCP's says EINPROGRESS); the socket then polls as hung up, and the
// attempt fails at once with a *ConnectError, as in Twisted (which gives
// ['connected', 'ConnectError', 'ConnectError', 'ConnectError'] for this
// listener of backlog 0 and four clients). It is never taken for
// connected, nor left to time out.
func TestUNIX_FullBacklogFailsTheConnect(t *testing.T) {
	path := unixPath(t)
	lfd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(lfd)
	if err := syscall.Bind(lfd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(lfd, 0); err != nil {
		t.Fatal(err)
	}
	r := tcpReactor(t)
	var results []string
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return &tcpRecorder{} })
		for range 4 {
			cc.ConnectUNIX(path, protocol.ConnectUNIXOptions{Timeout: 5 * time.Second}).AddBoth(func(v any) (any, error) {
				switch v := v.(type) {
				case *reactor.Failure:
					if _, ok := errors.AsType[*protocol.ConnectError](v); ok {
						results = append(results, "ConnectError")
					} else {
						results = append(results, "failed: "+v.Error())
					}
				default:
					results = append(results, "connected")
					v.(*tcpRecorder).Transport.LoseConnection()
				}
				if len(results) == 4 {
					stop()
				}
				return nil, nil
			})
		}
	})
	slices.Sort(results)
	if diff := cmp.Diff([]string{"ConnectError", "ConnectError", "ConnectError", "connected"}, results); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
