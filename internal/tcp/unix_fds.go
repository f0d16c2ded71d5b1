//go:build unix

package tcp

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Passing descriptors over a UNIX connection, as Twisted's _SendmsgMixin:
// each queued descriptor leaves with one byte of the write buffer (a
// descriptor cannot travel without data), and each read collects the
// descriptors that came with its bytes.

// maxQueuedFDs ports _fileDescriptorBufferSize: more descriptors than this
// waiting to be sent count as a full buffer, which pauses a streaming
// producer.
const maxQueuedFDs = 64

// rightsSpace is room for the most descriptors one message can carry
// (Linux's SCM_MAX_FD).
var rightsSpace = unix.CmsgSpace(253 * 4)

// errNotUNIX is SendFileDescriptor's error on a TCP connection.
var errNotUNIX = errors.New("descriptors can only be sent over a UNIX connection")

// SendFileDescriptor ports sendFileDescriptor (see
// protocol.UNIXTransport): fd is queued and leaves with the next byte
// written. It must stay open until then; closing it afterwards is the
// caller's business. On a TCP connection, or one that has ended, it
// returns an error.
func (c *Conn) SendFileDescriptor(fd int) error {
	switch {
	case !c.unixSock:
		return errNotUNIX
	case !c.connected || c.disconnected || c.aborting:
		return fmt.Errorf("%v: send descriptor %d: %w", c, fd, reactor.ErrConnectionClosed)
	case fd < 0:
		return fmt.Errorf("send descriptor: bad descriptor %d", fd)
	}
	c.fdQueue = append(c.fdQueue, fd)
	c.maybePauseProducer()
	c.startWriting()
	return nil
}

// sendQueuedFDs ports the first half of _SendmsgMixin.writeSomeData: each
// queued descriptor goes with one byte of the buffer. It returns the bytes
// sent; a full kernel buffer leaves the rest queued. More descriptors than
// bytes is ErrFileDescriptorOverrun, which ends the connection.
func (c *Conn) sendQueuedFDs() (int, error) {
	if len(c.fdQueue) > c.Buffered() {
		return 0, protocol.ErrFileDescriptorOverrun
	}
	i := 0
	for i < len(c.fdQueue) {
		b := c.wbuf[c.woff+i : c.woff+i+1]
		err := unix.Sendmsg(c.fd, b, unix.UnixRights(c.fdQueue[i]), nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if isTemporary(err) {
			break
		}
		if err != nil {
			c.fdQueue = c.fdQueue[i:]
			return i, c.lostBy(err)
		}
		i++
	}
	c.fdQueue = c.fdQueue[i:]
	return i, nil
}

// recvWithRights reads once with recvmsg(2) and hands the descriptors that
// came with the bytes to the protocol, before the bytes, as Twisted does.
func (c *Conn) recvWithRights(b []byte) (int, error) {
	if c.oob == nil {
		c.oob = make([]byte, rightsSpace)
	}
	oob := c.oob
	n, oobn, flags, _, err := unix.Recvmsg(c.fd, b, oob, recvmsgFlags)
	if err != nil {
		return 0, err
	}
	if oobn > 0 {
		c.receiveRights(oob[:oobn])
	}
	if flags&unix.MSG_CTRUNC != 0 {
		c.r.Logger().Warn("braid: descriptors received were cut short (MSG_CTRUNC)", "connection", c.String())
	}
	return n, nil
}

// receiveRights ports _ancillaryLevelSOLSOCKETTypeSCMRIGHTS: each
// descriptor goes to a FileDescriptorReceiver; a protocol that is none has
// them closed, and a line is logged.
func (c *Conn) receiveRights(oob []byte) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	var fds []int
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_RIGHTS {
			c.r.Logger().Info("braid: unsupported ancillary data received", "connection", c.String(),
				"level", m.Header.Level, "type", m.Header.Type)
			continue
		}
		got, err := unix.ParseUnixRights(m)
		if err == nil {
			fds = append(fds, got...)
		}
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
	}
	recv, ok := c.proto.(protocol.FileDescriptorReceiver)
	if !ok {
		c.r.Logger().Info("braid: protocol is no FileDescriptorReceiver; closing the descriptors received",
			"connection", c.String(), "count", len(fds))
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
		return
	}
	for _, fd := range fds {
		recv.FileDescriptorReceived(fd)
	}
}
