package tlsbio

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"sync"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Reactor is what an Engine needs of its reactor: handing the goroutine's
// results to the reactor goroutine, and a place for errors nobody else sees.
type Reactor interface {
	reactor.FromThreads
	reactor.ErrorLogger
}

// Lower is the transport under the TLS layer, as the Engine uses it: the
// raw writes and closes of a TCP connection, bypassing the TLS layer.
type Lower interface {
	Write(data []byte)
	LoseConnection()
	LoseWriteConnection()
	AbortConnection()
	RegisterProducer(p protocol.Producer, streaming bool) error
	UnregisterProducer()
}

// Engine is one TLS connection's state: Twisted's TLSMemoryBIOProtocol
// without the protocol-wrapper part (the caller connects the upper
// protocol). Every method runs on the reactor goroutine.
type Engine struct {
	r     Reactor
	lower Lower
	upper protocol.Protocol
	tc    *tls.Conn
	pipe  *pipe
	done  chan struct{} // closed when the goroutine has returned

	mu     sync.Mutex
	events []event // from the goroutine, in order
	posted bool    // a drain is queued with CallFromThread

	handshakeDone bool
	state         tls.ConnectionState
	pending       [][]byte // plaintext written before the handshake was done
	hasProducer   bool
	disconnecting bool // LoseConnection (or Abort) was called
	writeClosing  bool // LoseWriteConnection was called
	sentClose     bool // our close_notify is out
	peerClosed    bool // the peer's close_notify arrived
	lostTLS       bool // the TLS layer is finished (Twisted's _lostTLSConnection)
	lowerLost     bool // the lower connection has ended
	aborted       bool
	closed        bool // upper.ConnectionLost has been called
	reading       bool // inside readAvailable
	askedLose     bool // lower.LoseConnection was called
	buf           []byte
	reason        *reactor.Failure
}

type eventKind int

const (
	evWrote     eventKind = iota // only ciphertext to flush
	evHandshake                  // the handshake ended (err says how)
)

type event struct {
	kind  eventKind
	err   error
	state tls.ConnectionState
}

// New starts TLS with config over lower, as a server when server is true,
// delivering plaintext to upper. A client sends its hello at once. The
// caller has checked config (protocol.CheckTLSConfig).
func New(r Reactor, lower Lower, upper protocol.Protocol, config *tls.Config, server bool) *Engine {
	e := &Engine{r: r, lower: lower, upper: upper, done: make(chan struct{})}
	e.pipe = newPipe(func() { e.post(event{kind: evWrote}) })
	if server {
		e.tc = tls.Server(e.pipe, config)
	} else {
		e.tc = tls.Client(e.pipe, config)
	}
	go e.run()
	return e
}

// run is the goroutine: it runs the handshake and ends. The reads after
// it are made on the reactor goroutine (readAvailable).
func (e *Engine) run() {
	defer close(e.done)
	if err := e.tc.Handshake(); err != nil {
		e.post(event{kind: evHandshake, err: e.eofOf(err)})
		return
	}
	e.post(event{kind: evHandshake, state: e.tc.ConnectionState()})
}

// errLowerEOF is the stream ending underneath without close_notify.
// crypto/tls reports that as io.EOF too when it falls between records.
var errLowerEOF = errors.New("tls: connection ended without close_notify")

// eofOf tells the two kinds of io.EOF apart: close_notify stays io.EOF.
func (e *Engine) eofOf(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if e.pipe.lowerEnded() {
			return errLowerEOF
		}
	}
	return err
}

func (e *Engine) post(ev event) {
	e.mu.Lock()
	if ev.kind != evWrote {
		e.events = append(e.events, ev)
	}
	queue := !e.posted
	e.posted = true
	e.mu.Unlock()
	if queue {
		e.r.CallFromThread(e.drain)
	}
}

// drain runs on the reactor goroutine: it sends the ciphertext waiting and
// acts on the goroutine's events in order.
func (e *Engine) drain() {
	e.mu.Lock()
	evs := e.events
	e.events = nil
	e.posted = false
	e.mu.Unlock()
	e.flush()
	for _, ev := range evs {
		if e.closed {
			return
		}
		if ev.kind == evHandshake {
			e.handshakeEnded(ev)
		}
	}
}

// flush sends the ciphertext the tls.Conn has written.
func (e *Engine) flush() {
	if b := e.pipe.takeOut(); len(b) > 0 && !e.lowerLost {
		e.lower.Write(b)
	}
}

// call runs an upper-protocol callback. A panic is logged and ends the
// connection with it as the reason, as a TCP transport does when
// dataReceived raises.
func (e *Engine) call(f func(), why string) {
	defer func() {
		if v := recover(); v != nil {
			err, ok := v.(error)
			if !ok {
				err = &reactor.PanicError{Value: v}
			}
			failed := reactor.NewFailure(err)
			e.r.LogError(failed, why)
			if e.reason == nil {
				e.reason = failed
			}
			e.lostTLS = true
			if !e.lowerLost {
				e.lower.AbortConnection()
			}
		}
	}()
	f()
}

func (e *Engine) handshakeEnded(ev event) {
	if ev.err != nil {
		e.shutdownFinished(e.failureOf(ev.err))
		return
	}
	e.handshakeDone = true
	e.state = ev.state
	e.pipe.stopWaiting()
	if hl, ok := e.upper.(protocol.HandshakeListener); ok && !e.aborted {
		e.call(hl.HandshakeCompleted, "handshakeCompleted")
	}
	pending := e.pending
	e.pending = nil
	for _, p := range pending {
		e.writeNow(p)
	}
	switch {
	case e.disconnecting && !e.hasProducer:
		e.shutdownTLS()
	case e.writeClosing:
		e.closeWrite()
	}
	e.readAvailable() // what arrived during the handshake
}

// readAvailable ports _flushReceiveBIO: decrypt and deliver what has been
// received, until crypto/tls needs more, the stream ends, or the
// connection is dropped.
func (e *Engine) readAvailable() {
	if e.reading {
		return
	}
	e.reading = true
	defer func() { e.reading = false }()
	for !e.lostTLS && !e.closed {
		// Each DataReceived gets memory of its own (the receiver may keep
		// it); a read that found nothing leaves the buffer for the next.
		if e.buf == nil {
			e.buf = make([]byte, 16<<10) // one record's plaintext at most
		}
		n, err := e.tc.Read(e.buf)
		if n > 0 {
			data := e.buf[:n:n]
			e.buf = nil
			if !e.aborted {
				e.call(func() { e.upper.DataReceived(data) }, "dataReceived")
			}
		}
		if err == errWouldBlock {
			break
		}
		if err != nil {
			e.flush()
			e.readEnded(e.eofOf(err))
			break
		}
	}
	e.flush() // what reading made crypto/tls send (a key update's answer)
}

// failureOf turns what the goroutine met into a connectionLost reason: an
// EOF without close_notify is the connection lost (Twisted squashes
// OpenSSL's "Unexpected EOF" into ConnectionLost); anything else is a
// *protocol.TLSError.
func (e *Engine) failureOf(err error) *reactor.Failure {
	if err == errLowerEOF {
		return reactor.NewFailure(reactor.ErrConnectionLost)
	}
	return reactor.NewFailure(&protocol.TLSError{Err: err})
}

func (e *Engine) readEnded(err error) {
	if err == io.EOF {
		// close_notify: answer it, then close underneath; the reason will
		// be the lower connection's (ConnectionDone).
		e.peerClosed = true
		e.shutdownTLS()
		e.shutdownFinished(nil)
		return
	}
	e.shutdownFinished(e.failureOf(err))
}

// shutdownTLS ports _shutdownTLS: send our close_notify (once the handshake
// is done) and close underneath when both sides have sent theirs.
func (e *Engine) shutdownTLS() {
	e.sendCloseNotify()
	if e.peerClosed {
		e.loseLower()
	}
}

// loseLower asks the lower transport to close, once.
func (e *Engine) loseLower() {
	if !e.lowerLost && !e.askedLose {
		e.askedLose = true
		e.lower.LoseConnection()
	}
}

func (e *Engine) sendCloseNotify() {
	if e.sentClose || !e.handshakeDone || e.lostTLS {
		return
	}
	e.sentClose = true
	_ = e.tc.CloseWrite()
	e.flush()
}

// shutdownFinished ports _tlsShutdownFinished: the TLS layer is done;
// remember why (nil: the lower connection's reason will do) and close
// underneath.
func (e *Engine) shutdownFinished(reason *reactor.Failure) {
	if e.aborted && e.lowerLost {
		reason = nil // the abort is the reason
	}
	if e.reason == nil {
		e.reason = reason
	}
	e.lostTLS = true
	e.flush()
	e.loseLower()
}

// DataReceived takes ciphertext from the lower transport.
func (e *Engine) DataReceived(data []byte) {
	if e.lostTLS || e.lowerLost {
		return
	}
	e.pipe.feed(data)
	if e.handshakeDone {
		e.readAvailable()
	}
}

// Write ports write: plaintext is encrypted and sent, or kept until the
// handshake is done. Writes after LoseConnection (without a producer) or
// LoseWriteConnection are dropped, as in Twisted.
func (e *Engine) Write(data []byte) {
	if len(data) == 0 || e.closed || (e.disconnecting && !e.hasProducer) || e.writeClosing {
		return
	}
	if !e.handshakeDone {
		e.pending = append(e.pending, append([]byte(nil), data...))
		return
	}
	e.writeNow(data)
}

// WriteSequence ports writeSequence: the pieces are joined and written.
func (e *Engine) WriteSequence(data [][]byte) {
	n := 0
	for _, d := range data {
		n += len(d)
	}
	joined := make([]byte, 0, n)
	for _, d := range data {
		joined = append(joined, d...)
	}
	e.Write(joined)
}

func (e *Engine) writeNow(data []byte) {
	if e.lostTLS || e.sentClose {
		return
	}
	_, err := e.tc.Write(data)
	e.flush()
	if err != nil {
		e.shutdownFinished(reactor.NewFailure(&protocol.TLSError{Err: err}))
	}
}

// LoseConnection ports loseConnection: once what is pending is written,
// send close_notify; the lower connection closes when the peer answers
// with its own. Before the handshake, with nothing pending, the connection
// is aborted instead, as Twisted does.
func (e *Engine) LoseConnection() {
	if e.disconnecting || e.closed {
		return
	}
	if !e.handshakeDone && len(e.pending) == 0 {
		e.AbortConnection()
	}
	e.disconnecting = true
	if len(e.pending) == 0 && !e.hasProducer {
		e.shutdownTLS()
	}
}

// LoseWriteConnection sends close_notify once what is pending is written
// and shuts down the lower connection's writing side; reading goes on until
// the peer closes. Beyond Twisted, whose TLS transport has no half-close:
// this is what crypto/tls's CloseWrite does on a net.Conn.
func (e *Engine) LoseWriteConnection() {
	if e.disconnecting || e.writeClosing || e.closed {
		return
	}
	e.writeClosing = true
	if e.handshakeDone {
		e.closeWrite()
	}
}

func (e *Engine) closeWrite() {
	e.sendCloseNotify()
	if !e.lowerLost {
		e.lower.LoseWriteConnection()
	}
}

// AbortConnection ports abortConnection: nothing more reaches the upper
// protocol and the lower connection is aborted.
func (e *Engine) AbortConnection() {
	if e.closed || e.aborted {
		return
	}
	e.aborted = true
	e.disconnecting = true
	e.sendCloseNotify()
	if !e.lowerLost {
		e.lower.AbortConnection()
	}
}

// RegisterProducer registers p with the lower transport, whose buffer of
// ciphertext then paces it.
func (e *Engine) RegisterProducer(p protocol.Producer, streaming bool) error {
	if e.lostTLS || e.closed {
		p.StopProducing()
		return nil
	}
	if err := e.lower.RegisterProducer(p, streaming); err != nil {
		return err
	}
	e.hasProducer = true
	return nil
}

// UnregisterProducer ports unregisterProducer: after LoseConnection, this
// is when close_notify goes out.
func (e *Engine) UnregisterProducer() {
	if !e.hasProducer {
		return
	}
	e.hasProducer = false
	e.lower.UnregisterProducer()
	if e.disconnecting && len(e.pending) == 0 && !e.closed {
		e.shutdownTLS()
	}
}

// ConnectionLost is told that the lower connection has ended. What was
// already received is decrypted and delivered, then the upper protocol gets
// ConnectionLost exactly once: with the TLS error that ended it if there
// was one, with ErrConnectionLost if the stream ended without close_notify
// (an AbortConnection too, as in Twisted), else with reason.
func (e *Engine) ConnectionLost(reason *reactor.Failure) {
	if e.closed {
		return
	}
	e.lowerLost = true
	e.pipe.closeRead()
	if e.handshakeDone {
		e.readAvailable()
	} else {
		// The handshake's end: with the input closed it fails at once,
		// unless a tls.Config callback is still running (see
		// protocol.ReactorSSL on what those may not do).
		<-e.done
		e.drain()
	}
	if e.closed {
		return
	}
	e.lostTLS = true
	e.closed = true
	if e.aborted && e.reason == nil {
		// Twisted's TLS layer sees the aborted stream end without
		// close_notify and reports ConnectionLost, not ConnectionAborted.
		reason = reactor.NewFailure(reactor.ErrConnectionLost)
	}
	if e.reason != nil {
		reason = e.reason
	}
	e.reason = nil
	e.upper.ConnectionLost(reason)
}

// HandshakeDone reports whether the handshake has completed.
func (e *Engine) HandshakeDone() bool { return e.handshakeDone }

// ConnectionState gives crypto/tls's view of the session once the
// handshake is done, and the zero value before.
func (e *Engine) ConnectionState() tls.ConnectionState { return e.state }

// PeerCertificate is the peer's leaf certificate, or nil.
func (e *Engine) PeerCertificate() *x509.Certificate {
	if len(e.state.PeerCertificates) == 0 {
		return nil
	}
	return e.state.PeerCertificates[0]
}

// Upper is the protocol the engine delivers plaintext to.
func (e *Engine) Upper() protocol.Protocol { return e.upper }

// ProducerRegistered tells the engine that a producer was registered with
// the lower transport before TLS started.
func (e *Engine) ProducerRegistered() { e.hasProducer = true }
