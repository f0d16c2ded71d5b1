package trial

import (
	"fmt"
	"strings"

	"github.com/braid-go/braid/reactor"
)

// DirtyReactorAggregateError ports trial's DirtyReactorAggregateError: what a
// test left behind in its reactor, one description per line, all of which
// trial has since cleaned up. Twisted reports pending calls and selectables
// separately and leaves children running (TR-06, TR-08); braid reports them
// together, with the children it killed and reaped (W-04) and the
// InlineCallbacks bodies it abandoned.
type DirtyReactorAggregateError struct {
	// DelayedCalls are the pending calls, as DelayedCall.String prints them
	// (the function and where it was scheduled); they were cancelled.
	DelayedCalls []string
	// Selectables are the descriptors still registered (sockets, listening
	// ports, process pipes); they were removed and told ConnectionLost, so
	// they closed.
	Selectables []string
	// Processes are the children still alive (pid and argv); they were
	// killed, with their process group, and reaped.
	Processes []string
	// InlineCallbacks are the bodies still suspended on a Deferred; they
	// were abandoned, so their goroutines ended.
	InlineCallbacks []string
}

// Empty reports whether nothing was left behind.
func (e *DirtyReactorAggregateError) Empty() bool {
	return len(e.DelayedCalls)+len(e.Selectables)+len(e.Processes)+len(e.InlineCallbacks) == 0
}

// Error lists what was left, one section per kind, one line per thing.
func (e *DirtyReactorAggregateError) Error() string {
	var b strings.Builder
	b.WriteString("reactor was unclean (trial has cleaned up what is listed).")
	section := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		b.WriteString("\n" + title + ":")
		for _, l := range lines {
			b.WriteString("\n" + l)
		}
	}
	section("DelayedCalls (cancelled)", e.DelayedCalls)
	section("Selectables (removed, ConnectionLost)", e.Selectables)
	section("Processes (killed and reaped)", e.Processes)
	section("InlineCallbacks (abandoned)", e.InlineCallbacks)
	return b.String()
}

// finish is the janitor (trial's _cleanUp and _Janitor), run after the test
// and its cleanups, even when the test ended with t.Fatal. Its stages run
// user code (due calls, deferred functions of abandoned bodies,
// ConnectionLost methods) that may itself call t.Fatal; each stage is
// therefore deferred, in reverse order, so the later ones still run.
func (ru *testRun) finish() {
	// A t.Fatal inside a callback leaves the loop mid-pass: make the
	// reactor re-runnable so it can be iterated and closed.
	ru.r.Crash()
	var dirty DirtyReactorAggregateError
	defer ru.close(&dirty)
	defer ru.removeDescriptors()
	defer ru.killChildren(&dirty)
	defer ru.noteDescriptors(&dirty)
	defer ru.cancelCalls(&dirty)
	defer ru.abandonInline(&dirty)
	// TR-06: run what is due now and chains of CallLater(0) two deep.
	ru.r.Iterate(0)
	ru.r.Iterate(0)
}

// abandonInline unwinds the bodies the test left suspended first, so their
// deferred functions can still tidy up.
func (ru *testRun) abandonInline(dirty *DirtyReactorAggregateError) {
	for _, p := range ru.scope.Pending() {
		dirty.InlineCallbacks = append(dirty.InlineCallbacks, p.String())
		p.Abandon()
	}
}

// cancelCalls reports and cancels the pending calls (TR-06).
func (ru *testRun) cancelCalls(dirty *DirtyReactorAggregateError) {
	for _, c := range ru.r.GetDelayedCalls() {
		if c.Active() {
			dirty.DelayedCalls = append(dirty.DelayedCalls, c.String())
			_ = c.Cancel()
		}
	}
}

// noteDescriptors names the registered descriptors (TR-08) before
// killChildren closes the pipes of the children.
func (ru *testRun) noteDescriptors(dirty *DirtyReactorAggregateError) {
	seen := make(map[reactor.Selectable]bool)
	for _, s := range ru.r.GetReaders() {
		ru.noteSelectable(dirty, seen, s)
	}
	for _, s := range ru.r.GetWriters() {
		ru.noteSelectable(dirty, seen, s)
	}
}

// removeDescriptors removes every descriptor and tells it ConnectionLost.
// Calls those methods schedule are consequences of the cleanup, not of the
// test: they are dropped quietly.
func (ru *testRun) removeDescriptors() {
	for _, s := range ru.r.RemoveAll() {
		ru.connectionLost(s)
	}
	for _, c := range ru.r.GetDelayedCalls() {
		if c.Active() {
			_ = c.Cancel()
		}
	}
}

// close reports what was found and closes the reactor, so no epoll set or
// eventfd outlives the test.
func (ru *testRun) close(dirty *DirtyReactorAggregateError) {
	ru.reportLogged()
	if !dirty.Empty() {
		ru.t.Errorf("trial: %v", dirty)
	}
	ru.r.Crash()
	if err := ru.r.Close(); err != nil {
		ru.t.Errorf("trial: closing the reactor: %v", err)
	}
}

func (ru *testRun) noteSelectable(dirty *DirtyReactorAggregateError, seen map[reactor.Selectable]bool, s reactor.Selectable) {
	if seen[s] {
		return
	}
	seen[s] = true
	dirty.Selectables = append(dirty.Selectables, describeSelectable(s))
}

// describeSelectable prints a descriptor: its String (TCP transports name
// addresses, process pipes the pid and argv), else its type and fd.
func describeSelectable(s reactor.Selectable) string {
	if str, ok := s.(fmt.Stringer); ok {
		return str.String()
	}
	return fmt.Sprintf("<%T fd=%d>", s, s.Fileno())
}

// connectionLost tells a removed descriptor the connection is lost, as the
// reactor's own shutdown does, so it closes its fd. A panic is
// logged, and so fails the test.
func (ru *testRun) connectionLost(s reactor.Selectable) {
	defer func() {
		if v := recover(); v != nil {
			ru.r.LogError(reactor.FailureFromPanic(v), "connectionLost during trial cleanup")
		}
	}()
	s.ConnectionLost(reactor.NewFailure(reactor.ErrConnectionLost))
}
