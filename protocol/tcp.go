package protocol

import (
	"errors"
	"net"
	"time"

	"github.com/braid-go/braid/reactor"
)

// ReactorTCP ports IReactorTCP: listening for and making TCP connections.
// braid.Reactor implements it on real sockets; a fake implements it by
// recording the calls.
type ReactorTCP interface {
	// ListenTCP ports listenTCP (T-04): listen on opts.Interface:port and
	// call factory.BuildProtocol for each connection accepted. port 0 picks
	// a free port (GetHost says which). Any failure (address in use, bad
	// interface) is returned at once as a *CannotListenError, and the
	// factory is not started; on success factory.DoStart has run.
	ListenTCP(port int, factory Factory, opts ListenTCPOptions) (ListeningPort, error)
	// ConnectTCP ports connectTCP: start connecting to host:port and report
	// to factory (StartedConnecting at once; later BuildProtocol and the
	// protocol's MakeConnection on success, or ClientConnectionFailed). As
	// in Twisted nothing fails synchronously: a bad address, a refused
	// connection or a timeout all arrive through ClientConnectionFailed.
	ConnectTCP(host string, port int, factory ClientFactory, opts ConnectTCPOptions) Connector
}

// ListeningPort ports IListeningPort: what ListenTCP returns.
type ListeningPort interface {
	// StopListening ports stopListening (T-04): the port stops accepting;
	// on a later pass the factory's DoStop runs and the returned Deferred
	// fires with nil. A second call returns nil.
	StopListening() *reactor.Deferred
	// GetHost ports getHost: the address listened on (a *net.TCPAddr for
	// TCP), with the real port number when 0 was asked for.
	GetHost() net.Addr
}

// Connector ports IConnector: one outgoing connection attempt and the
// connection it makes, reported to a ClientFactory. Connect may be called
// again after the connection failed or ended, to reconnect.
type Connector interface {
	// Connect ports connect: start a (new) attempt. It returns
	// ErrAlreadyConnecting unless the connector is disconnected.
	Connect() error
	// StopConnecting ports stopConnecting: abandon the attempt in progress;
	// the factory gets ClientConnectionFailed with a *ConnectError wrapping
	// ErrUserStopped. It returns ErrNotConnecting if no attempt is in
	// progress.
	StopConnecting() error
	// Disconnect ports disconnect: stop connecting, or lose the connection.
	Disconnect()
	// GetDestination ports getDestination: where the connector connects to
	// (a *net.TCPAddr for TCP, whose IP is nil when the host is a name).
	GetDestination() net.Addr
}

// TCPTransport ports ITCPTransport: the Transport of a TCP connection,
// which is also a Consumer (flow control for what is written to it) and a
// [PushProducer] (pausing it stops reading from the socket).
type TCPTransport interface {
	Transport
	Consumer
	PushProducer
	// AbortConnection ports abortConnection (T-05): drop what is queued
	// and close at once; the protocol gets ConnectionLost with
	// reactor.ErrConnectionAborted, the peer a reset.
	AbortConnection()
	// LoseWriteConnection ports loseWriteConnection: once the queue is
	// sent, shut down the writing half and keep reading.
	LoseWriteConnection()
	GetTCPNoDelay() (bool, error)
	SetTCPNoDelay(enabled bool) error
	GetTCPKeepAlive() (bool, error)
	SetTCPKeepAlive(enabled bool) error
}

// Twisted's TCP defaults, used where the options leave a field zero.
const (
	// DefaultBacklog is listenTCP's backlog.
	DefaultBacklog = 50
	// DefaultConnectTimeout is connectTCP's timeout.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultBufferSize is FileDescriptor.bufferSize (64 KiB): the size of
	// one read, and the write-buffer level above which a registered
	// streaming producer is paused; it is resumed once the buffer has
	// drained completely (Twisted's high and low water marks).
	DefaultBufferSize = 1 << 16
)

// ListenTCPOptions are listenTCP's keyword arguments. The zero value is
// Twisted's default: every IPv4 address, a backlog of 50, Twisted's
// connection handling.
type ListenTCPOptions struct {
	// Interface is the address to listen on, an IP literal; "" means every
	// IPv4 address (Twisted's interface=''); an IPv6 literal ("::1", "::")
	// makes an IPv6 port.
	Interface string
	// Backlog is listen(2)'s backlog; 0 means DefaultBacklog.
	Backlog int
	// Conn tunes each connection the port accepts.
	Conn TCPConnOptions
}

// ConnectTCPOptions are connectTCP's keyword arguments. The zero value is
// Twisted's default: a 30 s timeout, no bind address, Twisted's connection
// handling.
type ConnectTCPOptions struct {
	// Timeout bounds the connect: when it passes first, the factory gets
	// ClientConnectionFailed with a *TimeoutError. 0 means
	// DefaultConnectTimeout; see NoTimeout.
	Timeout time.Duration
	// NoTimeout waits as long as the kernel does (Twisted's timeout=None);
	// Timeout is then ignored.
	NoTimeout bool
	// BindAddress is the local address to bind the socket to before
	// connecting (Twisted's bindAddress); nil lets the kernel choose. Port 0
	// picks any port.
	BindAddress *net.TCPAddr
	// Conn tunes the connection made.
	Conn TCPConnOptions
}

// TCPConnOptions tune how a TCP connection reads and writes. They are fixed
// when the connection is made. The zero value is Twisted's behaviour.
type TCPConnOptions struct {
	// BufferSize is the size of one read and the write buffer's high-water
	// mark (see DefaultBufferSize); 0 means DefaultBufferSize, and values
	// above 256 KiB are cut to it. Twisted's bufferSize.
	BufferSize int

	// ReuseReadBuffer promises that the protocol's DataReceived does not
	// keep the slice it is given, nor any part of it, once it returns — it
	// copies what it keeps, as Write does. Every read then goes into the
	// same memory, and a bulk transfer allocates nothing per read. Beyond
	// Twisted, whose reads are fresh bytes objects: by default braid gives
	// each DataReceived memory of its own too, which in Go costs
	// garbage-collector work in proportion to the bytes read.
	ReuseReadBuffer bool

	// WriteThrough makes Write hand data to the kernel at once when nothing
	// is queued (what a Go net.Conn does), queueing only what the kernel
	// does not take. Twisted — and braid by default — queues every write
	// and sends on the next reactor pass, which coalesces the writes of one
	// callback into one send(2). Beyond Twisted: the bytes, their order and
	// every event are the same either way, only sent sooner; but separate
	// small writes then leave as separate segments, so a protocol that
	// writes a message in pieces should also SetTCPNoDelay(true).
	WriteThrough bool
}

// Errors of Connector.
var (
	// ErrNotConnecting ports error.NotConnectingError: StopConnecting on a
	// connector that is not connecting.
	ErrNotConnecting = errors.New("tcp connector: not connecting")
	// ErrAlreadyConnecting is returned by Connector.Connect when the
	// connector is connecting or connected (Twisted raises RuntimeError).
	ErrAlreadyConnecting = errors.New("tcp connector: can't connect in this state")
	// ErrUserStopped is the OSError of the *ConnectError a connection
	// attempt fails with when StopConnecting (or Disconnect) ends it:
	// Twisted's error.UserError ("User aborted connection").
	ErrUserStopped = errors.New("user aborted connection")
)
