package reactor

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"
)

// DelayedCall ports twisted.internet.base.DelayedCall: a call scheduled by
// CallLater, which can be cancelled, moved and inspected until it runs.
type DelayedCall struct {
	q     *timerQueue
	f     func()
	when  int64     // due time, in the queue's nanoseconds
	seq   int64     // orders calls due at the same time (see timerQueue)
	index int32     // position in the heap or run of q, as place says
	place callPlace // where in q the call is

	called    bool
	cancelled bool

	// site is where CallLater was called (and its two callers), for String;
	// nil unless the scheduler records call sites (see String).
	site *[3]uintptr
}

// Cancel ports cancel: it stops a pending call. It returns
// [ErrDelayedCallAlreadyCancelled] if the call was cancelled before and
// [ErrDelayedCallAlreadyCalled] if it has run or is running.
func (c *DelayedCall) Cancel() error {
	if err := c.checkPending(); err != nil {
		return err
	}
	c.cancelled = true
	c.q.remove(c)
	c.f = nil
	return nil
}

// Reset ports reset: the call becomes due delay from now. Errors as
// Cancel.
func (c *DelayedCall) Reset(delay time.Duration) error {
	if err := c.checkPending(); err != nil {
		return err
	}
	c.q.move(c, addDelay(c.q.now(), delay))
	return nil
}

// Delay ports delay: the call becomes due delay later than it was.
// Errors as Cancel.
func (c *DelayedCall) Delay(delay time.Duration) error {
	if err := c.checkPending(); err != nil {
		return err
	}
	c.q.move(c, addDelay(c.when, delay))
	return nil
}

func (c *DelayedCall) checkPending() error {
	switch {
	case c.cancelled:
		return ErrDelayedCallAlreadyCancelled
	case c.called:
		return ErrDelayedCallAlreadyCalled
	}
	return nil
}

// Active ports active: true until the call runs or is cancelled. It is
// false while the call's own function runs.
func (c *DelayedCall) Active() bool { return !c.called && !c.cancelled }

// Called reports whether the call has run (or is running).
func (c *DelayedCall) Called() bool { return c.called }

// Cancelled reports whether the call was cancelled.
func (c *DelayedCall) Cancelled() bool { return c.cancelled }

// GetTime ports getTime: when the call is due, in the scheduler's seconds.
func (c *DelayedCall) GetTime() float64 { return c.q.seconds(c.when) }

// String ports repr([DelayedCall]): time left, state and the function, as
// Twisted prints it; when its reactor records call sites (trial's reactors
// and those made [WithDebugging] do) also the place that scheduled it, as
// Twisted does with DelayedCall.debug — what trial's dirty-reactor report
// prints.
func (c *DelayedCall) String() string {
	left := float64(c.when-c.q.now()) / 1e9
	fn := "<nil>"
	if c.f != nil {
		fn = funcName(c.f)
	}
	site := ""
	if fr, ok := c.scheduledBy(); ok {
		site = fmt.Sprintf(" scheduled at %s:%d", fr.File, fr.Line)
	}
	return fmt.Sprintf("<DelayedCall %p [%.3fs] called=%d cancelled=%d %s()%s>",
		c, left, b2i(c.called), b2i(c.cancelled), fn, site)
}

// scheduledBy returns the frame that called CallLater or, when that is in
// this package ([DeferLater], AddTimeout), the first caller outside it. The
// package's own tests count as outside.
func (c *DelayedCall) scheduledBy() (runtime.Frame, bool) {
	if c.site == nil {
		return runtime.Frame{}, false
	}
	n := 0
	for n < len(c.site) && c.site[n] != 0 {
		n++
	}
	if n == 0 {
		return runtime.Frame{}, false
	}
	frames := runtime.CallersFrames(c.site[:n])
	first, more := frames.Next()
	for fr := first; ; {
		if !strings.HasPrefix(fr.Function, "github.com/braid-go/braid/reactor.") || strings.HasSuffix(fr.File, "_test.go") {
			return fr, true
		}
		if !more {
			return first, true
		}
		fr, more = frames.Next()
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func funcName(f any) string {
	pc := funcPC(f)
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return "?"
	}
	return strings.TrimPrefix(fn.Name(), "github.com/braid-go/braid/")
}

// run marks c called and runs it (R-07: called is set before f runs).
func (c *DelayedCall) run() {
	c.called = true
	f := c.f
	c.f = nil
	if f != nil {
		f()
	}
}

func funcPC(f any) uintptr { return reflect.ValueOf(f).Pointer() }

// callSite returns the program counters of the user code that called
// CallLater and of its two callers (the caller's caller's caller onward).
// It costs a stack walk, a few hundred nanoseconds in a large binary: more
// than the rest of CallLater, hence SetCallSites.
func callSite() *[3]uintptr {
	pcs := new([3]uintptr)
	runtime.Callers(3, pcs[:])
	return pcs
}
