package iosim

import "github.com/braid-go/braid/protocol"

// FakeTransport's flow control: the Consumer side (a producer registered
// with it) and the PushProducer side (pausing what it delivers).

// RegisterProducer ports registerProducer. A pull producer (streaming false)
// is resumed at once and then on every pump, whatever it wrote, as in
// Twisted's iosim; the pump drains the queue each time, so that is "each
// time the buffer has drained". A streaming producer is left alone: the
// queue has no high-water mark, so it is never paused, and so never resumed
// (test_iosim's streaming producer tests pin this). Unlike Twisted's iosim,
// which replaces a registered producer silently, it returns
// protocol.ErrProducerRegistered while one is registered, and
// protocol.ErrNotPushProducer for a streaming producer without
// PauseProducing. On a transport whose protocol has been given
// ConnectionLost, p is stopped at once.
func (t *FakeTransport) RegisterProducer(p protocol.Producer, streaming bool) error {
	if t.producer != nil {
		return protocol.ErrProducerRegistered
	}
	if streaming {
		if _, ok := p.(protocol.PushProducer); !ok {
			return protocol.ErrNotPushProducer
		}
	}
	if t.lost {
		p.StopProducing()
		return nil
	}
	t.producer, t.streaming = p, streaming
	if !streaming {
		p.ResumeProducing()
	}
	return nil
}

// UnregisterProducer ports unregisterProducer.
func (t *FakeTransport) UnregisterProducer() {
	t.producer, t.streaming = nil, false
}

// Producer returns the registered producer, or nil, and whether it was
// registered as streaming (Twisted's producer and streamingProducer).
func (t *FakeTransport) Producer() (p protocol.Producer, streaming bool) {
	return t.producer, t.streaming
}

// resumePullProducer is Twisted's _checkProducer: the pump calls it on each
// pass to let a pull producer write again.
func (t *FakeTransport) resumePullProducer() {
	if t.producer != nil && !t.streaming {
		t.producer.ResumeProducing()
	}
}

// stopProducer stops and forgets the registered producer: the connection
// is gone. A TCP transport does this; Twisted's iosim does not.
func (t *FakeTransport) stopProducer() {
	if p := t.producer; p != nil {
		t.producer, t.streaming = nil, false
		p.StopProducing()
	}
}

// PauseProducing ports pauseProducing as a TCP transport means it, stop
// reading: until ResumeProducing, the pump leaves what the other end writes
// in that end's queue, and a close or half-close from the other end waits
// behind those bytes. Twisted's iosim ignores the call.
func (t *FakeTransport) PauseProducing() { t.paused = true }

// ResumeProducing ports resumeProducing: the next pump delivers what was
// held.
func (t *FakeTransport) ResumeProducing() { t.paused = false }

// Paused reports whether PauseProducing holds delivery to this end.
func (t *FakeTransport) Paused() bool { return t.paused }

// StopProducing ports stopProducing: LoseConnection.
func (t *FakeTransport) StopProducing() { t.LoseConnection() }
