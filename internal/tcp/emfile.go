//go:build unix

package tcp

import (
	"fmt"
	"time"

	"github.com/braid-go/braid/reactor"
)

// Running out of descriptors while accepting. Like Twisted, a port that
// gets EMFILE or ENFILE frees the reserve descriptor, accepts one waiting
// connection, closes it and takes the reserve back, so that the client
// sees its connection refused rather than hang. When that cannot be done
// — another goroutine took the reserve's number in the instant it was
// free — the port must not spin on a socket it can neither accept from nor
// shed: it stops watching it and tries again after a growing pause, until
// descriptors are free again. Either way it logs a summary at most once a
// second, counting the connections it dropped, instead of a line per try.

// Pauses between accept retries while descriptors are exhausted.
const (
	emfileFirstPause = 10 * time.Millisecond
	emfileMaxPause   = time.Second
	emfileLogEvery   = time.Second
)

// emfileState is a Port's record of an exhaustion in progress.
type emfileState struct {
	dropped  int // connections shed since the last summary
	pauses   int // times accepting paused since the last summary
	lastLog  time.Time
	pause    time.Duration        // the next pause; 0 when not exhausted
	retry    *reactor.DelayedCall // the pending resume, while paused
	shutdown reactor.TriggerID    // closes the port if the reactor stops while paused
	paused   bool
}

// outOfDescriptors handles an EMFILE or ENFILE from accept. It reports
// whether accepting may go on at once (a connection was shed).
func (p *Port) outOfDescriptors(err error) bool {
	e := &p.emfile
	if shedOneConnection(p.fd) {
		e.dropped++
		p.logExhaustion(err)
		return true
	}
	p.pauseAccepting()
	p.logExhaustion(err)
	return false
}

// pauseAccepting stops watching the listening socket for a while.
func (p *Port) pauseAccepting() {
	e := &p.emfile
	e.pauses++
	e.pause = min(max(2*e.pause, emfileFirstPause), emfileMaxPause)
	e.paused = true
	p.r.RemoveReader(p)
	e.retry = p.r.CallLater(e.pause, p.resumeAccepting)
	// Unwatched, the port would be missed by the reactor's shutdown.
	e.shutdown, _ = p.r.AddSystemEventTrigger(reactor.During, "shutdown", func() *reactor.Deferred {
		p.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionLost))
		return nil
	})
}

// resumeAccepting watches the socket again; DoRead then finds out whether
// descriptors are free.
func (p *Port) resumeAccepting() {
	p.endPause()
	if p.fd < 0 || p.disconnecting {
		return
	}
	reserveDescriptor() // take the reserve back if it was lost
	if err := p.r.AddReader(p); err != nil {
		p.r.LogError(reactor.NewFailure(fmt.Errorf("%v: resume accepting: %w", p, err)), "accept")
	}
}

// endPause drops the pause's timer and trigger.
func (p *Port) endPause() {
	e := &p.emfile
	if !e.paused {
		return
	}
	e.paused = false
	if e.retry != nil && e.retry.Active() {
		_ = e.retry.Cancel()
	}
	e.retry = nil
	_ = p.r.RemoveSystemEventTrigger(e.shutdown)
}

// accepted notes a successful accept: descriptors are back.
func (p *Port) acceptedAgain() {
	e := &p.emfile
	if e.pause == 0 {
		return
	}
	e.pause = 0
	if e.dropped+e.pauses > 0 {
		p.logExhaustion(nil)
	}
}

// logExhaustion logs the summary, at most once per emfileLogEvery; err
// nil says accepting works again.
func (p *Port) logExhaustion(err error) {
	e := &p.emfile
	now := time.Now()
	if err != nil && !e.lastLog.IsZero() && now.Sub(e.lastLog) < emfileLogEvery {
		return
	}
	var msg error
	if err != nil {
		msg = fmt.Errorf("%v: accept: %w: out of descriptors; %d connections dropped, accepting paused %d times since the last report",
			p, err, e.dropped, e.pauses)
	} else {
		msg = fmt.Errorf("%v: accepting again; %d connections dropped, accepting paused %d times since the last report",
			p, e.dropped, e.pauses)
	}
	e.dropped, e.pauses, e.lastLog = 0, 0, now
	p.r.LogError(reactor.NewFailure(msg), "accept")
}
