package braidtest

import (
	"fmt"
	"strconv"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// NonStreamingProducer ports twisted.internet.testing.NonStreamingProducer:
// a pull producer that writes its counter ("0", "1", … "9") to Consumer once
// per ResumeProducing, and after the tenth write unregisters itself and
// fires Result.
//
// Twisted's has a pauseProducing that raises, since a pull producer is never
// paused; this one has no PauseProducing at all, so it is a
// protocol.Producer but not a protocol.PushProducer, and a consumer refuses
// to register it as streaming.
type NonStreamingProducer struct {
	// Consumer is written to; it is nil once the producer has finished or
	// been stopped.
	Consumer protocol.Consumer
	// Counter is the number of writes made.
	Counter int
	// Stopped is set by StopProducing.
	Stopped bool
	// Result fires with nil when the producer finishes or is stopped,
	// whichever comes first. Unlike Twisted, which deletes its result
	// attribute then, it stays set.
	Result *reactor.Deferred
}

var _ protocol.Producer = (*NonStreamingProducer)(nil)

// producerWrites is how many writes NonStreamingProducer makes.
const producerWrites = 10

// NewNonStreamingProducer ports NonStreamingProducer(consumer). It does not
// register itself: call c.RegisterProducer(p, false).
func NewNonStreamingProducer(c protocol.Consumer) *NonStreamingProducer {
	return &NonStreamingProducer{Consumer: c, Result: reactor.NewDeferred(nil)}
}

// ResumeProducing ports resumeProducing: it writes Counter and counts the
// write; the tenth write is followed by Consumer.UnregisterProducer and the
// firing of Result. Once finished or stopped it panics with an error
// wrapping ErrProducerDone (Twisted raises RuntimeError).
func (p *NonStreamingProducer) ResumeProducing() {
	if p.Consumer == nil || p.Counter >= producerWrites {
		panic(fmt.Errorf("braidtest: NonStreamingProducer.ResumeProducing: %w", ErrProducerDone))
	}
	p.Consumer.Write([]byte(strconv.Itoa(p.Counter)))
	p.Counter++
	if p.Counter == producerWrites {
		p.Consumer.UnregisterProducer()
		p.done()
	}
}

// StopProducing ports stopProducing: it sets Stopped, forgets Consumer and
// fires Result if it has not fired.
func (p *NonStreamingProducer) StopProducing() {
	p.Stopped = true
	p.done()
}

func (p *NonStreamingProducer) done() {
	p.Consumer = nil
	if p.Result != nil && !p.Result.Called() {
		_ = p.Result.Callback(nil)
	}
}
