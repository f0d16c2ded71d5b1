//go:build unix

package tcp

import (
	"testing"
	"time"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// tcpFlood is a push producer that writes chunk after chunk, one burst per
// reactor pass, until paused or done: a fast writer.
type tcpFlood struct {
	r           *reactor.Reactor
	conn        *Conn
	chunk       []byte
	remaining   int
	paused      bool
	pending     bool
	pauses      int
	resumes     int
	written     int
	maxBuffered int
}

func (f *tcpFlood) PauseProducing()  { f.paused = true; f.pauses++ }
func (f *tcpFlood) ResumeProducing() { f.paused = false; f.resumes++; f.schedule() }
func (f *tcpFlood) StopProducing()   { f.remaining = 0 }

func (f *tcpFlood) schedule() {
	if !f.pending {
		f.pending = true
		f.r.CallLater(0, f.tick)
	}
}

func (f *tcpFlood) tick() {
	f.pending = false
	for !f.paused && f.remaining > 0 {
		n := min(len(f.chunk), f.remaining)
		f.conn.Write(f.chunk[:n])
		f.remaining -= n
		f.written += n
		f.maxBuffered = max(f.maxBuffered, f.conn.Buffered())
	}
	if f.remaining == 0 && f.conn.connected {
		f.conn.UnregisterProducer()
		f.conn.LoseConnection()
		return
	}
	if !f.paused {
		f.schedule()
	}
}

// A streaming producer writing to a reader that has stopped reading is
// paused once the transport buffers more than its high-water mark (64 KiB)
// and resumed when the buffer drains: the transport's buffer stays bounded
// however much the producer has to send.
func TestTCP_PushProducerPausedBySlowReader(t *testing.T) {
	const total = 4 << 20 // far beyond the shrunk socket buffers
	const chunk = 16 << 10
	r := tcpReactor(t)
	var flood *tcpFlood
	var client *tcpRecorder
	var writtenWhilePaused, bufferedWhilePaused int
	runStart := time.Now()
	testkit.RunUntil(t, r, 30*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
			return &tcpRecorder{onMade: func(p *tcpRecorder) {
				c := p.Transport.(*Conn)
				smallSocketBuffers(t, c)
				flood = &tcpFlood{r: r, conn: c, chunk: make([]byte, chunk), remaining: total}
				if err := c.RegisterProducer(flood, true); err != nil {
					t.Errorf("RegisterProducer: %v", err)
				}
				if err := c.RegisterProducer(flood, true); err != protocol.ErrProducerRegistered {
					t.Errorf("second RegisterProducer: %v, want protocol.ErrProducerRegistered", err)
				}
				flood.schedule()
			}}
		}))
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			client = &tcpRecorder{onMade: func(p *tcpRecorder) {
				smallSocketBuffers(t, p.Transport.(*Conn))
				p.Transport.(protocol.PushProducer).PauseProducing() // a reader that does not read
				r.CallLater(300*time.Millisecond, func() {
					writtenWhilePaused = flood.written
					bufferedWhilePaused = flood.conn.Buffered()
					p.Transport.(protocol.PushProducer).ResumeProducing()
				})
			}, onLost: func(*tcpRecorder) { port.StopListening(); stop() }}
			return client
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
	})
	t.Logf("stalled reader: producer wrote %d bytes, transport held %d, peak buffer %d bytes (high-water mark %d); %d pauses, %d resumes; %v in all",
		writtenWhilePaused, bufferedWhilePaused, flood.maxBuffered, protocol.DefaultBufferSize, flood.pauses, flood.resumes, time.Since(runStart))
	if flood.maxBuffered > protocol.DefaultBufferSize+chunk {
		t.Errorf("peak transport buffer %d bytes, want at most high-water mark + one chunk = %d", flood.maxBuffered, protocol.DefaultBufferSize+chunk)
	}
	if writtenWhilePaused >= total/2 {
		t.Errorf("producer wrote %d of %d bytes while the reader was stalled: not paused", writtenWhilePaused, total)
	}
	if flood.pauses == 0 || flood.resumes == 0 {
		t.Errorf("pauses=%d resumes=%d, want both > 0", flood.pauses, flood.resumes)
	}
	if len(client.data) != total {
		t.Errorf("reader got %d bytes, want %d", len(client.data), total)
	}
}

// tcpPuller is a pull (non-streaming) producer: one chunk per
// ResumeProducing, which the transport calls each time its buffer drains.
type tcpPuller struct {
	conn        *Conn
	chunks      int
	resumes     int
	maxBuffered int
}

func (p *tcpPuller) ResumeProducing() {
	p.resumes++
	if p.chunks == 0 {
		p.conn.UnregisterProducer()
		p.conn.LoseConnection()
		return
	}
	p.chunks--
	p.conn.Write(make([]byte, 100_000))
	p.maxBuffered = max(p.maxBuffered, p.conn.Buffered())
}

func (p *tcpPuller) StopProducing() {}

func TestTCP_PullProducerResumedOnDrain(t *testing.T) {
	r := tcpReactor(t)
	var puller *tcpPuller
	var client *tcpRecorder
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		port := tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
			return &tcpRecorder{onMade: func(p *tcpRecorder) {
				puller = &tcpPuller{conn: p.Transport.(*Conn), chunks: 50}
				if err := puller.conn.RegisterProducer(puller, false); err != nil {
					t.Error(err)
				}
			}}
		}))
		cf := protocol.ClientFactoryFor(func() protocol.Protocol {
			client = &tcpRecorder{onLost: func(*tcpRecorder) { port.StopListening(); stop() }}
			return client
		})
		Connect(r, "127.0.0.1", tcpPortOf(port), cf, protocol.ConnectTCPOptions{})
	})
	if len(client.data) != 50*100_000 || puller.resumes != 51 {
		t.Errorf("got %d bytes after %d resumes, want %d after 51", len(client.data), puller.resumes, 50*100_000)
	}
	if puller.maxBuffered > 100_000 {
		t.Errorf("peak buffer %d, want at most one chunk", puller.maxBuffered)
	}
}

// RegisterProducer(p, true) with a producer that cannot pause is an error,
// and registering on a closed connection stops the producer at once.
func TestTCP_RegisterProducerChecks(t *testing.T) {
	r := tcpReactor(t)
	testkit.RunUntil(t, r, 5*time.Second, func(stop func()) {
		var port *Port
		port = tcpListen(t, r, protocol.FactoryFor(func() protocol.Protocol {
			return &tcpRecorder{onMade: func(p *tcpRecorder) { p.Transport.LoseConnection() },
				onLost: func(p *tcpRecorder) {
					c := p.Transport.(*Conn)
					pull := &tcpStopCounter{}
					if err := c.RegisterProducer(pull, true); err != protocol.ErrNotPushProducer {
						t.Errorf("streaming RegisterProducer of a pull producer: %v", err)
					}
					if err := c.RegisterProducer(pull, false); err != nil || pull.stops != 1 {
						t.Errorf("RegisterProducer on a closed connection: err %v, StopProducing x%d", err, pull.stops)
					}
					port.StopListening()
					stop()
				}}
		}))
		Connect(r, "127.0.0.1", tcpPortOf(port), protocol.ClientFactoryFor(func() protocol.Protocol { return &tcpRecorder{} }), protocol.ConnectTCPOptions{})
	})
}

type tcpStopCounter struct{ stops int }

func (p *tcpStopCounter) ResumeProducing() {}
func (p *tcpStopCounter) StopProducing()   { p.stops++ }
