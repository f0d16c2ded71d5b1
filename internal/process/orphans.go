//go:build unix

package process

import (
	"sync"
	"syscall"
	"time"
)

// An orphan is a child whose reactor dropped its exit watcher while it
// still ran — a reactor shut down, as in Twisted, leaves its children
// running. The orphanage reaps it when it exits, so that it is
// never left a zombie: one goroutine per orphan waits on the watcher's
// descriptor and reaps through the watcher, so it never touches another
// library's children and needs no SIGCHLD handler. It works alike for
// every kind of watcher. Signals to an orphan go through the orphanage
// too: under its lock the child is unreaped exactly until the reap, so a
// signal can never reach a recycled pid (as far as the watcher itself
// guards against that; see exitWatcherKind).
type orphan struct {
	mu     sync.Mutex
	w      exitWatcher // nil once reaped and closed
	reaped chan struct{}
}

// adopt takes ownership of w, the watcher of an unreaped child, and
// reaps the child once it exits.
func adopt(w exitWatcher) *orphan {
	o := &orphan{w: w, reaped: make(chan struct{})}
	go o.watch()
	return o
}

// watch waits for the exit, reaps, and releases the watcher.
func (o *orphan) watch() {
	defer close(o.reaped)
	for {
		awaitExit(o.w, -1)
		o.mu.Lock()
		_, ok, err := o.w.reap()
		if ok || err != nil {
			// Reaped, or gone (ECHILD): either way no orphan of ours now.
			o.w.close()
			o.w = nil
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
		// Readable but not yet reapable: a kqueue reports the exit a
		// moment before the child is a zombie.
		time.Sleep(time.Millisecond)
	}
}

// signal sends sig to the orphan; syscall.ESRCH once it has been reaped.
func (o *orphan) signal(sig syscall.Signal) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.w == nil {
		return syscall.ESRCH
	}
	return o.w.signal(sig)
}

// wait waits at most timeout for the orphan to be reaped: KillAndReap's
// wait for an orphan. It reports whether it was.
func (o *orphan) wait(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-o.reaped:
		return true
	case <-t.C:
		return false
	}
}
