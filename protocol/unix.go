package protocol

import (
	"io/fs"
	"time"
)

// ReactorUNIX ports IReactorUNIX: listening for and making connections on
// UNIX stream sockets. An address is a filesystem path, or on Linux a name
// in the abstract namespace when it starts with a NUL byte ("\x00name"), as
// in Twisted. braid.Reactor implements it; a fake records the calls.
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
