package reactor

import "iter"

// CooperativeTask ports task.CooperativeTask: one iterator running in a
// [Cooperator], which can be paused, resumed, stopped and waited for.
// Make one with [Cooperator.Cooperate].
type CooperativeTask struct {
	coop *Cooperator
	seq  iter.Seq[any]

	next    func() (any, bool) // seq pulled; nil until the first unit of work
	stop    func()
	pulling bool // next is running: stop must wait for it to return

	waiters []*Deferred // WhenDone's, until the task completes
	pauses  int
	state   error // nil until complete: ErrTaskDone, ErrTaskStopped, ErrTaskFailed or ErrSchedulerStopped
	result  any   // what WhenDone fires with once complete: seq or a *Failure
}

// WhenDone ports whenDone: a new Deferred that fires with the task's
// iterator (the iter.Seq[any] given to Cooperate) once it is exhausted, or
// fails with the Failure of its panic or failed Deferred, with
// [ErrTaskStopped] after Stop, or with [ErrSchedulerStopped] when its
// Cooperator stopped. Each call gives a Deferred of its own; once the
// task is complete, the Deferred has fired already.
func (t *CooperativeTask) WhenDone() *Deferred {
	d := NewDeferred(nil)
	if t.state == nil {
		t.waiters = append(t.waiters, d)
	} else {
		fireTaskResult(d, t.result)
	}
	return d
}

// Pause ports pause: the task does no work until Resume has been called as
// many times as Pause. It returns the error the task finished with
// ([ErrTaskDone], [ErrTaskStopped], [ErrTaskFailed] or
// [ErrSchedulerStopped]) if it has finished.
func (t *CooperativeTask) Pause() error {
	if t.state != nil {
		return t.state
	}
	t.pauses++
	if t.pauses == 1 {
		t.coop.removeTask(t)
	}
	return nil
}

// Resume ports resume: it undoes one Pause, and the task works again from
// the next step once every Pause is undone. It returns [ErrNotPaused] for
// a task that is not paused; resuming a paused task that has finished
// meanwhile is allowed and does nothing else.
func (t *CooperativeTask) Resume() error {
	if t.pauses == 0 {
		return ErrNotPaused
	}
	t.pauses--
	if t.pauses == 0 && t.state == nil {
		t.coop.addTask(t)
	}
	return nil
}

// Stop ports stop: the task does no more work, and its WhenDone Deferreds
// fail with [ErrTaskStopped]. It returns the error the task finished with
// if it has finished already.
func (t *CooperativeTask) Stop() error {
	if t.state != nil {
		return t.state
	}
	t.completeWith(ErrTaskStopped, NewFailure(ErrTaskStopped))
	return nil
}

// completeWith ends the task: it leaves its Cooperator first, so that the
// WhenDone callbacks fired last may use the Cooperator freely.
func (t *CooperativeTask) completeWith(state error, result any) {
	t.state, t.result = state, result
	if t.pauses == 0 {
		t.coop.removeTask(t)
	}
	if !t.pulling {
		t.release()
	}
	waiters := t.waiters
	t.waiters = nil
	for _, d := range waiters {
		fireTaskResult(d, result)
	}
}

// release ends the iterator's goroutine, if it has one.
func (t *CooperativeTask) release() {
	if stop := t.stop; stop != nil {
		t.next, t.stop = nil, nil
		stop()
	}
}

// oneWorkUnit takes one element of the iterator: it completes the task at
// the end or on a panic, and pauses it on a Deferred.
func (t *CooperativeTask) oneWorkUnit() {
	if t.next == nil {
		t.next, t.stop = iter.Pull(t.seq)
	}
	v, ok, failure := t.pull()
	if t.state != nil {
		// The iterator finished its own task (or Cooperator) meanwhile.
		t.release()
		return
	}
	switch {
	case failure != nil:
		t.completeWith(ErrTaskFailed, failure)
	case !ok:
		t.completeWith(ErrTaskDone, t.seq)
	default:
		if d, isDeferred := v.(*Deferred); isDeferred {
			_ = t.Pause()
			d.AddCallbacks(func(any) (any, error) {
				return nil, t.Resume()
			}, func(f *Failure) (any, error) {
				if t.state != nil {
					// Finished meanwhile (stopped): as in Twisted, the task
					// now counts as failed, but its WhenDone Deferreds have
					// fired already and are left alone.
					t.state, t.result = ErrTaskFailed, f
					return nil, nil
				}
				t.completeWith(ErrTaskFailed, f)
				return nil, nil
			})
		}
	}
}

// pull takes the next element, turning a panic in the iterator into a
// Failure.
func (t *CooperativeTask) pull() (v any, ok bool, failure *Failure) {
	t.pulling = true
	defer func() {
		t.pulling = false
		if p := recover(); p != nil {
			failure = FailureFromPanic(p)
			t.next, t.stop = nil, nil // a panicking iterator is finished
		}
	}()
	v, ok = t.next()
	return v, ok, nil
}

// fireTaskResult fires d with a task's result: a *Failure goes down the errback
// path.
func fireTaskResult(d *Deferred, result any) {
	if f, ok := result.(*Failure); ok {
		_ = d.Errback(f)
		return
	}
	_ = d.Callback(result)
}
