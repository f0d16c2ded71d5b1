package reactor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestPrimitivesAgainstTwisted runs random programs on one DeferredLock,
// one DeferredSemaphore and one DeferredQueue — acquires, releases (also
// too many), Run with functions whose Deferreds fire later, puts and gets
// against the limits, and cancellation of any Deferred made so far — and
// the same programs on Twisted's through testdata/twisted_sync.py, and
// compares who got the lock, the token or the value, in which order.
func TestPrimitivesAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, twistedModule)
	progs := randomPrograms(1500, 13, randomSyncProgram)
	twistedtest.CompareTraces(t, progs, twistedtest.Traces(t, "testdata/twisted_sync.py", progs, twistedTimeout), syncProgram.runOnBraid)
}

const (
	syLockAcquire = iota
	syLockRelease
	syLockRun
	sySemAcquire
	sySemRelease
	sySemRun
	syPut
	syGet
	syCancel
	syFireControl
	numSyncOps
)

type syncOp struct {
	Kind int `json:"kind"`
	N    int `json:"n"`
}

type syncProgram struct {
	Tokens  int      `json:"tokens"`
	Size    int      `json:"size"`    // -1: no limit
	Backlog int      `json:"backlog"` // -1: no limit
	Ops     []syncOp `json:"ops"`
}

func randomSyncProgram(rng *rand.Rand) syncProgram {
	p := syncProgram{Tokens: 1 + rng.IntN(3), Size: rng.IntN(4) - 1, Backlog: rng.IntN(4) - 1}
	for range 1 + rng.IntN(25) {
		p.Ops = append(p.Ops, syncOp{Kind: rng.IntN(numSyncOps), N: rng.IntN(10)})
	}
	return p
}

func (p syncProgram) String() string {
	b, _ := jsonMarshal(p)
	return string(b)
}

type syncRun struct {
	lock     DeferredLock
	sem      *DeferredSemaphore
	queue    *DeferredQueue
	ds       []*Deferred
	controls []*Deferred
	trace    []string
}

func (r *syncRun) log(format string, a ...any) { r.trace = append(r.trace, fmt.Sprintf(format, a...)) }

func (p syncProgram) runOnBraid() []string {
	r := &syncRun{}
	var err error
	if r.sem, err = NewDeferredSemaphore(p.Tokens); err != nil {
		return []string{err.Error()}
	}
	var opts []QueueOption
	if p.Size >= 0 {
		opts = append(opts, QueueSize(p.Size))
	}
	if p.Backlog >= 0 {
		opts = append(opts, QueueBacklog(p.Backlog))
	}
	r.queue = NewDeferredQueue(opts...)
	for _, o := range p.Ops {
		r.do(o)
	}
	r.log("final lock locked=%v waiting=%d", r.lock.Locked(), r.lock.waiting.len())
	r.log("final sem tokens=%d waiting=%d", r.sem.Tokens(), r.sem.waiting.len())
	r.log("final queue pending=%d waiting=%d", r.queue.Pending(), r.queue.Waiting())
	return r.trace
}

func (r *syncRun) watch(what string, d *Deferred) {
	i := len(r.ds)
	r.ds = append(r.ds, d)
	r.log("%s -> d%d", what, i)
	d.AddBoth(func(v any) (any, error) {
		r.log("d%d fires with %s", i, r.show(v))
		return v, nil
	})
	d.AddErrback(func(*Failure) (any, error) { return nil, nil })
}

func (r *syncRun) show(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case *Failure:
		if v.Check(ErrCancelled) != nil {
			return "F:cancel"
		}
		if v.Check(ErrNotAcquired) != nil {
			return "F:not acquired" // Twisted: an AssertionError
		}
		return "F:?" + v.ErrorMessage()
	case *DeferredLock, *DeferredSemaphore:
		return "self"
	case int:
		return fmt.Sprintf("v%d", v)
	}
	return fmt.Sprintf("?%T", v)
}

func (r *syncRun) release(what string, p acquirer) {
	if err := p.Release(); errors.Is(err, ErrNotAcquired) {
		r.log("%s release: not acquired", what)
	} else {
		r.log("%s release: ok", what)
	}
}

// runner is what DeferredLock and DeferredSemaphore share with Run.
type runner interface {
	Run(f func() (any, error)) *Deferred
}

func (r *syncRun) run(what string, p runner, n int) {
	r.watch(fmt.Sprintf("%s run f%d", what, n), p.Run(func() (any, error) {
		r.log("%s runs f%d", what, n)
		c := NewDeferred(nil)
		r.controls = append(r.controls, c)
		return c, nil
	}))
}

func (r *syncRun) do(o syncOp) {
	switch o.Kind {
	case syLockAcquire:
		r.watch("lock acquire", r.lock.Acquire())
	case syLockRelease:
		r.release("lock", &r.lock)
	case syLockRun:
		r.run("lock", &r.lock, o.N)
	case sySemAcquire:
		r.watch("sem acquire", r.sem.Acquire())
	case sySemRelease:
		r.release("sem", r.sem)
	case sySemRun:
		r.run("sem", r.sem, o.N)
	case syPut:
		if err := r.queue.Put(o.N); errors.Is(err, ErrQueueOverflow) {
			r.log("put v%d: overflow", o.N)
		} else {
			r.log("put v%d: ok", o.N)
		}
	case syGet:
		if d, err := r.queue.Get(); errors.Is(err, ErrQueueUnderflow) {
			r.log("get: underflow")
		} else {
			r.watch("get", d)
		}
	case syCancel:
		if len(r.ds) > 0 {
			i := o.N % len(r.ds)
			r.log("cancel d%d", i)
			r.ds[i].Cancel()
		}
	case syFireControl:
		if len(r.controls) > 0 {
			i := o.N % len(r.controls)
			if c := r.controls[i]; !c.Called() {
				r.log("control %d fires with v%d", i, o.N)
				_ = c.Callback(o.N)
			}
		}
	}
}
