package braidtest

import "github.com/braid-go/braid/reactor"

// CallInThread makes MemoryReactor a reactor.Threads (Twisted's double
// has no threads): f runs at once, on the calling goroutine, so that code
// handing work to a pool stays deterministic in a test. What f hands back
// with CallFromThread waits for the next Iterate, as on the real reactor
// it waits for the next pass: reactor.DeferToThread's Deferred fires there.
// A panic in f is logged to LoggedErrors; a nil f panics, naming it.
func (m *MemoryReactor) CallInThread(f func()) error {
	if f == nil {
		panic("braidtest: MemoryReactor.CallInThread: nil function")
	}
	m.protect(f, "callInThread")
	return nil
}

// SuggestThreadPoolSize records size in ThreadPoolSize; there is no pool.
// It returns reactor.ErrNegativeThreadPoolSize for a size below 0, as the
// real reactor does.
func (m *MemoryReactor) SuggestThreadPoolSize(size int) error {
	if size < 0 {
		return reactor.ErrNegativeThreadPoolSize
	}
	m.ThreadPoolSize = size
	return nil
}
