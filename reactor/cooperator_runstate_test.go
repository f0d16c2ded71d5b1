package reactor

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Ports of test_cooperator.py's RunStateTests: Pause, Resume, Stop, the
// end of the iterator, and how they combine.

var errUnhandledWorker = errors.New("unhandled worker error")

// runState is RunStateTests' fixture: one task over a worker that yields
// 1, 2, 3…, or a Deferred, or ends, or panics, as the test asks next; a
// Cooperator doing one unit of work per pumped step.
type runState struct {
	sched *fakeScheduler
	coop  *Cooperator
	task  *CooperativeTask
	work  []any

	deferNext, stopNext, dieNext bool
}

func newRunState() *runState {
	s := &runState{sched: &fakeScheduler{}}
	s.coop = NewCooperator(nil, CooperatorOptions{Scheduler: s.sched.schedule, TerminationPredicateFactory: oneUnitPerStep})
	s.task = s.coop.Cooperate(s.worker)
	s.coop.Start()
	return s
}

func (s *runState) worker(yield func(any) bool) {
	for i := 1; ; i++ {
		var v any
		switch {
		case s.deferNext:
			s.deferNext = false
			v = NewDeferred(nil)
		case s.stopNext:
			return
		case s.dieNext:
			panic(errUnhandledWorker)
		default:
			v = i
		}
		s.work = append(s.work, v)
		if !yield(v) {
			return
		}
	}
}

func (s *runState) checkWork(t *testing.T, step string, want ...any) {
	t.Helper()
	if want == nil {
		want = []any{}
	}
	got := append([]any{}, s.work...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: work (-want +got):\n%s", step, diff)
	}
}

func TestCooperativeTask_PauseResume(t *testing.T) {
	s := newRunState()
	s.sched.pump()
	s.sched.pump()
	s.checkWork(t, "two steps", 1, 2)
	if err := s.task.Pause(); err != nil {
		t.Fatal(err)
	}
	s.sched.pump()
	s.checkWork(t, "paused", 1, 2)
	if err := s.task.Resume(); err != nil {
		t.Fatal(err)
	}
	s.checkWork(t, "resumed, before a step", 1, 2)
	s.sched.pump()
	s.checkWork(t, "resumed", 1, 2, 3)
}

func TestCooperativeTask_ResumeNotPaused(t *testing.T) {
	s := newRunState()
	if err := s.task.Resume(); !errors.Is(err, ErrNotPaused) {
		t.Errorf("Resume of a running task = %v, want ErrNotPaused", err)
	}
	_ = s.task.Pause()
	if err := s.task.Resume(); err != nil {
		t.Errorf("Resume after Pause = %v", err)
	}
	if err := s.task.Resume(); !errors.Is(err, ErrNotPaused) || !errors.Is(err, ErrScheduler) {
		t.Errorf("second Resume = %v, want ErrNotPaused (an ErrScheduler)", err)
	}
}

func TestCooperativeTask_PauseTwice(t *testing.T) {
	s := newRunState()
	for i, step := range []func() error{s.task.Pause, s.task.Pause, s.task.Resume} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
		s.sched.pump()
		if len(s.work) != 0 {
			t.Fatalf("step %d: work done while paused: %v", i, s.work)
		}
	}
	_ = s.task.Resume()
	s.sched.pump()
	s.checkWork(t, "resumed twice", 1)
}

func TestCooperativeTask_PauseWhileDeferred(t *testing.T) {
	s := newRunState()
	s.deferNext = true
	s.sched.pump()
	if len(s.work) != 1 {
		t.Fatalf("work = %v, want one Deferred", s.work)
	}
	d := s.work[0].(*Deferred)
	s.sched.pump()
	_ = s.task.Pause()
	s.sched.pump()
	_ = s.task.Resume()
	s.sched.pump()
	if len(s.work) != 1 {
		t.Fatalf("work went on before the Deferred fired: %v", s.work)
	}
	_ = d.Callback("STUFF!")
	s.sched.pump()
	if len(s.work) != 2 || s.work[1] != 2 {
		t.Errorf("after the Deferred fired: work = %v, want [d 2]", s.work)
	}
}

func TestCooperativeTask_WhenDone(t *testing.T) {
	s := newRunState()
	d1, d2 := s.task.WhenDone(), s.task.WhenDone()
	var results1, results2, final1, final2 []any
	d1.AddCallback(func(v any) (any, error) { results1 = append(results1, v); return 1, nil })
	d2.AddCallback(func(v any) (any, error) { results2 = append(results2, v); return 2, nil })
	d1.AddCallback(func(v any) (any, error) { final1 = append(final1, v); return nil, nil })
	d2.AddCallback(func(v any) (any, error) { final2 = append(final2, v); return nil, nil })
	s.stopNext = true
	s.sched.pump()
	if len(results1) != 1 || !sameSeq(results1[0], s.task.seq) || len(results2) != 1 || !sameSeq(results2[0], s.task.seq) {
		t.Errorf("WhenDone results %v, %v: want the iterator once each", results1, results2)
	}
	if diff := cmp.Diff([]any{1}, final1); diff != "" {
		t.Errorf("first chain (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{2}, final2); diff != "" {
		t.Errorf("second chain (-want +got):\n%s", diff)
	}
}

func TestCooperativeTask_WhenDoneError(t *testing.T) {
	s := newRunState()
	o := watch(s.task.WhenDone())
	s.dieNext = true
	s.sched.pump()
	o.failedWith(t, errUnhandledWorker)
}

func TestCooperativeTask_WhenDoneStop(t *testing.T) {
	s := newRunState()
	o := watch(s.task.WhenDone())
	if err := s.task.Stop(); err != nil {
		t.Fatal(err)
	}
	o.failedWith(t, ErrTaskStopped)
}

func TestCooperativeTask_WhenDoneAlreadyDone(t *testing.T) {
	s := newRunState()
	s.stopNext = true
	s.sched.pump()
	o := watch(s.task.WhenDone())
	if !o.fired || !sameSeq(o.value, s.task.seq) {
		t.Errorf("WhenDone after the end: fired=%v value=%v err=%v", o.fired, o.value, o.err)
	}
}

func TestCooperativeTask_StopStops(t *testing.T) {
	s := newRunState()
	_ = s.task.Stop()
	s.sched.pump()
	s.checkWork(t, "after Stop")
	if err := s.task.Stop(); !errors.Is(err, ErrTaskStopped) || !errors.Is(err, ErrTaskFinished) {
		t.Errorf("second Stop = %v, want ErrTaskStopped (an ErrTaskFinished)", err)
	}
	if err := s.task.Pause(); !errors.Is(err, ErrTaskStopped) {
		t.Errorf("Pause after Stop = %v, want ErrTaskStopped", err)
	}
	s.sched.pump()
	s.checkWork(t, "later")
}

func TestCooperativeTask_PauseStopResume(t *testing.T) {
	s := newRunState()
	_ = s.task.Pause()
	_ = s.task.Stop()
	if err := s.task.Resume(); err != nil {
		t.Errorf("Resume of a paused, stopped task = %v", err)
	}
	s.sched.pump()
	s.checkWork(t, "after")
}

// test_stopDeferred: a task stopped while it waits on a Deferred is not
// resumed when the Deferred fires, and the Deferred's result is consumed.
func TestCooperativeTask_StopDeferred(t *testing.T) {
	s := newRunState()
	s.deferNext = true
	s.sched.pump()
	d := s.work[0].(*Deferred)
	s.work = nil
	if s.task.pauses != 1 {
		t.Fatalf("pauses = %d, want 1", s.task.pauses)
	}
	var results []any
	d.AddBoth(func(v any) (any, error) { results = append(results, v); return nil, nil })
	s.sched.pump()
	_ = s.task.Stop()
	s.sched.pump()
	_ = d.Callback(7)
	s.sched.pump()
	if diff := cmp.Diff([]any{nil}, results); diff != "" {
		t.Errorf("the Deferred's result after the task (-want +got):\n%s", diff)
	}
	s.checkWork(t, "after")
}

func TestCooperativeTask_StopFinished(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(s *runState)
		want error
	}{
		{"exhausted", func(s *runState) { s.stopNext = true }, ErrTaskDone},
		{"errored", func(s *runState) { s.dieNext = true }, ErrTaskFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newRunState()
			s.task.WhenDone().AddErrback(func(*Failure) (any, error) { return nil, nil })
			tc.end(s)
			s.sched.pump()
			if err := s.task.Stop(); !errors.Is(err, tc.want) {
				t.Errorf("Stop = %v, want %v", err, tc.want)
			}
		})
	}
}

// test_stopCooperatorReentrancy: a WhenDone callback may stop the
// Cooperator: the finished task has already left it.
func TestCooperativeTask_StopCooperatorFromWhenDone(t *testing.T) {
	s := newRunState()
	var phases []any
	s.task.WhenDone().AddCallback(func(v any) (any, error) {
		phases = append(phases, sameSeq(v, s.task.seq))
		s.coop.Stop()
		phases = append(phases, "done")
		return nil, nil
	})
	s.stopNext = true
	s.sched.pump()
	if diff := cmp.Diff([]any{true, "done"}, phases); diff != "" {
		t.Errorf("callback phases (-want +got):\n%s", diff)
	}
}
