package braid

import (
	"crypto/tls"

	"github.com/braid-go/braid/internal/process"
	"github.com/braid-go/braid/internal/tcp"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Reactor ports Twisted's reactor: the core loop, [reactor.Reactor], whose
// methods it has (Run, Stop, CallLater, CallFromThread, AddReader, …), plus
// IReactorTCP, IReactorUNIX, IReactorUDP, IReactorMulticast, IReactorSSL
// and IReactorProcess ([protocol.ReactorTCP], [protocol.ReactorUNIX],
// [protocol.ReactorUDP], [protocol.ReactorMulticast], [protocol.ReactorSSL],
// [protocol.ReactorProcess]) on real sockets and real child processes. Make
// one with [New]. Only CallFromThread may be called from
// other goroutines; everything else runs on the goroutine running Run (or
// before Run starts).
type Reactor struct {
	*reactor.Reactor
}

var (
	_ reactor.Core              = (*Reactor)(nil)
	_ reactor.Time              = (*Reactor)(nil)
	_ reactor.FromThreads       = (*Reactor)(nil)
	_ reactor.Threads           = (*Reactor)(nil)
	_ reactor.FDSet             = (*Reactor)(nil)
	_ reactor.ErrorLogger       = (*Reactor)(nil)
	_ protocol.ReactorTCP       = (*Reactor)(nil)
	_ protocol.ReactorProcess   = (*Reactor)(nil)
	_ protocol.ReactorUNIX      = (*Reactor)(nil)
	_ protocol.ReactorUDP       = (*Reactor)(nil)
	_ protocol.ReactorMulticast = (*Reactor)(nil)
	_ protocol.ReactorSSL       = (*Reactor)(nil)
)

// New returns a reactor that is not running yet, configured by opts (see
// [reactor.Option]: [reactor.WithErrorObserver], [reactor.WithDebugging],
// [reactor.WithSignalHandlers], [reactor.WithLogger]). It fails only when
// the kernel refuses the reactor's poller (see [reactor.New]). Call Run to
// start it; release a reactor that is never run, or only crashed, with
// Close.
func New(opts ...reactor.Option) (*Reactor, error) {
	core, err := reactor.New(opts...)
	if err != nil {
		return nil, err
	}
	return &Reactor{Reactor: core}, nil
}

// ListenTCP ports reactor.listenTCP (T-04): it listens on
// opts.Interface:port and calls factory.BuildProtocol for each connection
// accepted, whose transport is a [protocol.TCPTransport]. port 0 picks a free
// port (GetHost says which). The socket has SO_REUSEADDR, as in Twisted.
// Any failure (address in use, an interface that is not an IP literal) is
// returned at once as a [*protocol.CannotListenError], and the factory is not
// started; on success factory.DoStart has run. Call StopListening when
// finished; the reactor's shutdown also closes the port.
func (r *Reactor) ListenTCP(port int, factory protocol.Factory, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	p, err := tcp.Listen(r.Reactor, port, factory, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ConnectTCP ports reactor.connectTCP: it starts connecting to host:port
// and reports to factory (StartedConnecting at once; later BuildProtocol
// and the protocol's MakeConnection on success, or ClientConnectionFailed).
// host is an IP literal (IPv4 or IPv6, brackets optional) or a name,
// resolved off the reactor goroutine. As in Twisted, nothing fails
// synchronously: a bad address, a refused connection (a
// *protocol.ConnectionRefusedError) or a timeout (a *protocol.TimeoutError)
// all arrive through ClientConnectionFailed, and the connect(2) itself
// happens on the next reactor pass. A nil factory, which could not be told,
// is a programming error: ConnectTCP panics naming it.
func (r *Reactor) ConnectTCP(host string, port int, factory protocol.ClientFactory, opts protocol.ConnectTCPOptions) protocol.Connector {
	return tcp.Connect(r.Reactor, host, port, factory, opts)
}

// SpawnProcess ports reactor.spawnProcess (P-01..P-06): it starts
// executable with argv args (args[0] included, and free-form, as in
// Twisted), connects the child's descriptors as opts.ChildFDs says, and
// drives proto. Before it returns, the child is running and
// proto.MakeConnection (so ConnectionMade) has been called; a panic there
// is logged and the transport still returned (P-04). The transport is also
// a [protocol.GroupSignaler], and a [protocol.Consumer] for the child's
// stdin (a producer registered there is paused while 64 KiB waits).
//
// Environment, as in Twisted and unlike os/exec: the zero SpawnOptions
// gives the child an EMPTY environment (P-02); set InheritEnv for the
// parent's. An executable without a slash is looked up in the CHILD's
// PATH, or in /bin:/usr/bin when the child has none (P-03).
//
// Unlike Twisted, which reports a failed exec as a child that exits 1 with
// a traceback on stderr (P-05), SpawnProcess returns a [*protocol.SpawnError]:
// for a missing executable or working directory errors.Is(err,
// fs.ErrNotExist) holds, for one that cannot be executed errors.Is(err,
// fs.ErrPermission); the message names the path, and proto is never called.
//
// The child is reaped and signalled through a watcher of its own (a pidfd
// on Linux 5.4 and later, see docs/DESIGN.md for the other platforms):
// braid installs no SIGCHLD handler, never reaps another library's
// children, and signals a child only before it is reaped. On Windows
// SpawnProcess returns a [*protocol.SpawnError] wrapping
// errors.ErrUnsupported. A nil proto is replaced by one that discards
// everything.
func (r *Reactor) SpawnProcess(proto protocol.ProcessProtocol, executable string, args []string, opts protocol.SpawnOptions) (protocol.ProcessTransport, error) {
	p, err := process.Spawn(r.Reactor, proto, executable, args, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ListenSSL ports reactor.listenSSL: ListenTCP whose connections are TLS
// servers with config, run by Go's crypto/tls over the connection's bytes
// (Twisted's TLSMemoryBIOProtocol). A nil config or one without
// certificates is refused at once with a [*protocol.CannotListenError]
// wrapping [protocol.ErrTLSConfig]. Each protocol's transport is a
// [protocol.SSLTransport]; ConnectionMade runs before the handshake, and
// what it writes is sent once the handshake is done.
func (r *Reactor) ListenSSL(port int, factory protocol.Factory, config *tls.Config, opts protocol.ListenTCPOptions) (protocol.ListeningPort, error) {
	p, err := tcp.ListenSSL(r.Reactor, port, factory, config, opts)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ConnectSSL ports reactor.connectSSL: ConnectTCP, then a TLS client with
// config on the connection. A config without ServerName (and without
// InsecureSkipVerify) checks the server's certificate against host. A
// failed handshake reaches the protocol as ConnectionLost (and the factory
// as ClientConnectionLost) with a reason wrapping a [*protocol.TLSError],
// as in Twisted; a nil config fails through ClientConnectionFailed.
func (r *Reactor) ConnectSSL(host string, port int, factory protocol.ClientFactory, config *tls.Config, opts protocol.ConnectTCPOptions) protocol.Connector {
	return tcp.ConnectSSL(r.Reactor, host, port, factory, config, opts)
}
