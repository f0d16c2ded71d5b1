package tlsbio

import (
	"io"
	"net"
	"sync"
	"time"
)

// pipe is the in-memory net.Conn the tls.Conn runs over: Read takes the
// ciphertext the lower transport delivered (waiting for more), Write
// collects ciphertext for the reactor goroutine to send. Deadlines are
// ignored: nothing here waits on the network.
type pipe struct {
	mu       sync.Mutex
	cond     sync.Cond
	in       []byte // in[inOff:] is still to be read
	inOff    int
	inClosed bool
	eofRead  bool // Read has returned io.EOF: the lower stream ended
	noWait   bool // Read returns errWouldBlock instead of waiting
	out      []byte
	spare    []byte // the buffer takeOut handed out last, to reuse
	wrote    func() // called after each Write, outside the lock
}

func newPipe(wrote func()) *pipe {
	p := &pipe{wrote: wrote}
	p.cond.L = &p.mu
	return p
}

func (p *pipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.in) == p.inOff && !p.inClosed {
		if p.noWait {
			return 0, errWouldBlock
		}
		p.cond.Wait()
	}
	if len(p.in) == p.inOff {
		p.eofRead = true
		return 0, io.EOF
	}
	n := copy(b, p.in[p.inOff:])
	p.inOff += n
	if p.inOff == len(p.in) {
		p.in, p.inOff = p.in[:0], 0 // keep the memory for the next feed
	}
	return n, nil
}

func (p *pipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.out = append(p.out, b...)
	p.mu.Unlock()
	p.wrote()
	return len(b), nil
}

// errWouldBlock is what Read returns, once the handshake is done, when no
// ciphertext is waiting. crypto/tls keeps what it has read of a record
// and does not remember an error that says it is temporary, so the next
// Read, after more ciphertext has been fed, carries on.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tlsbio: no ciphertext waiting" }
func (wouldBlock) Timeout() bool   { return false }
func (wouldBlock) Temporary() bool { return true }

// stopWaiting makes Read return errWouldBlock instead of waiting: the
// reactor goroutine reads from now on.
func (p *pipe) stopWaiting() {
	p.mu.Lock()
	p.noWait = true
	p.mu.Unlock()
}

// feed adds ciphertext received from the peer.
func (p *pipe) feed(b []byte) {
	p.mu.Lock()
	if !p.inClosed {
		if p.inOff > 0 && p.inOff == len(p.in) {
			p.in, p.inOff = p.in[:0], 0
		}
		p.in = append(p.in, b...)
		p.cond.Signal()
	}
	p.mu.Unlock()
}

// closeRead says no more ciphertext will come: Read returns io.EOF once
// what was fed is consumed.
func (p *pipe) closeRead() {
	p.mu.Lock()
	p.inClosed = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

// lowerEnded reports whether Read has returned io.EOF, which tells an
// io.EOF from crypto/tls caused by the lower stream's end from one caused
// by the peer's close_notify.
func (p *pipe) lowerEnded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.eofRead
}

// takeOut returns the ciphertext written so far and forgets it. The slice
// is valid until the next takeOut, which reuses its memory: the caller
// hands it to a transport's Write, which copies.
func (p *pipe) takeOut() []byte {
	p.mu.Lock()
	b := p.out
	p.out = p.spare[:0]
	p.spare = b
	p.mu.Unlock()
	return b
}

func (p *pipe) Close() error                     { p.closeRead(); return nil }
func (p *pipe) LocalAddr() net.Addr              { return pipeAddr{} }
func (p *pipe) RemoteAddr() net.Addr             { return pipeAddr{} }
func (p *pipe) SetDeadline(time.Time) error      { return nil }
func (p *pipe) SetReadDeadline(time.Time) error  { return nil }
func (p *pipe) SetWriteDeadline(time.Time) error { return nil }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "memory" }
func (pipeAddr) String() string  { return "tlsbio" }
