package protocol

import (
	"errors"
	"io/fs"
	"time"
)

// ReactorUNIX ports IReactorUNIX: listening for and making connections on
// UNIX stream sockets. An address is a filesystem path, or on Linux a name
// in the abstract namespace when it starts with a NUL byte ("\x00name"), as
// in Twisted (elsewhere such a name fails with an error wrapping
// errors.ErrUnsupported). braid.Reactor implements it; a fake records the
// calls.
type ReactorUNIX interface {
	// ListenUNIX ports listenUNIX: listen on address and call
	// factory.BuildProtocol for each connection accepted. Failures are
	// returned at once as a *CannotListenError.
	ListenUNIX(address string, factory Factory, opts ListenUNIXOptions) (ListeningPort, error)
	// ConnectUNIX ports connectUNIX: start connecting to address and report
	// to factory, as ConnectTCP does; nothing fails synchronously.
	ConnectUNIX(address string, factory ClientFactory, opts ConnectUNIXOptions) Connector
}

// ListenUNIXOptions are listenUNIX's keyword arguments. The zero value is
// Twisted's default: backlog 50, mode 0666, no lock file.
type ListenUNIXOptions struct {
	// Backlog is listen(2)'s backlog; 0 means DefaultBacklog.
	Backlog int
	// Mode is the socket file's permission bits; 0 means 0666.
	Mode fs.FileMode
	// WantPID makes the port hold a lock file (address + ".lock") naming
	// this process, as Twisted's wantPID: a socket file left by a dead
	// process is removed and the address reused, one held by a live
	// process makes ListenUNIX fail.
	WantPID bool
}

// ConnectUNIXOptions are connectUNIX's keyword arguments. The zero value is
// Twisted's default: a 30 s timeout, no PID check.
type ConnectUNIXOptions struct {
	// Timeout bounds the connect; 0 means DefaultConnectTimeout; see
	// NoTimeout.
	Timeout time.Duration
	// NoTimeout waits as long as the kernel does (Twisted's timeout=None).
	NoTimeout bool
	// CheckPID fails the connect at once, with a *ConnectError, when the
	// address's lock file names no live process (Twisted's checkPID).
	CheckPID bool
}

// UNIXTransport ports IUNIXTransport: the transport of a UNIX stream
// connection. It is a TCP-style transport (write buffer, flow control,
// half-close, abort) that can also pass descriptors and tell who the peer
// is.
type UNIXTransport interface {
	Transport
	Consumer
	PushProducer
	AbortConnection()
	LoseWriteConnection()
	// SendFileDescriptor ports sendFileDescriptor: queue fd to be sent
	// (SCM_RIGHTS) with the next byte written, so each descriptor needs at
	// least one byte written after it; the peer's protocol gets it through
	// FileDescriptorReceiver. fd must stay open until it has been sent.
	// When more descriptors than bytes are waiting, the connection is lost
	// with ErrFileDescriptorOverrun, as in Twisted.
	SendFileDescriptor(fd int) error
	// PeerCredentials returns who is at the other end, where the platform
	// says (SO_PEERCRED on Linux, LOCAL_PEERCRED on the BSDs and macOS).
	// Beyond Twisted.
	PeerCredentials() (PeerCredentials, error)
}

// FileDescriptorReceiver ports IFileDescriptorReceiver: a protocol on a
// UNIX connection that implements it gets each descriptor the peer sends.
// Descriptors that arrive with a chunk of data are given before that
// chunk's DataReceived, in the order sent, as in Twisted. The descriptor is
// the protocol's to close. A protocol without the method has them closed
// for it (and a line logged).
type FileDescriptorReceiver interface {
	FileDescriptorReceived(fd int)
}

// PeerCredentials is the process at the other end of a UNIX connection, as
// the kernel saw it at connect time. PID is -1 where the platform does not
// say (the BSDs).
type PeerCredentials struct {
	PID int
	UID uint32
	GID uint32
}

// ErrLockHeld is the Err of the *CannotListenError ListenUNIX returns when
// WantPID finds the lock file held by a live process (Twisted's "Cannot
// acquire lock").
var ErrLockHeld = errors.New("cannot acquire lock: held by a live process")

// ErrFileDescriptorOverrun ports error.FileDescriptorOverrun: the reason a
// UNIX connection is lost when descriptors were queued with
// SendFileDescriptor but fewer bytes were written to carry them.
var ErrFileDescriptorOverrun = errors.New("a file descriptor was sent without enough data to carry it")

// BadFileError ports error.BadFileError: ConnectUNIX with CheckPID found no
// live process holding the address's lock file.
type BadFileError struct {
	Path string
}

func (e *BadFileError) Error() string {
	return "file used for UNIX socket is no good: " + e.Path + " (no live process holds its lock)"
}
