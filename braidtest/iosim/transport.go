package iosim

import (
	"fmt"
	"net"
	"sync/atomic"

	"github.com/braid-go/braid/protocol"
)

var _ protocol.TCPTransport = (*FakeTransport)(nil)
var _ protocol.DisconnectingTransport = (*FakeTransport)(nil)

// The addresses a FakeTransport reports unless told otherwise. They come
// from the documentation ranges of RFC 5737, so they can never be mistaken
// for a real host, and the two ends of a connection agree: the server's
// GetHost is the client's GetPeer.
var (
	defaultServerIP = net.IPv4(192, 0, 2, 1)
	defaultClientIP = net.IPv4(198, 51, 100, 1)
)

const (
	defaultServerPort = 4321
	defaultClientPort = 54321
)

func defaultServerAddr() *net.TCPAddr {
	return &net.TCPAddr{IP: defaultServerIP, Port: defaultServerPort}
}

func defaultClientAddr() *net.TCPAddr {
	return &net.TCPAddr{IP: defaultClientIP, Port: defaultClientPort}
}

// serials numbers transports for String and Serial. It is the package's only
// shared state: a counter, so parallel tests see distinct numbers and nothing
// else.
var serials atomic.Uint64

// FakeTransport ports twisted.test.iosim.FakeTransport: one end of an
// in-memory connection, a [protocol.TCPTransport] for the protocol it
// carries. What the protocol writes is copied into a queue that an [IOPump]
// hands to the other end's protocol; closes and half-closes reach the other
// end through the pump too. Make one with [NewFakeServer] or [NewFakeClient];
// it belongs to one goroutine.
//
// Writing, closing and the registered producer behave as in Twisted's iosim
// (writes after LoseConnection are dropped; a streaming producer is never
// paused, a pull producer is resumed on every pump), with these differences,
// where Twisted's iosim leaves a call without effect or braid's interfaces
// ask for more; in each, FakeTransport does what a TCP transport does:
//
//   - AbortConnection drops the queue and the bytes still on their way in,
//     and the protocols hear ErrConnectionAborted (this end) and
//     ErrConnectionLost (the other), as on a real connection; Twisted's iosim
//     treats it as LoseConnection.
//   - LoseWriteConnection half-closes the connection (see [IOPump.Pump]);
//     Twisted's iosim ignores it.
//   - PauseProducing holds the bytes the other end sends until
//     ResumeProducing, as a paused TCP transport stops reading; Twisted's
//     iosim ignores both.
//   - RegisterProducer refuses a second producer and a streaming one that
//     cannot pause, as [protocol.Consumer] says, and a registered producer is
//     stopped when the connection is lost; Twisted's iosim replaces the
//     producer silently and never stops it.
//
// The TCP options are flags the transport records (Twisted's iosim
// ignores them), and the default addresses are TCP addresses rather than
// Twisted's opaque FakeAddress.
type FakeTransport struct {
	// Host is what GetHost returns: this end's address. NewFakeServer and
	// NewFakeClient set it to a fixed documentation address (192.0.2.1:4321
	// for a server, 198.51.100.1:54321 for a client); set it before
	// connecting to change it. Twisted's hostAddress.
	Host net.Addr
	// Peer is what GetPeer returns: the other end's address, by default
	// the other role's Host. Twisted's peerAddress.
	Peer net.Addr
	// DisconnectReason, when not nil, is the error the protocol's
	// ConnectionLost gets, whatever ended the connection (Twisted's
	// disconnectReason). Left nil, the reason is ErrConnectionAborted for
	// the end that aborted, ErrConnectionLost for the other end of an
	// aborted connection, and ErrConnectionDone otherwise.
	DisconnectReason error

	proto    protocol.Protocol
	isServer bool
	serial   uint64

	queue []byte // written, not yet taken by a pump

	closing     bool // writes are dropped: LoseConnection, AbortConnection, or ConnectionLost given (Twisted's disconnecting)
	selfClosing bool // LoseConnection or AbortConnection was called on this end
	aborted     bool
	closeSent   bool // the other end has heard of this end's close (Twisted's disconnected)
	lost        bool // the protocol has been given ConnectionLost

	writeClosing bool // LoseWriteConnection was called
	writeClosed  bool // the other end has been told this end writes no more
	readClosed   bool // the other end's half-close reached this end's protocol

	paused bool // PauseProducing: bytes for this end wait in the other end's queue

	producer  protocol.Producer
	streaming bool

	noDelay, keepAlive bool
}

// NewFakeServer ports makeFakeServer (and FakeTransport(p, isServer=True)):
// a transport for the accepting end of a connection, carrying bytes to p.
// Host is 192.0.2.1:4321 and Peer 198.51.100.1:54321. p may be nil for a
// transport that is only written to; [Connect] fills it in.
func NewFakeServer(p protocol.Protocol) *FakeTransport {
	return newFakeTransport(p, true, defaultServerAddr(), defaultClientAddr())
}

// NewFakeClient ports makeFakeClient (and FakeTransport(p, isServer=False)):
// a transport for the connecting end, carrying bytes to p. Host is
// 198.51.100.1:54321 and Peer 192.0.2.1:4321. p may be nil as for
// NewFakeServer.
func NewFakeClient(p protocol.Protocol) *FakeTransport {
	return newFakeTransport(p, false, defaultClientAddr(), defaultServerAddr())
}

func newFakeTransport(p protocol.Protocol, isServer bool, host, peer net.Addr) *FakeTransport {
	return &FakeTransport{Host: host, Peer: peer, proto: p, isServer: isServer, serial: serials.Add(1)}
}

// Protocol returns the protocol the transport delivers to (Twisted's
// protocol attribute).
func (t *FakeTransport) Protocol() protocol.Protocol { return t.proto }

// IsServer reports whether the transport is the accepting end (Twisted's
// isServer).
func (t *FakeTransport) IsServer() bool { return t.isServer }

// Serial returns a number no other FakeTransport in the process has
// (Twisted's serial), which String shows to tell transports apart in a
// trace.
func (t *FakeTransport) Serial() uint64 { return t.serial }

// String names the transport by role, serial and protocol type, as
// Twisted's repr does.
func (t *FakeTransport) String() string {
	role := "client"
	if t.isServer {
		role = "server"
	}
	return fmt.Sprintf("iosim.FakeTransport(%s #%d, %T)", role, t.serial, t.proto)
}

// Write ports write: data is copied to the queue the pump takes from. After
// LoseConnection or AbortConnection, after the protocol has been given
// ConnectionLost, and once a LoseWriteConnection has reached the other end,
// it is dropped silently, as Twisted's is after loseConnection.
func (t *FakeTransport) Write(data []byte) {
	if t.closing || t.writeClosed {
		return
	}
	t.queue = append(t.queue, data...)
}

// WriteSequence ports writeSequence: Write of each slice in turn.
func (t *FakeTransport) WriteSequence(data [][]byte) {
	for _, d := range data {
		t.Write(d)
	}
}

// Pending returns a copy of what has been written and not yet taken by a
// pump: the bytes of Twisted's stream attribute.
func (t *FakeTransport) Pending() []byte {
	return append([]byte(nil), t.queue...)
}

// LoseConnection ports loseConnection: later writes are dropped, and the
// pump ends the connection once what is queued has been delivered (see
// [IOPump.Pump]). Calling it again, or after the connection was lost, does
// nothing.
func (t *FakeTransport) LoseConnection() {
	if t.closing {
		return
	}
	t.closing, t.selfClosing = true, true
}

// AbortConnection ports abortConnection as a TCP transport does it: the
// queue is dropped, as are the bytes the other end sends from now on, and
// the pump ends the connection at its next step, with ErrConnectionAborted
// for this end's protocol and ErrConnectionLost for the other's. Twisted's
// iosim treats abortConnection as loseConnection, delivering the queue and
// reporting ConnectionDone; braid follows [protocol.TCPTransport] instead,
// so that code that aborts is tested against what it will meet. It may
// follow LoseConnection; once the connection is lost it does nothing.
func (t *FakeTransport) AbortConnection() {
	if t.lost || t.aborted {
		return
	}
	t.closing, t.selfClosing, t.aborted = true, true, true
	t.queue = nil
}

// LoseWriteConnection ports loseWriteConnection: once the pump has
// delivered what is queued, the other end is told this end writes no more
// (see [IOPump.Pump]), and reading goes on. Writes made before then are
// still delivered, as on a TCP connection. Twisted's iosim ignores the call.
func (t *FakeTransport) LoseWriteConnection() {
	if t.closing || t.writeClosing {
		return
	}
	t.writeClosing = true
}

// GetHost ports getHost: it returns Host.
func (t *FakeTransport) GetHost() net.Addr { return t.Host }

// GetPeer ports getPeer: it returns Peer.
func (t *FakeTransport) GetPeer() net.Addr { return t.Peer }

// Disconnecting reports whether the connection is ending: LoseConnection or
// AbortConnection was called, or the protocol has been given ConnectionLost.
// Writes are dropped from then on (Twisted's disconnecting).
func (t *FakeTransport) Disconnecting() bool { return t.closing }

// IsDisconnecting is Disconnecting under the name of
// protocol.DisconnectingTransport, which braid's line receivers look for.
func (t *FakeTransport) IsDisconnecting() bool { return t.closing }

// Disconnected reports whether the protocol has been given ConnectionLost.
// Twisted's disconnected attribute means something else, an internal step
// of its pump: that the other end has heard of this end's close.
func (t *FakeTransport) Disconnected() bool { return t.lost }

// GetTCPNoDelay ports getTcpNoDelay: the flag SetTCPNoDelay recorded
// (false at first). It never fails.
func (t *FakeTransport) GetTCPNoDelay() (bool, error) { return t.noDelay, nil }

// SetTCPNoDelay ports setTcpNoDelay: it records enabled, which changes
// nothing else in memory. It never fails.
func (t *FakeTransport) SetTCPNoDelay(enabled bool) error {
	t.noDelay = enabled
	return nil
}

// GetTCPKeepAlive ports getTcpKeepAlive: the flag SetTCPKeepAlive recorded
// (false at first). It never fails.
func (t *FakeTransport) GetTCPKeepAlive() (bool, error) { return t.keepAlive, nil }

// SetTCPKeepAlive ports setTcpKeepAlive: it records enabled. It never
// fails.
func (t *FakeTransport) SetTCPKeepAlive(enabled bool) error {
	t.keepAlive = enabled
	return nil
}
