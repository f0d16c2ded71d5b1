//go:build unix

package tcp

import (
	"errors"
	"io/fs"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// unixListen is what a UNIX Port holds beyond a TCP one: the address to
// remove when it closes, and the lock file of WantPID.
type unixListen struct {
	address string
	lock    *reactor.FilesystemLock
}

// release ports the end of unix.Port.connectionLost: the socket file is
// removed and the lock released.
func (u *unixListen) release() {
	if inFilesystem(u.address) {
		_ = os.Remove(u.address)
	}
	if u.lock != nil && u.lock.Locked() {
		_ = u.lock.Unlock()
	}
}

// ListenUNIX ports reactor.listenUNIX (twisted.internet.unix.Port): it
// listens on the UNIX stream socket address (a path, or "\x00name" in
// Linux's abstract namespace) and calls factory.BuildProtocol for each
// connection, whose transport is a *Conn (a protocol.UNIXTransport). The
// socket file gets opts.Mode and is removed when the port closes. With
// opts.WantPID the port holds address+".lock" while it listens, and a
// socket file left by a process that died is removed first. Failures are a
// *protocol.CannotListenError, and the factory is not started.
func ListenUNIX(r *reactor.Reactor, address string, factory protocol.Factory, opts protocol.ListenUNIXOptions) (*Port, error) {
	fail := func(err error) (*Port, error) {
		return nil, &protocol.CannotListenError{Address: printable(address), Err: err}
	}
	switch {
	case factory == nil:
		return fail(errors.New("nil factory"))
	case address == "":
		return fail(errors.New("empty address"))
	}
	backlog, mode := opts.Backlog, opts.Mode
	if backlog <= 0 {
		backlog = protocol.DefaultBacklog
	}
	if mode == 0 {
		mode = 0o666
	}
	reserveDescriptor()
	u := &unixListen{address: address}
	if opts.WantPID {
		u.lock = reactor.NewFilesystemLock(address + ".lock")
		ok, err := u.lock.Lock()
		switch {
		case err != nil:
			return fail(err)
		case !ok:
			return fail(protocol.ErrLockHeld)
		}
		if !u.lock.Clean() {
			removeStaleSocket(address)
		}
	}
	fd, err := listenUNIXSocket(address, mode, backlog)
	if err != nil {
		if u.lock != nil {
			_ = u.lock.Unlock()
		}
		return fail(err)
	}
	p := &Port{r: r, fd: fd, factory: factory, addr: &net.UnixAddr{Name: address, Net: "unix"},
		unix: u, numberAccepts: 100}
	if err := r.AddReader(p); err != nil {
		_ = unix.Close(fd)
		u.release()
		return fail(err)
	}
	protocol.Bind(factory)
	factory.DoStart()
	p.connected = true
	return p, nil
}

// removeStaleSocket removes a socket file left by the dead holder of the
// lock; anything else at the path is left for bind to fail on, as in
// Twisted.
func removeStaleSocket(address string) {
	if !inFilesystem(address) {
		return
	}
	if fi, err := os.Lstat(address); err == nil && fi.Mode().Type() == fs.ModeSocket {
		_ = os.Remove(address)
	}
}

func listenUNIXSocket(address string, mode fs.FileMode, backlog int) (int, error) {
	sa, err := unixSockaddr(address)
	if err != nil {
		return -1, err
	}
	fd, err := newStreamSocket(unix.AF_UNIX)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, sa); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	if inFilesystem(address) {
		if err := os.Chmod(address, mode.Perm()); err != nil {
			_ = unix.Close(fd)
			_ = os.Remove(address)
			return -1, err
		}
	}
	if err := unix.Listen(fd, backlog); err != nil {
		_ = unix.Close(fd)
		if inFilesystem(address) {
			_ = os.Remove(address)
		}
		return -1, err
	}
	return fd, nil
}

// printable shows an abstract name with '@' in messages, as ss(8) does,
// and an empty address as "".
func printable(address string) string {
	if address == "" {
		return `""`
	}
	if !inFilesystem(address) {
		return "@" + address[1:]
	}
	return address
}
