package reactor

import (
	"errors"
	"iter"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Ports of Twisted's test_cooperator.py (CooperatorTests, AliasTests,
// RunStateTests), and braid's own checks of the Cooperator.

// fakeScheduler is a Cooperator scheduler that runs the steps when the test
// pumps it (test_cooperator's FakeScheduler).
type fakeScheduler struct{ work []*fakeStep }

type fakeStep struct {
	f         func()
	cancelled bool
}

func (s *fakeScheduler) schedule(f func()) func() {
	st := &fakeStep{f: f}
	s.work = append(s.work, st)
	return func() { st.cancelled = true }
}

// pump runs the steps scheduled so far that were not cancelled.
func (s *fakeScheduler) pump() {
	work := s.work
	s.work = nil
	for _, st := range work {
		if !st.cancelled {
			st.f()
		}
	}
}

// oneUnitPerStep is a termination predicate factory ending each step
// after one unit of work.
func oneUnitPerStep() func() bool { return func() bool { return true } }

// values is an iterator over vs.
func values(vs ...any) iter.Seq[any] {
	return func(yield func(any) bool) {
		for _, v := range vs {
			if !yield(v) {
				return
			}
		}
	}
}

// taskOutcome describes how a Deferred fired: "ok <result>" or the error.
type taskOutcome struct {
	fired bool
	value any
	err   error
}

func watch(d *Deferred) *taskOutcome {
	o := &taskOutcome{}
	d.AddCallbacks(func(v any) (any, error) {
		o.fired, o.value = true, v
		return nil, nil
	}, func(f *Failure) (any, error) {
		o.fired, o.err = true, f
		return nil, nil
	})
	return o
}

func (o *taskOutcome) failedWith(t *testing.T, want error) {
	t.Helper()
	switch {
	case !o.fired:
		t.Errorf("Deferred has not fired, want %v", want)
	case !errors.Is(o.err, want):
		t.Errorf("Deferred fired with (%v, %v), want %v", o.value, o.err, want)
	}
}

// sameSeq reports whether v is the iterator seq (WhenDone's result).
func sameSeq(v any, seq iter.Seq[any]) bool {
	got, ok := v.(iter.Seq[any])
	return ok && reflect.ValueOf(got).Pointer() == reflect.ValueOf(seq).Pointer()
}

// testStoppedRejectsNewTasks: a stopped Cooperator fails new work at once.
func TestCooperator_StoppedRejectsNewTasks(t *testing.T) {
	c := NewCooperator(NewClock(), CooperatorOptions{})
	c.Stop()
	watch(c.Coiterate(values())).failedWith(t, ErrSchedulerStopped)
}

// testStopRunning: Stop fails the tasks before any of their work is done.
func TestCooperator_StopRunning(t *testing.T) {
	clock := NewClock()
	c := NewCooperator(clock, CooperatorOptions{})
	ran := 0
	o := watch(c.Coiterate(func(yield func(any) bool) {
		for i := range 3 {
			ran++
			if !yield(i) {
				return
			}
		}
	}))
	c.Stop()
	clock.Advance(time.Second)
	o.failedWith(t, ErrSchedulerStopped)
	if ran != 0 {
		t.Errorf("iterator ran %d units after Stop", ran)
	}
	if n := len(clock.GetDelayedCalls()); n != 0 {
		t.Errorf("%d calls left scheduled", n)
	}
}

// testStopOutstanding: a task waiting on a Deferred when its Cooperator
// stops fails with ErrSchedulerStopped once that Deferred fires, and does
// no more work.
func TestCooperator_StopOutstanding(t *testing.T) {
	clock := NewClock()
	c := NewCooperator(clock, CooperatorOptions{})
	outstanding := NewDeferred(nil)
	after := false
	o := watch(c.Coiterate(func(yield func(any) bool) {
		if yield(outstanding) {
			after = true
		}
	}))
	clock.Advance(time.Second)
	c.Stop()
	_ = outstanding.Callback("arglebargle")
	clock.Advance(time.Second)
	o.failedWith(t, ErrSchedulerStopped)
	if after {
		t.Error("the iterator went on after its Cooperator stopped")
	}
}

var errCoop = errors.New("coop failure")

// testUnexpectedError, testUnexpectedErrorActuallyLater,
// testUnexpectedErrorNotActuallyLater: a panic in the iterator, or a
// yielded Deferred that fails (later, or already), fails the task with
// that error.
func TestCooperator_IteratorErrorsFailTheTask(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  func(clock *Clock) iter.Seq[any]
	}{
		{"panic", func(*Clock) iter.Seq[any] {
			return func(func(any) bool) { panic(errCoop) }
		}},
		{"Deferred failing later", func(clock *Clock) iter.Seq[any] {
			return func(yield func(any) bool) {
				d := NewDeferred(nil)
				clock.CallLater(0, func() { _ = d.Errback(errCoop) })
				yield(d)
			}
		}},
		{"failed Deferred", func(*Clock) iter.Seq[any] { return values(Fail(errCoop)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock()
			c := NewCooperator(clock, CooperatorOptions{})
			o := watch(c.Coiterate(tc.seq(clock)))
			clock.Pump(time.Second, time.Second)
			o.failedWith(t, errCoop)
		})
	}
}

// testCooperation: the tasks of a Cooperator take turns, one unit each.
func TestCooperator_TasksTakeTurns(t *testing.T) {
	clock := NewClock()
	c := NewCooperator(clock, CooperatorOptions{})
	var got []any
	groups := [][]any{{"a", "b", "c"}, {1, 2, 3}, {"d", "e", "f"}, {4, 5, 6}}
	var done []*taskOutcome
	for _, g := range groups {
		done = append(done, watch(c.Coiterate(func(yield func(any) bool) {
			for _, v := range g {
				got = append(got, v)
				if !yield(nil) {
					return
				}
			}
		})))
	}
	clock.Advance(time.Second)
	want := []any{"a", 1, "d", 4, "b", 2, "e", 5, "c", 3, "f", 6}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order of work (-want +got):\n%s", diff)
	}
	for i, o := range done {
		if !o.fired || o.err != nil {
			t.Errorf("task %d: fired=%v err=%v", i, o.fired, o.err)
		}
	}
}

// testResourceExhaustion: a step ends as soon as the termination
// predicate says so.
func TestCooperator_TerminationPredicateEndsStep(t *testing.T) {
	stopped := false
	sched := &fakeScheduler{}
	c := NewCooperator(nil, CooperatorOptions{
		Scheduler:                   sched.schedule,
		TerminationPredicateFactory: func() func() bool { return func() bool { return stopped } },
	})
	var output []int
	o := watch(c.Coiterate(func(yield func(any) bool) {
		for i := range 100 {
			output = append(output, i)
			if i == 9 {
				stopped = true
			}
			if !yield(i) {
				return
			}
		}
	}))
	sched.pump()
	c.Stop()
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, output); diff != "" {
		t.Errorf("work done in the step (-want +got):\n%s", diff)
	}
	o.failedWith(t, ErrSchedulerStopped)
}

// testCallbackReCoiterate: a task added from the WhenDone callback of
// another needs no second scheduled step.
func TestCooperator_CallbackReCoiterate(t *testing.T) {
	var calls []func()
	c := NewCooperator(nil, CooperatorOptions{
		Scheduler: func(f func()) func() {
			if len(calls) > 0 {
				t.Errorf("a step was scheduled while %d were", len(calls))
			}
			calls = append(calls, f)
			return nil
		},
		TerminationPredicateFactory: oneUnitPerStep,
	})
	var done *taskOutcome
	c.Coiterate(values()).AddCallback(func(any) (any, error) {
		done = watch(c.Coiterate(values()))
		return nil, nil
	})
	for work := 0; done == nil || !done.fired; work++ {
		if work > 50 || len(calls) == 0 {
			t.Fatalf("not done after %d steps (%d scheduled)", work, len(calls))
		}
		f := calls[0]
		calls = calls[1:]
		f()
	}
}

// test_removingLastTaskStopsScheduledCall: when the last task leaves, the
// scheduled step is cancelled; a new task schedules one again.
func TestCooperator_RemovingLastTaskCancelsStep(t *testing.T) {
	sched := &fakeScheduler{}
	c := NewCooperator(nil, CooperatorOptions{Scheduler: sched.schedule})
	task1 := c.Cooperate(values(1, 2))
	task2 := c.Cooperate(values(1, 2))
	if len(sched.work) != 1 {
		t.Fatalf("%d steps scheduled, want 1", len(sched.work))
	}
	step := sched.work[0]
	_ = task1.Stop()
	if step.cancelled || !c.scheduled {
		t.Errorf("after one of two tasks stopped: cancelled=%v scheduled=%v", step.cancelled, c.scheduled)
	}
	_ = task2.Stop()
	if !step.cancelled || c.scheduled {
		t.Errorf("after the last task stopped: cancelled=%v scheduled=%v", step.cancelled, c.scheduled)
	}
	c.Cooperate(values(1, 2))
	if len(sched.work) != 2 || sched.work[1].cancelled || !c.scheduled {
		t.Errorf("a new task did not schedule a step: %d scheduled", len(sched.work))
	}
}

// test_runningWhenStarted, …NotStarted, …Running, …Stopped.
func TestCooperator_Running(t *testing.T) {
	if c := NewCooperator(NewClock(), CooperatorOptions{}); !c.Running() {
		t.Error("a new Cooperator is not running")
	}
	c := NewCooperator(NewClock(), CooperatorOptions{NotStarted: true})
	if c.Running() {
		t.Error("a NotStarted Cooperator is running")
	}
	c.Start()
	if !c.Running() {
		t.Error("not running after Start")
	}
	c.Stop()
	if c.Running() {
		t.Error("running after Stop")
	}
}

// A NotStarted Cooperator holds its tasks until Start; a stopped one that
// is started again takes tasks again.
func TestCooperator_NotStartedHoldsTasks(t *testing.T) {
	clock := NewClock()
	c := NewCooperator(clock, CooperatorOptions{NotStarted: true})
	o := watch(c.Coiterate(values(1)))
	clock.Advance(time.Second)
	if o.fired || len(clock.GetDelayedCalls()) != 0 {
		t.Fatalf("before Start: fired=%v scheduled=%d", o.fired, len(clock.GetDelayedCalls()))
	}
	c.Start()
	clock.Advance(time.Second)
	if !o.fired || o.err != nil {
		t.Errorf("after Start: fired=%v err=%v", o.fired, o.err)
	}
	c.Stop()
	c.Start()
	o = watch(c.Coiterate(values(1)))
	clock.Advance(time.Second)
	if !o.fired || o.err != nil {
		t.Errorf("after Stop and Start: fired=%v err=%v", o.fired, o.err)
	}
}

// The default step runs 10ns after it is scheduled, as Twisted's epsilon:
// Advance(0) does not run it.
func TestCooperator_DefaultStepIsLater(t *testing.T) {
	clock := NewClock()
	c := NewCooperator(clock, CooperatorOptions{})
	o := watch(c.Coiterate(values()))
	clock.Advance(0)
	if o.fired {
		t.Fatal("the step ran at Advance(0)")
	}
	clock.Advance(10 * time.Nanosecond)
	if !o.fired {
		t.Error("the step did not run 10ns later")
	}
}

// Unlike Twisted's, Stop fails every task, not every other one.
func TestCooperator_StopFailsEveryTask(t *testing.T) {
	c := NewCooperator(NewClock(), CooperatorOptions{})
	var outs []*taskOutcome
	for range 5 {
		outs = append(outs, watch(c.Coiterate(values(1, 2))))
	}
	c.Stop()
	for _, o := range outs {
		o.failedWith(t, ErrSchedulerStopped)
	}
}

// A task that ends early releases its iterator: the iterator's deferred
// cleanup runs, and no goroutine is left suspended in it.
func TestCooperativeTask_EndingReleasesIterator(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(c *Cooperator, task *CooperativeTask)
	}{
		{"Stop", func(_ *Cooperator, task *CooperativeTask) { _ = task.Stop() }},
		{"Cooperator.Stop", func(c *Cooperator, _ *CooperativeTask) { c.Stop() }},
		{"the iterator stops its own task", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sched := &fakeScheduler{}
			c := NewCooperator(nil, CooperatorOptions{Scheduler: sched.schedule, TerminationPredicateFactory: oneUnitPerStep})
			released := false
			var task *CooperativeTask
			task = c.Cooperate(func(yield func(any) bool) {
				defer func() { released = true }()
				for i := 0; ; i++ {
					if i == 2 && tc.end == nil {
						_ = task.Stop()
					}
					if !yield(i) {
						return
					}
				}
			})
			sched.pump()
			sched.pump()
			if tc.end != nil {
				tc.end(c, task)
			} else {
				sched.pump()
			}
			if !released {
				t.Error("the iterator was not released")
			}
			if task.next != nil {
				t.Error("the task still holds its iterator")
			}
		})
	}
}

// The reactor's own Cooperator is made once and runs on the reactor
// (AliasTests.test_cooperate).
func TestReactor_Cooperator(t *testing.T) {
	r, _ := newReactor(t)
	first := r.Cooperator()
	if second := r.Cooperator(); first != second {
		t.Fatal("Cooperator() gave two Cooperators")
	}
	var got []any
	r.Cooperator().Cooperate(func(yield func(any) bool) {
		for i := 1; i <= 3; i++ {
			got = append(got, i)
			if !yield(i) {
				return
			}
		}
		_ = r.Stop()
	})
	run(t, r, 10*time.Second)
	if diff := cmp.Diff([]any{1, 2, 3}, got); diff != "" {
		t.Errorf("work (-want +got):\n%s", diff)
	}
}

func TestCooperator_NilArguments(t *testing.T) {
	for name, f := range map[string]func(){
		"NewCooperator": func() { NewCooperator(nil, CooperatorOptions{}) },
		"Cooperate":     func() { NewCooperator(NewClock(), CooperatorOptions{}).Cooperate(nil) },
	} {
		func() {
			defer func() {
				if v := recover(); v == nil {
					t.Errorf("%s with nil did not panic", name)
				}
			}()
			f()
		}()
	}
}
