package reactor

import (
	"iter"
	"time"
)

// [Cooperator] and [CooperativeTask] errors (Twisted's SchedulerError
// family). errors.Is follows Twisted's classes: every one of them is an
// [ErrScheduler], and ErrTaskDone, ErrTaskStopped and ErrTaskFailed are
// [ErrTaskFinished].
var (
	// ErrScheduler ports task.SchedulerError, the parent of the others.
	ErrScheduler = kind("scheduler or task in the wrong state", nil)
	// ErrSchedulerStopped ports task.SchedulerStopped: the Cooperator was
	// stopped while the task was in it, or before it was added.
	ErrSchedulerStopped = kind("cooperator was stopped", ErrScheduler)
	// ErrTaskFinished ports task.TaskFinished, the parent of the three
	// ways a task ends.
	ErrTaskFinished = kind("cooperative task has finished", ErrScheduler)
	// ErrTaskDone ports task.TaskDone: its iterator was exhausted.
	ErrTaskDone = kind("cooperative task is done", ErrTaskFinished)
	// ErrTaskStopped ports task.TaskStopped: Stop was called on the task.
	ErrTaskStopped = kind("cooperative task was stopped", ErrTaskFinished)
	// ErrTaskFailed ports task.TaskFailed: its iterator panicked, or a
	// Deferred it yielded failed.
	ErrTaskFailed = kind("cooperative task failed", ErrTaskFinished)
	// ErrNotPaused ports task.NotPaused: Resume of a task that is not
	// paused.
	ErrNotPaused = kind("cooperative task is not paused", ErrScheduler)
)

// CooperatorOptions configures [NewCooperator]; the zero value gives
// Twisted's defaults.
type CooperatorOptions struct {
	// Scheduler ports Cooperator's scheduler argument. The Cooperator calls
	// it with its step function whenever it has work and no step is
	// scheduled; Scheduler arranges for step to run once, later, and
	// returns a function that cancels that (or nil, if it cannot be
	// cancelled). Twisted's returns an IDelayedCall, of which only cancel is
	// used. nil means step runs 10ns later on the Cooperator's [Time]
	// (Twisted's callLater with its epsilon), so on a Clock, Advance(0) does
	// not run it.
	Scheduler func(step func()) (cancel func())

	// TerminationPredicateFactory ports Cooperator's
	// terminationPredicateFactory. It is called at the start of each step;
	// the predicate it returns is asked after each unit of work, and the
	// step ends when it returns true. nil means a step ends once it has
	// run for 10ms of wall-clock time (Twisted's _Timer), whatever the
	// Cooperator's Time says.
	TerminationPredicateFactory func() func() bool

	// NotStarted makes the Cooperator hold its tasks until Start is called
	// (Twisted's started=False). By default it starts at once.
	NotStarted bool
}

// Cooperator ports twisted.internet.task.Cooperator: it runs iterators a
// little at a time, a unit of work being one element, sharing each step
// between its tasks in turn so that long work does not hold up the
// reactor. An element that is a *Deferred pauses its task until that
// Deferred has fired. Add work with [Cooperator.Cooperate] or
// [Cooperator.Coiterate]; several Cooperators do not share time with each
// other, so code should use one per reactor ([Reactor.Cooperator] is
// Twisted's global one).
//
// Unlike Twisted's, Stop completes every task it holds: Twisted's skips
// every other one of them, whose Deferreds then never fire.
//
// A Cooperator belongs to the reactor goroutine, as everything scheduled
// on a reactor does. Its iterators are pulled with iter.Pull, so each
// running iterator body has a goroutine of its own while it is suspended;
// a task that ends in any way releases it.
type Cooperator struct {
	s         Time
	schedule  func(step func()) (cancel func())
	terminate func() func() bool

	tasks []*CooperativeTask
	// Twisted walks the tasks with one list iterator that survives between
	// steps; cursor and exhausted are that iterator over tasks.
	cursor    int
	exhausted bool

	scheduled  bool   // a step is scheduled
	cancelStep func() // cancels it, if the scheduler can

	started             bool
	stopped             bool
	mustScheduleOnStart bool
}

// NewCooperator returns a [Cooperator] scheduling its steps on s, as
// opts says (Twisted's Cooperator(...)). s may be nil when opts.Scheduler
// is set; otherwise a nil s panics, naming it.
func NewCooperator(s Time, opts CooperatorOptions) *Cooperator {
	c := &Cooperator{s: s, schedule: opts.Scheduler, terminate: opts.TerminationPredicateFactory,
		started: !opts.NotStarted, exhausted: true}
	if c.schedule == nil {
		if s == nil {
			panic("reactor: NewCooperator: nil Time and no Scheduler (pass the reactor or a Clock)")
		}
		c.schedule = c.callLater
	}
	if c.terminate == nil {
		c.terminate = timeSlice
	}
	return c
}

// cooperatorEpsilon is Twisted's _EPSILON, the delay of a default step.
const cooperatorEpsilon = 10 * time.Nanosecond

func (c *Cooperator) callLater(step func()) func() {
	call := c.s.CallLater(cooperatorEpsilon, step)
	return func() { _ = call.Cancel() }
}

// timeSlice is Twisted's _Timer: true once 10ms have passed.
func timeSlice() func() bool {
	end := time.Now().Add(10 * time.Millisecond)
	return func() bool { return !time.Now().Before(end) }
}

// Cooperate ports cooperate: seq becomes a task of c, and its elements
// are taken one per unit of work, from the next step on. An element that
// is a *Deferred pauses the task until the Deferred fires; if it fails,
// the task fails with its Failure (yield [Fail](err) to fail a task
// from inside). A panic in seq fails the task too. A nil seq panics,
// naming it.
//
// Once it has started, the iterator keeps a suspended goroutine (iter.Pull)
// until the task ends; a task paused for ever, or waiting on a Deferred
// that never fires, keeps it for ever, where Python would collect the
// generator. Stop such a task to release it.
func (c *Cooperator) Cooperate(seq iter.Seq[any]) *CooperativeTask {
	if seq == nil {
		panic("reactor: Cooperator.Cooperate: nil iterator")
	}
	t := &CooperativeTask{coop: c, seq: seq}
	c.addTask(t)
	return t
}

// Coiterate ports coiterate: Cooperate, returning only a Deferred that
// fires with seq once it is exhausted, or fails as the task's
// [CooperativeTask.WhenDone] does.
func (c *Cooperator) Coiterate(seq iter.Seq[any]) *Deferred {
	d := NewDeferred(nil)
	c.Cooperate(seq).WhenDone().ChainDeferred(d)
	return d
}

// Start ports start: tasks added to a Cooperator made with NotStarted,
// or after Stop, run from now on.
func (c *Cooperator) Start() {
	c.stopped = false
	c.started = true
	if c.mustScheduleOnStart {
		c.mustScheduleOnStart = false
		c.reschedule()
	}
}

// Stop ports stop: every task c holds fails with [ErrSchedulerStopped]
// and is forgotten, and the scheduled step is cancelled. Tasks paused at
// that moment (by Pause, or waiting on a Deferred) fail the same way when
// they resume, and so do tasks added later, until Start.
func (c *Cooperator) Stop() {
	c.stopped = true
	for _, t := range append([]*CooperativeTask(nil), c.tasks...) {
		if t.state == nil {
			t.completeWith(ErrSchedulerStopped, NewFailure(ErrSchedulerStopped))
		}
	}
	c.tasks = nil
	c.exhausted = true
	c.cancel()
}

// Running ports the running property: c was started and has not been
// stopped since.
func (c *Cooperator) Running() bool { return c.started && !c.stopped }

func (c *Cooperator) addTask(t *CooperativeTask) {
	c.tasks = append(c.tasks, t)
	if c.stopped {
		t.completeWith(ErrSchedulerStopped, NewFailure(ErrSchedulerStopped))
		return
	}
	c.reschedule()
}

func (c *Cooperator) removeTask(t *CooperativeTask) {
	for i, x := range c.tasks {
		if x == t {
			c.tasks = append(c.tasks[:i], c.tasks[i+1:]...)
			break
		}
	}
	if len(c.tasks) == 0 {
		c.cancel()
	}
}

// cancel cancels the scheduled step, if any.
func (c *Cooperator) cancel() {
	if !c.scheduled {
		return
	}
	c.scheduled = false
	if cancel := c.cancelStep; cancel != nil {
		c.cancelStep = nil
		cancel()
	}
}

func (c *Cooperator) reschedule() {
	if !c.started {
		c.mustScheduleOnStart = true
		return
	}
	if !c.scheduled && len(c.tasks) > 0 {
		c.scheduled = true
		c.cancelStep = c.schedule(c.step)
	}
}

// step is Twisted's _tick: units of work, task after task, until the
// termination predicate says enough or no task is left.
func (c *Cooperator) step() {
	c.scheduled, c.cancelStep = false, nil
	done := c.terminate()
	for len(c.tasks) > 0 {
		for t := c.nextTask(); t != nil; t = c.nextTask() {
			t.oneWorkUnit()
			if done() {
				c.reschedule()
				return
			}
		}
		c.cursor, c.exhausted = 0, false
	}
	c.reschedule()
}

// nextTask advances Twisted's list iterator over the tasks: it sees
// tasks appended since, skips one when an earlier task was removed, and
// once at the end stays there.
func (c *Cooperator) nextTask() *CooperativeTask {
	if c.exhausted {
		return nil
	}
	if c.cursor < len(c.tasks) {
		t := c.tasks[c.cursor]
		c.cursor++
		return t
	}
	c.exhausted = true
	return nil
}

// Cooperator returns the reactor's own [Cooperator], made with the
// default options on first use: Twisted's global one, behind
// task.cooperate and task.coiterate, kept per reactor as braid has no
// globals. r.Cooperator().Cooperate(seq) ports task.cooperate(iterator).
func (r *Reactor) Cooperator() *Cooperator {
	if r.coop == nil {
		r.coop = NewCooperator(r, CooperatorOptions{})
	}
	return r.coop
}
