package reactor

import (
	"fmt"
	"math"
	"time"
)

// [LoopingCall] errors. Twisted fails an assertion or raises ValueError for
// these; braid returns them.
var (
	// ErrLoopingCallRunning is returned by Start on a LoopingCall that is
	// running, or whose last call's Deferred has not fired yet.
	ErrLoopingCallRunning = kind("looping call is already running", nil)
	// ErrLoopingCallNotRunning is returned by Stop and Reset on a LoopingCall
	// that is not running.
	ErrLoopingCallNotRunning = kind("looping call is not running", nil)
	// ErrNegativeInterval is returned by Start for an interval below 0.
	ErrNegativeInterval = kind("looping call interval must not be negative", nil)
)

// LoopingCall ports twisted.internet.task.LoopingCall (TR-12): it calls f
// every interval on a [Time] (a *Reactor, or a *Clock in tests).
//
// Calls are aligned to start + k·interval. When the scheduler falls behind,
// missed intervals are skipped, not replayed: one late call, then the next
// aligned time. If f returns a *Deferred, the next call is scheduled only
// once it has fired. If f fails (an error, a panic, or a failing Deferred),
// the loop stops and the Deferred returned by Start errbacks with that
// Failure; Stop makes it fire with the *LoopingCall itself. An interval of 0
// calls f in every reactor pass (on a Clock, repeatedly within one Advance,
// until f stops it, as in Twisted).
//
// Like everything scheduled on a reactor, a LoopingCall belongs to the
// reactor goroutine.
type LoopingCall struct {
	s       Time
	f       func() (any, error)
	counted func(count int) (any, error) // NewLoopingCallWithCount's function

	interval time.Duration
	start    int64 // scheduler time of Start (or Reset), in nanoseconds
	running  bool
	// What a counting loop needs: whether Start called f at once, and the
	// time of the last call that f saw (kept across Stop and Start).
	runAtStart bool
	lastCall   int64
	calledOnce bool
	pending    bool         // f's last Deferred has not fired yet
	call       *DelayedCall // the next scheduled call, if any
	done       *Deferred    // the Deferred Start returned
}

// NewLoopingCall returns a [LoopingCall] that will call f on s once started.
// Twisted's LoopingCall(f, *args) with its clock attribute set to s.
func NewLoopingCall(s Time, f func() (any, error)) *LoopingCall {
	return &LoopingCall{s: s, f: f}
}

// Start ports start(interval, now): f is called every interval, first at
// once when now is true, else after one interval. The Deferred fires with
// the [LoopingCall] when Stop is called, or errbacks when f fails. Start
// returns [ErrNegativeInterval] for interval < 0 and [ErrLoopingCallRunning] when
// already running (Twisted asserts); also, unlike Twisted, when the previous
// run's Deferred has not fired yet (Twisted would drop the first Deferred
// Start returned). A nil scheduler or f is an error too.
func (lc *LoopingCall) Start(interval time.Duration, now bool) (*Deferred, error) {
	switch {
	case lc.running || lc.pending:
		return nil, ErrLoopingCallRunning
	case interval < 0:
		return nil, fmt.Errorf("%w: %v", ErrNegativeInterval, interval)
	case lc.s == nil || lc.f == nil:
		return nil, fmt.Errorf("reactor: looping call needs a scheduler and a function")
	}
	lc.running = true
	d := NewDeferred(nil)
	lc.done = d
	lc.interval = interval
	lc.start = lc.now()
	lc.runAtStart = now
	if now {
		lc.run()
	} else {
		lc.scheduleFrom(lc.start)
	}
	return d, nil
}

// Stop ports stop(): no further calls are made. The Deferred from Start
// fires with the [LoopingCall] now, or, if f's Deferred is pending, when it
// fires. It returns [ErrLoopingCallNotRunning] when not running.
func (lc *LoopingCall) Stop() error {
	if !lc.running {
		return ErrLoopingCallNotRunning
	}
	lc.running = false
	if lc.call != nil {
		_ = lc.call.Cancel()
		lc.call = nil
		lc.finish(nil)
	}
	return nil
}

// Reset ports reset(): the pending call is dropped and the alignment starts
// again from now, so the next call comes one interval from now. While f's
// Deferred is pending it does nothing. It returns [ErrLoopingCallNotRunning]
// when not running.
func (lc *LoopingCall) Reset() error {
	if !lc.running {
		return ErrLoopingCallNotRunning
	}
	if lc.call != nil {
		_ = lc.call.Cancel()
		lc.call = nil
		lc.start = lc.now()
		lc.scheduleFrom(lc.start)
	}
	return nil
}

// Running reports whether the loop is running: from Start until Stop or a
// failure of f (Twisted's running).
func (lc *LoopingCall) Running() bool { return lc.running }

// Interval returns the interval given to Start.
func (lc *LoopingCall) Interval() time.Duration { return lc.interval }

// String describes the loop as Twisted's repr does: interval and function.
func (lc *LoopingCall) String() string {
	fn := "<nil>"
	switch {
	case lc.counted != nil:
		fn = funcName(lc.counted)
	case lc.f != nil:
		fn = funcName(lc.f)
	}
	return fmt.Sprintf("LoopingCall<%v>(%s)", lc.interval, fn)
}

// run calls f once and arranges what follows when its result is known.
func (lc *LoopingCall) run() {
	lc.call = nil
	lc.pending = true
	d := MaybeDeferred(lc.f)
	d.AddCallbacks(func(any) (any, error) {
		lc.pending = false
		if lc.running {
			lc.scheduleFrom(lc.now())
		} else {
			lc.finish(nil)
		}
		return nil, nil
	}, func(f *Failure) (any, error) {
		lc.pending = false
		lc.running = false
		lc.finish(f)
		return nil, nil
	})
}

// finish fires the Deferred Start returned: with lc, or with f's failure.
func (lc *LoopingCall) finish(f *Failure) {
	d := lc.done
	lc.done = nil
	if d == nil {
		return
	}
	if f != nil {
		_ = d.Errback(f)
		return
	}
	_ = d.Callback(lc)
}

// scheduleFrom schedules the next call at the first aligned time after when.
// Times are integer nanoseconds, so a call made exactly on time waits a
// whole interval (Twisted needs a float-rounding guard for this).
func (lc *LoopingCall) scheduleFrom(when int64) {
	var delay time.Duration
	if lc.interval > 0 {
		elapsed := when - lc.start
		delay = lc.interval - time.Duration(elapsed%int64(lc.interval))
	}
	lc.call = lc.s.CallLater(delay, lc.run)
}

// now reads the scheduler's clock in nanoseconds: exactly for a Reactor or
// a Clock, from Seconds for any other Time.
func (lc *LoopingCall) now() int64 {
	switch s := lc.s.(type) {
	case *Reactor:
		return s.timers.now()
	case *Clock:
		return s.now
	}
	return int64(math.Round(lc.s.Seconds() * 1e9))
}
