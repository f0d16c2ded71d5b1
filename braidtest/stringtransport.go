package braidtest

import (
	"bytes"
	"fmt"
	"net"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// ProducerState is the state of a double in its role as a producer
// (Twisted's producerState). The zero value is Producing.
type ProducerState int

// The producer states, as Twisted names them.
const (
	Producing ProducerState = iota
	Paused
	Stopped
)

// String returns Twisted's name of the state: "producing", "paused" or
// "stopped".
func (s ProducerState) String() string {
	switch s {
	case Producing:
		return "producing"
	case Paused:
		return "paused"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("ProducerState(%d)", int(s))
}

// The addresses GetHost and GetPeer report when HostAddr and PeerAddr are
// nil: Twisted's StringTransport defaults.
var (
	defaultHost = net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 12345}
	defaultPeer = net.TCPAddr{IP: net.IPv4(192, 168, 1, 1), Port: 54321}
)

// StringTransport ports twisted.internet.testing.StringTransport: a
// protocol.TCPTransport that keeps what is written in memory and records
// every other call in its fields, doing nothing else. Hand it to a
// protocol's MakeConnection and read Value.
//
// Like Twisted's, LoseConnection only sets Disconnecting: the protocol is
// never told ConnectionLost (StringTransportWithDisconnection does that), and
// a registered producer is recorded but never driven. Misuse that Twisted
// answers with RuntimeError — a second producer aside — panics with an error
// wrapping ErrNoProducer, ErrProducerStopped or ErrDisconnecting, since these
// methods return no error in Go.
//
// The zero value is ready to use, with Twisted's default addresses. A
// StringTransport must not be copied after first use.
type StringTransport struct {
	// HostAddr and PeerAddr are what GetHost and GetPeer return. nil
	// means 10.0.0.1:12345 for the host and 192.168.1.1:54321 for the
	// peer, as *net.TCPAddr (Twisted's defaults).
	HostAddr net.Addr
	PeerAddr net.Addr

	// Disconnecting becomes true at LoseConnection (and AbortConnection),
	// Twisted's disconnecting.
	Disconnecting bool
	// Aborting becomes true at AbortConnection: Twisted's disconnected,
	// which only abortConnection sets.
	Aborting bool
	// WriteDisconnecting becomes true at LoseWriteConnection. Beyond
	// Twisted, whose StringTransport has no loseWriteConnection.
	WriteDisconnecting bool

	// Producer and Streaming are the producer registered with
	// RegisterProducer and its streaming flag; nil and false when none is.
	Producer  protocol.Producer
	Streaming bool

	// ProducerState records the last of PauseProducing, ResumeProducing and
	// StopProducing (Twisted's producerState); Producing at first.
	ProducerState ProducerState

	// Lenient allows PauseProducing and ResumeProducing after
	// LoseConnection (Twisted's lenient), for a test that does so on
	// purpose. Without it they panic.
	Lenient bool

	// TCPNoDelay and TCPKeepAlive hold what SetTCPNoDelay and
	// SetTCPKeepAlive set, and are what the getters report. Beyond Twisted.
	TCPNoDelay   bool
	TCPKeepAlive bool

	buf  bytes.Buffer
	lost bool // StringTransportWithDisconnection has told the protocol
}

var _ protocol.TCPTransport = (*StringTransport)(nil)
var _ protocol.DisconnectingTransport = (*StringTransport)(nil)

// NewStringTransport ports StringTransport(hostAddress, peerAddress):
// a transport reporting host and peer from GetHost and GetPeer; nil keeps
// the default address.
func NewStringTransport(host, peer net.Addr) *StringTransport {
	return &StringTransport{HostAddr: host, PeerAddr: peer}
}

// Value ports value: a copy of every byte written since the transport was
// made or last cleared. It is never nil.
func (t *StringTransport) Value() []byte { return append([]byte{}, t.buf.Bytes()...) }

// Clear ports clear: it forgets what has been written so far.
func (t *StringTransport) Clear() { t.buf.Reset() }

// Write ports write: data is copied into the transport's buffer, also after
// LoseConnection, as in Twisted.
func (t *StringTransport) Write(data []byte) { t.buf.Write(data) }

// WriteSequence ports writeSequence: Write of each slice in turn.
func (t *StringTransport) WriteSequence(data [][]byte) {
	for _, b := range data {
		t.buf.Write(b)
	}
}

// LoseConnection ports loseConnection: it sets Disconnecting and does
// nothing else.
func (t *StringTransport) LoseConnection() { t.Disconnecting = true }

// IsDisconnecting reports Disconnecting, for receivers that look for
// protocol.DisconnectingTransport (Twisted's receivers read
// transport.disconnecting). A StringTransportWithDisconnection leaves it
// false, as Twisted's does.
func (t *StringTransport) IsDisconnecting() bool { return t.Disconnecting }

// AbortConnection ports abortConnection: it sets Aborting, then does what
// LoseConnection does.
func (t *StringTransport) AbortConnection() {
	t.Aborting = true
	t.LoseConnection()
}

// LoseWriteConnection sets WriteDisconnecting and does nothing else.
func (t *StringTransport) LoseWriteConnection() { t.WriteDisconnecting = true }

// Connected ports the connected attribute: true until a
// StringTransportWithDisconnection has told its protocol that the
// connection is lost. A plain StringTransport stays connected.
func (t *StringTransport) Connected() bool { return !t.lost }

// GetHost ports getHost: HostAddr, or 10.0.0.1:12345 when it is nil (a new
// *net.TCPAddr on each call).
func (t *StringTransport) GetHost() net.Addr {
	if t.HostAddr != nil {
		return t.HostAddr
	}
	a := defaultHost
	return &a
}

// GetPeer ports getPeer: PeerAddr, or 192.168.1.1:54321 when it is nil (a
// new *net.TCPAddr on each call).
func (t *StringTransport) GetPeer() net.Addr {
	if t.PeerAddr != nil {
		return t.PeerAddr
	}
	a := defaultPeer
	return &a
}

// RegisterProducer ports registerProducer: it records p and streaming in
// Producer and Streaming. It returns protocol.ErrProducerRegistered when a
// producer is registered already (Twisted raises RuntimeError), and, as
// braid's transports do, protocol.ErrNotPushProducer for a streaming p that
// cannot pause. The producer is never paused or resumed by the transport,
// not even a pull producer at registration: the test drives it.
func (t *StringTransport) RegisterProducer(p protocol.Producer, streaming bool) error {
	if t.Producer != nil {
		return protocol.ErrProducerRegistered
	}
	if _, ok := p.(protocol.PushProducer); streaming && !ok {
		return protocol.ErrNotPushProducer
	}
	t.Producer, t.Streaming = p, streaming
	return nil
}

// UnregisterProducer ports unregisterProducer: it forgets the producer, so
// that another may be registered. With none registered it panics with an
// error wrapping ErrNoProducer, as Twisted's raises RuntimeError (braid's
// real transports ignore the call).
func (t *StringTransport) UnregisterProducer() {
	if t.Producer == nil {
		panic(fmt.Errorf("braidtest: StringTransport.UnregisterProducer: %w", ErrNoProducer))
	}
	t.Producer, t.Streaming = nil, false
}

// checkProducing ports _checkState: pausing or resuming a stopped producer,
// or a disconnecting one unless Lenient, is a mistake.
func (t *StringTransport) checkProducing(method string) {
	if t.Disconnecting && !t.Lenient {
		panic(fmt.Errorf("braidtest: StringTransport.%s: %w (set Lenient to allow it)", method, ErrDisconnecting))
	}
	if t.ProducerState == Stopped {
		panic(fmt.Errorf("braidtest: StringTransport.%s: %w", method, ErrProducerStopped))
	}
}

// PauseProducing ports pauseProducing: ProducerState becomes Paused. After
// StopProducing, or after LoseConnection unless Lenient is set, it panics
// with an error wrapping ErrProducerStopped or ErrDisconnecting.
func (t *StringTransport) PauseProducing() {
	t.checkProducing("PauseProducing")
	t.ProducerState = Paused
}

// ResumeProducing ports resumeProducing: ProducerState becomes Producing.
// It panics as PauseProducing does.
func (t *StringTransport) ResumeProducing() {
	t.checkProducing("ResumeProducing")
	t.ProducerState = Producing
}

// StopProducing ports stopProducing: ProducerState becomes Stopped. It does
// not close the connection (braid's real transports do).
func (t *StringTransport) StopProducing() { t.ProducerState = Stopped }

// GetTCPNoDelay returns TCPNoDelay.
func (t *StringTransport) GetTCPNoDelay() (bool, error) { return t.TCPNoDelay, nil }

// SetTCPNoDelay sets TCPNoDelay.
func (t *StringTransport) SetTCPNoDelay(enabled bool) error {
	t.TCPNoDelay = enabled
	return nil
}

// GetTCPKeepAlive returns TCPKeepAlive.
func (t *StringTransport) GetTCPKeepAlive() (bool, error) { return t.TCPKeepAlive, nil }

// SetTCPKeepAlive sets TCPKeepAlive.
func (t *StringTransport) SetTCPKeepAlive(enabled bool) error {
	t.TCPKeepAlive = enabled
	return nil
}

// StringTransportWithDisconnection ports
// twisted.internet.testing.StringTransportWithDisconnection: a
// StringTransport whose LoseConnection tells Protocol that the connection is
// lost, at once and once only.
//
// As in Twisted, its LoseConnection leaves Disconnecting false (so the
// producer methods do not panic after it), and Connected turns false.
// AbortConnection reports reactor.ErrConnectionAborted, as braid's TCP
// transport does; Twisted's double reports ConnectionDone for both.
type StringTransportWithDisconnection struct {
	StringTransport
	// Protocol is told ConnectionLost; set it before LoseConnection
	// (Twisted's protocol attribute).
	Protocol protocol.Protocol
}

var _ protocol.TCPTransport = (*StringTransportWithDisconnection)(nil)

// LoseConnection ports loseConnection: the first call tells Protocol
// ConnectionLost with a reason wrapping reactor.ErrConnectionDone; later
// calls do nothing. A nil Protocol panics, naming the field to set.
func (t *StringTransportWithDisconnection) LoseConnection() {
	t.lose(reactor.ErrConnectionDone)
}

// AbortConnection sets Aborting and, the first time the connection ends,
// tells Protocol ConnectionLost with a reason wrapping
// reactor.ErrConnectionAborted.
func (t *StringTransportWithDisconnection) AbortConnection() {
	t.Aborting = true
	t.lose(reactor.ErrConnectionAborted)
}

func (t *StringTransportWithDisconnection) lose(reason error) {
	if t.lost {
		return
	}
	if t.Protocol == nil {
		panic("braidtest: StringTransportWithDisconnection has no Protocol to tell ConnectionLost; set its Protocol field")
	}
	t.lost = true
	t.Protocol.ConnectionLost(reactor.NewFailure(reason))
}
