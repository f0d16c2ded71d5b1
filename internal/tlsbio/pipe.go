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
	in       []byte
	inClosed bool
	eofRead  bool // Read has returned io.EOF: the lower stream ended
	out      []byte
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
	for len(p.in) == 0 && !p.inClosed {
		p.cond.Wait()
	}
	if len(p.in) == 0 {
		p.eofRead = true
		return 0, io.EOF
	}
	n := copy(b, p.in)
	p.in = p.in[n:]
	if len(p.in) == 0 {
		p.in = p.in[:0:0]
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

// feed adds ciphertext received from the peer.
func (p *pipe) feed(b []byte) {
	p.mu.Lock()
	if !p.inClosed {
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

// takeOut returns the ciphertext written so far and forgets it.
func (p *pipe) takeOut() []byte {
	p.mu.Lock()
	b := p.out
	p.out = nil
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
