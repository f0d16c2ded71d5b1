package reactor

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Thread pool errors.
var (
	// ErrReactorShutDown is returned by [BlockingCallFromThread] and [Wait]
	// when the reactor shuts down (or is closed) before the call has a
	// result, and is the parent of [ErrThreadPoolStopped]. Twisted would
	// wait for ever.
	ErrReactorShutDown = kind("reactor has shut down", nil)
	// ErrThreadPoolStopped is returned by CallInThread, and fails the
	// Deferred of [DeferToThread], once the reactor's pool has stopped at
	// shutdown or Close (Twisted drops the call silently).
	ErrThreadPoolStopped = kind("reactor thread pool has stopped: the reactor has shut down", ErrReactorShutDown)
	// ErrNegativeThreadPoolSize is returned by SuggestThreadPoolSize for a
	// size below 0 (Twisted asserts).
	ErrNegativeThreadPoolSize = kind("thread pool size must not be negative", nil)
)

// defaultThreadPoolSize is the most goroutines the pool runs at once, as
// Twisted's reactor threadpool, ThreadPool(0, 10).
const defaultThreadPoolSize = 10

// threadPool is the reactor's pool behind CallInThread. Goroutines start
// as work arrives, up to size, and end when the queue is empty, so an idle
// pool holds none. Work waits until the reactor runs, as in Twisted.
type threadPool struct {
	mu      sync.Mutex
	size    int
	started bool // the reactor has run: workers may start
	stopped bool // shut down: new work is refused
	queue   []poolItem
	workers int // goroutines running work()
	busy    int // of which are running an item
	done    sync.WaitGroup

	// panics holds the Failures of items that panicked, until the reactor
	// goroutine logs them: notify asks it to (through CallFromThread), and
	// stop does it itself, as the loop runs no pass after shutdown.
	panics []*Failure
	notify func()
	log    func(*Failure)
	// logger is the reactor's (Reactor.Logger), for what stop says while
	// it waits.
	logger func() *slog.Logger
}

type poolItem struct {
	run func()
	// refuse, if not nil, is told on the reactor goroutine when the item
	// is dropped at shutdown without having run.
	refuse func(error)
}

func (p *threadPool) add(it poolItem) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return ErrThreadPoolStopped
	}
	p.queue = append(p.queue, it)
	p.growLocked()
	return nil
}

// growLocked starts workers while items wait that no free worker will take.
func (p *threadPool) growLocked() {
	if !p.started || p.stopped {
		return
	}
	for p.workers < p.size && p.workers-p.busy < len(p.queue) {
		p.workers++
		p.done.Add(1)
		go p.work()
	}
}

func (p *threadPool) work() {
	defer p.done.Done()
	p.mu.Lock()
	// A pool made smaller sheds workers between items; one shutting down
	// keeps them to run the backlog, as Twisted's does.
	for len(p.queue) > 0 && (p.workers <= p.size || p.stopped) {
		it := p.queue[0]
		p.queue[0] = poolItem{}
		p.queue = p.queue[1:]
		p.busy++
		p.mu.Unlock()
		p.run(it.run)
		p.mu.Lock()
		p.busy--
	}
	p.workers--
	p.mu.Unlock()
}

func (p *threadPool) run(f func()) {
	defer func() {
		if v := recover(); v != nil {
			failure := FailureFromPanic(v)
			p.mu.Lock()
			p.panics = append(p.panics, failure)
			p.mu.Unlock()
			p.notify()
		}
	}()
	f()
}

// logPanics logs the panics of items not logged yet, on the reactor
// goroutine.
func (p *threadPool) logPanics() {
	p.mu.Lock()
	panics := p.panics
	p.panics = nil
	p.mu.Unlock()
	for _, f := range panics {
		p.log(f)
	}
}

func (p *threadPool) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = true
	p.growLocked()
}

func (p *threadPool) resize(size int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.size = size
	p.growLocked()
}

// stop refuses new work, lets the workers finish the queue, and waits for
// them, saying after a while what it waits for. Items no worker will run
// (the pool never started, or has size 0) are refused. It runs on the
// reactor goroutine.
func (p *threadPool) stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	defer p.logPanics() // those of the items run meanwhile
	var dropped []poolItem
	if p.workers == 0 {
		dropped, p.queue = p.queue, nil
	}
	p.mu.Unlock()
	for _, it := range dropped {
		if it.refuse != nil {
			it.refuse(ErrThreadPoolStopped)
		}
	}
	joined := make(chan struct{})
	go func() {
		p.done.Wait()
		close(joined)
	}()
	select {
	case <-joined:
		return
	case <-time.After(threadPoolPatience):
	}
	p.mu.Lock()
	busy, queued := p.busy, len(p.queue)
	p.mu.Unlock()
	p.logger().Warn(fmt.Sprintf("reactor shutdown is waiting for %d CallInThread calls to return (%d more queued)", busy, queued))
	<-joined
}

// threadPoolPatience is how long shutdown waits for the pool before it
// says what it is waiting for; a variable for tests.
var threadPoolPatience = 5 * time.Second

// haltSignal is closed when the reactor shuts down or is closed, so that
// BlockingCallFromThread stops waiting. Its zero value is ready; it is
// safe from any goroutine.
type haltSignal struct {
	mu     sync.Mutex
	ch     chan struct{}
	halted bool
}

func (h *haltSignal) wait() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ch == nil {
		h.ch = make(chan struct{})
	}
	return h.ch
}

func (h *haltSignal) halt() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.halted {
		return
	}
	h.halted = true
	if h.ch == nil {
		h.ch = make(chan struct{})
	}
	close(h.ch)
}

func (h *haltSignal) isHalted() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.halted
}
