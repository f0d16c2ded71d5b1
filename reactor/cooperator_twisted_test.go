package reactor

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"testing"

	"github.com/braid-go/braid/internal/twistedtest"
)

// TestCooperatorAgainstTwisted runs random programs of up to three tasks
// in one Cooperator — iterators yielding values or Deferreds, or failing;
// Pause, Resume, Stop, WhenDone; the Cooperator stopped and started; steps
// of one, two, three or many units — on braid and on Twisted's
// task.Cooperator (testdata/twisted_cooperator.py), and compares the
// traces: which unit of which task runs when, how each task ends, and what
// each operation returns.
func TestCooperatorAgainstTwisted(t *testing.T) {
	ownUnhandled(t)
	twistedtest.Require(t, twistedModule)
	progs := randomPrograms(1500, 7, randomCoopProgram)
	twistedtest.CompareTraces(t, progs, twistedtest.Traces(t, "testdata/twisted_cooperator.py", progs, twistedTimeout), coopProgram.runOnBraid)
}

const (
	coopPump = iota
	coopPause
	coopResume
	coopStop
	coopFireOK
	coopFireFail
	coopWhenDone
	coopStopAll
	coopStart
	coopAdd
	numCoopOps
)

const (
	unitValue = iota
	unitDefer
	unitRaise
)

type coopOp struct {
	Kind int `json:"kind"`
	Task int `json:"task"`
}

type coopProgram struct {
	Tasks   [][]int  `json:"tasks"` // per task, what each unit does
	PerStep int      `json:"perStep"`
	Ops     []coopOp `json:"ops"`
}

func randomCoopProgram(rng *rand.Rand) coopProgram {
	p := coopProgram{PerStep: []int{1, 2, 3, 100}[rng.IntN(4)]}
	for range 1 + rng.IntN(3) {
		units := []int{}
		for range rng.IntN(6) {
			u := unitValue
			switch rng.IntN(10) {
			case 0:
				u = unitRaise
			case 1, 2, 3:
				u = unitDefer
			}
			units = append(units, u)
		}
		p.Tasks = append(p.Tasks, units)
	}
	for range 1 + rng.IntN(20) {
		k := rng.IntN(numCoopOps + 4)
		if k >= numCoopOps {
			k = coopPump // pumps are the common case
		}
		p.Ops = append(p.Ops, coopOp{Kind: k, Task: rng.IntN(len(p.Tasks))})
	}
	return p
}

func (p coopProgram) String() string {
	b, _ := jsonMarshal(p)
	return string(b)
}

type coopRun struct {
	p        coopProgram
	sched    *fakeScheduler
	coop     *Cooperator
	tasks    []*CooperativeTask
	pending  [][]*Deferred
	watchers []int
	trace    []string
}

func (r *coopRun) log(format string, a ...any) { r.trace = append(r.trace, fmt.Sprintf(format, a...)) }

// coopErrName names err as the script names Twisted's exception.
func coopErrName(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{ErrNotPaused, "NotPaused"}, {ErrTaskDone, "TaskDone"}, {ErrTaskStopped, "TaskStopped"},
		{ErrTaskFailed, "TaskFailed"}, {ErrSchedulerStopped, "SchedulerStopped"}, {fuzzErr(0), "FuzzErr"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func (p coopProgram) runOnBraid() []string {
	r := &coopRun{p: p, sched: &fakeScheduler{}, pending: make([][]*Deferred, len(p.Tasks)), watchers: make([]int, len(p.Tasks))}
	r.coop = NewCooperator(nil, CooperatorOptions{Scheduler: r.sched.schedule, TerminationPredicateFactory: func() func() bool {
		units := 0
		return func() bool { units++; return units >= p.PerStep }
	}})
	r.add()
	for _, o := range p.Ops {
		r.do(o)
	}
	scheduled := 0
	for _, s := range r.sched.work {
		if !s.cancelled {
			scheduled++
		}
	}
	r.log("tasks %d scheduled %d running %v", len(r.coop.tasks), scheduled, r.coop.Running())
	return r.trace
}

func (r *coopRun) seq(i int) iter.Seq[any] {
	return func(yield func(any) bool) {
		for n, kind := range r.p.Tasks[i] {
			r.log("t%d unit %d", i, n)
			var v any = n
			switch kind {
			case unitRaise:
				panic(fuzzErr(0))
			case unitDefer:
				d := NewDeferred(nil)
				r.pending[i] = append(r.pending[i], d)
				v = d
			}
			if !yield(v) {
				return
			}
		}
	}
}

func (r *coopRun) add() {
	i := len(r.tasks)
	r.log("add t%d", i)
	r.tasks = append(r.tasks, r.coop.Cooperate(r.seq(i)))
	r.whenDone(i)
}

func (r *coopRun) whenDone(i int) {
	k := r.watchers[i]
	r.watchers[i]++
	r.tasks[i].WhenDone().AddCallbacks(func(any) (any, error) {
		r.log("t%d whenDone %d: iterator", i, k)
		return nil, nil
	}, func(f *Failure) (any, error) {
		r.log("t%d whenDone %d: %s", i, k, coopErrName(f))
		return nil, nil
	})
}

func (r *coopRun) do(o coopOp) {
	switch o.Kind {
	case coopPump:
		r.log("pump")
		r.sched.pump()
		return
	case coopStopAll:
		r.log("cooperator stop")
		r.coop.Stop()
		return
	case coopStart:
		r.log("cooperator start")
		r.coop.Start()
		return
	case coopAdd:
		if len(r.tasks) < len(r.p.Tasks) {
			r.add()
		}
		return
	}
	i := o.Task
	if i >= len(r.tasks) {
		return
	}
	t := r.tasks[i]
	switch o.Kind {
	case coopPause:
		r.log("pause t%d: %s", i, coopErrName(t.Pause()))
	case coopResume:
		r.log("resume t%d: %s", i, coopErrName(t.Resume()))
	case coopStop:
		r.log("stop t%d: %s", i, coopErrName(t.Stop()))
	case coopFireOK, coopFireFail:
		if len(r.pending[i]) == 0 {
			r.log("t%d nothing to fire", i)
			return
		}
		d := r.pending[i][0]
		r.pending[i] = r.pending[i][1:]
		if o.Kind == coopFireOK {
			r.log("fire t%d ok", i)
			_ = d.Callback(nil)
		} else {
			r.log("fire t%d fail", i)
			_ = d.Errback(fuzzErr(0))
		}
		d.AddErrback(func(*Failure) (any, error) { return nil, nil })
	case coopWhenDone:
		r.whenDone(i)
	}
}
