package braidtest

import "errors"

// Misuse that Twisted's doubles report by raising RuntimeError. The methods
// concerned have no error result in braid's interfaces, so braidtest panics
// with an error wrapping one of these, in the manner of sync.WaitGroup's
// misuse panics; recover it and match it with errors.Is.
var (
	// ErrNoProducer: StringTransport.UnregisterProducer with no producer
	// registered.
	ErrNoProducer = errors.New("no producer is registered")
	// ErrProducerStopped: PauseProducing or ResumeProducing of a
	// StringTransport after its StopProducing.
	ErrProducerStopped = errors.New("cannot pause or resume a stopped producer")
	// ErrDisconnecting: PauseProducing or ResumeProducing of a
	// StringTransport after its LoseConnection (unless Lenient is set).
	ErrDisconnecting = errors.New("cannot pause or resume producing after LoseConnection")
	// ErrProducerDone: NonStreamingProducer.ResumeProducing after the
	// producer finished or was stopped.
	ErrProducerDone = errors.New("producer resumed after it unregistered or was stopped")
)

// ErrRefused is what RaisingMemoryReactor fails with when the error for the
// call is not set.
var ErrRefused = errors.New("refused by RaisingMemoryReactor")
