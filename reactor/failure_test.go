package reactor

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// F-01: NewFailure wraps an error with the stack where it was made; a
// *Failure is returned as is; NewFailure(nil) (no "current exception" in Go)
// wraps ErrNilError rather than panicking.
func TestFailure_New_E09_F01(t *testing.T) {
	err := errors.New("value")
	f := NewFailure(err)
	if f.Value() != err || f.Unwrap() != err || !errors.Is(f, err) {
		t.Errorf("Failure does not hold and unwrap to its error")
	}
	if len(f.Frames()) == 0 || !strings.Contains(f.Frames()[0], "TestFailure_New_E09_F01") {
		t.Errorf("innermost frame %q, want this test", f.Frames())
	}
	if NewFailure(f) != f {
		t.Error("NewFailure(aFailure) made a new Failure")
	}
	if n := NewFailure(nil); !errors.Is(n, ErrNilError) {
		t.Errorf("NewFailure(nil) = %v, want ErrNilError", n)
	}
	var nilFailure *Failure
	if n := NewFailure(nilFailure); n == nil || !errors.Is(n, ErrNilError) {
		t.Errorf("NewFailure((*Failure)(nil)) = %v, want ErrNilError", n)
	}
}

// F-02 (E-09): Check goes through its arguments in order and returns the
// first the error matches, even when a later one is more specific.
func TestFailure_CheckOrder_E09_F02(t *testing.T) {
	f := NewFailure(ProcessTerminated{ExitCode: 1, Status: 256})
	keyErr := errors.New("KeyError")
	cases := []struct {
		targets []error
		want    error
	}{
		{[]error{keyErr, ErrConnectionClosed, ErrConnectionLost}, ErrConnectionClosed},
		{[]error{ErrConnectionLost, ErrConnectionClosed}, ErrConnectionLost},
		{[]error{keyErr, ErrConnectionDone}, nil},
		{nil, nil},
	}
	for _, c := range cases {
		if got := f.Check(c.targets...); got != c.want {
			t.Errorf("Check(%v) = %v, want %v", c.targets, got, c.want)
		}
	}
	if pt, ok := As[ProcessTerminated](f); !ok || pt.ExitCode != 1 {
		t.Errorf("As[ProcessTerminated] = %v, %v", pt, ok)
	}
	if _, ok := As[*ConnectError](f); ok {
		t.Error("As matched the wrong type")
	}
}

// F-03 (E-09): Trap returns nil on a match, else the Failure itself, so an
// errback returning it passes the very same error down the chain.
func TestFailure_Trap_E09_F03(t *testing.T) {
	f := NewFailure(ErrConnectionLost)
	if err := f.Trap(ErrConnectionClosed); err != nil {
		t.Errorf("Trap(matching) = %v", err)
	}
	d := NewDeferred(nil)
	d.AddErrback(func(f *Failure) (any, error) {
		if err := f.Trap(ErrConnectionDone); err != nil {
			return nil, err
		}
		return "trapped (wrong)", nil
	})
	var next *Failure
	d.AddErrback(func(g *Failure) (any, error) { next = g; return nil, nil })
	_ = d.Errback(f)
	if next != f || next.Value() != ErrConnectionLost {
		t.Errorf("next errback got %v, want the same Failure", next)
	}
}

// F-04, F-05: ErrorMessage, Error, String, Traceback, %+v; CleanFailure.
func TestFailure_MessagesAndTraceback_F04_F05(t *testing.T) {
	f := makeFailureHere()
	want := "connection was refused by other side: 111: connection refused"
	if f.ErrorMessage() != want || f.Error() != want {
		t.Errorf("ErrorMessage %q, Error %q; want %q", f.ErrorMessage(), f.Error(), want)
	}
	if got := f.String(); got != "<Failure *reactor.ConnectionRefusedError: "+want+">" {
		t.Errorf("String() = %q", got)
	}
	tb := f.Traceback()
	for _, part := range []string{"Traceback (most recent call last):", "makeFailureHere", "*reactor.ConnectionRefusedError: " + want} {
		if !strings.Contains(tb, part) {
			t.Errorf("Traceback lacks %q:\n%s", part, tb)
		}
	}
	if strings.Index(tb, "TestFailure_MessagesAndTraceback") > strings.Index(tb, "makeFailureHere") {
		t.Errorf("Traceback not outermost first:\n%s", tb)
	}
	f.CleanFailure()
	if got := fmt.Sprintf("%+v", f); got != tb {
		t.Errorf("%%+v differs from Traceback")
	}
	if got := (&Failure{value: ErrConnectionDone}).Traceback(); !strings.Contains(got, "no stack recorded") {
		t.Errorf("stackless traceback %q", got)
	}
	// A FirstError's traceback shows the member's failure beneath.
	fe := NewFailure(&FirstError{Sub: f, Index: 0})
	if !strings.Contains(fe.Traceback(), "-- caused by --") {
		t.Errorf("FirstError traceback lacks the member's:\n%s", fe.Traceback())
	}
}

func makeFailureHere() *Failure {
	return NewFailure(&ConnectionRefusedError{OSError: syscall.ECONNREFUSED})
}

// F-06 (E-09): the error table: Twisted's messages, Go-cased; fields exact.
func TestErrors_Table_E09_F06(t *testing.T) {
	first := NewFailure(errors.New("KeyError('x')"))
	cases := []struct {
		err  error
		want string
	}{
		{ErrConnectionDone, "connection was closed cleanly"},
		{ErrConnectionLost, "connection to the other side was lost in a non-clean fashion"},
		{ProcessDone{}, "a process has ended without apparent errors: process finished with exit code 0"},
		{ProcessTerminated{ExitCode: 3, Status: 768}, "a process has ended with a probable error condition: process ended with exit code 3"},
		{ProcessTerminated{ExitCode: -1, Signal: 9, Status: 9}, "a process has ended with a probable error condition: process ended by signal 9"},
		{&ConnectError{}, "an error occurred while connecting"},
		{&ConnectError{OSError: syscall.ENETUNREACH, Msg: "more"}, "an error occurred while connecting: 101: network is unreachable: more"},
		{&ConnectionRefusedError{OSError: syscall.ECONNREFUSED}, "connection was refused by other side: 111: connection refused"},
		{&TimeoutError{}, "user timeout caused connection failure"},
		{&CannotListenError{Interface: "127.0.0.1", Port: 40381, Err: syscall.EADDRINUSE}, "couldn't listen on 127.0.0.1:40381: address already in use"},
		{ErrAlreadyCalled, "tried to cancel an already-called event"},
		{ErrAlreadyCancelled, "tried to cancel an already-cancelled event"},
		{ErrReactorNotRunning, "can't stop reactor that isn't running"},
		{ErrReactorNotRestartable, "reactor is not restartable"},
		{ErrReactorAlreadyRunning, "reactor already running"},
		{ErrCancelledError, "deferred was cancelled"},
		{&DeferTimeoutError{Timeout: 5 * time.Second}, "deferred timed out after 5s"},
		{&FirstError{Sub: first, Index: 2}, "FirstError[#2, KeyError('x')]"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%T: %q, want %q", c.err, got, c.want)
		}
	}
	kinds := []struct {
		err    error
		is     []error
		isNot  []error
		fields any
	}{
		{&ConnectionRefusedError{OSError: syscall.ECONNREFUSED}, []error{ErrConnectError, syscall.ECONNREFUSED}, []error{ErrConnectionLost}, nil},
		{&TimeoutError{}, []error{ErrConnectError}, []error{ErrCancelledError}, nil},
		{&DeferTimeoutError{}, nil, []error{ErrConnectError}, nil},
		{ErrConnectionAborted, []error{ErrConnectionLost, ErrConnectionClosed}, []error{ErrConnectionDone}, nil},
		{ErrConnectionFdescWentAway, []error{ErrConnectionLost}, []error{ErrConnectionDone}, nil},
		{&ConnectingCancelledError{}, []error{ErrConnectError, ErrCancelledError}, nil, nil},
	}
	for _, k := range kinds {
		for _, target := range k.is {
			if !errors.Is(k.err, target) {
				t.Errorf("%v is not %v", k.err, target)
			}
		}
		for _, target := range k.isNot {
			if errors.Is(k.err, target) {
				t.Errorf("%v is %v", k.err, target)
			}
		}
	}
	if e := (&ConnectionRefusedError{OSError: syscall.ECONNREFUSED}); e.OSError != syscall.ECONNREFUSED {
		t.Error("OSError field")
	}
	if got := (ProcessDone{}).ExitCode(); got != 0 {
		t.Errorf("ProcessDone.ExitCode = %d", got)
	}
}

// F-07 (E-09) and F-08: ProcessDone is a ConnectionDone, ProcessTerminated is
// a ConnectionLost and not a ConnectionDone; ProcessReason gives them, with
// Twisted's fields, for real children's wait statuses.
func TestErrors_ProcessReasons_E09_F07_F08(t *testing.T) {
	status := func(script string) syscall.WaitStatus {
		t.Helper()
		cmd := exec.Command("/bin/sh", "-c", script)
		_ = cmd.Run()
		if cmd.ProcessState == nil {
			t.Fatalf("sh -c %q did not run", script)
		}
		return cmd.ProcessState.Sys().(syscall.WaitStatus)
	}
	type got struct {
		Type                     string
		IsDone, IsLost, IsClosed bool
		ExitCode, Signal, Status int
	}
	describe := func(err error) got {
		g := got{IsDone: errors.Is(err, ErrConnectionDone), IsLost: errors.Is(err, ErrConnectionLost), IsClosed: errors.Is(err, ErrConnectionClosed)}
		switch e := err.(type) {
		case ProcessDone:
			g.Type, g.ExitCode, g.Status = "ProcessDone", e.ExitCode(), e.Status
		case ProcessTerminated:
			g.Type, g.ExitCode, g.Signal, g.Status = "ProcessTerminated", e.ExitCode, int(e.Signal), e.Status
		}
		return g
	}
	gotAll := []got{describe(ProcessReason(status("exit 0"))), describe(ProcessReason(status("exit 3"))),
		describe(ProcessReason(status("kill -9 $$")))}
	want := []got{
		{"ProcessDone", true, false, true, 0, 0, 0},
		{"ProcessTerminated", false, true, true, 3, 0, 768},
		{"ProcessTerminated", false, true, true, -1, 9, 9},
	}
	if diff := cmp.Diff(want, gotAll); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if (ProcessTerminated{ExitCode: 3}).Exited() != true || (ProcessTerminated{ExitCode: -1, Signal: 9}).Exited() {
		t.Error("Exited")
	}
	// Through a Failure, as an errback sees it.
	if f := NewFailure(ProcessDone{}); f.Check(ErrConnectionDone) == nil {
		t.Error("Failure(ProcessDone).Check(ErrConnectionDone) is nil")
	}
	if f := NewFailure(ProcessTerminated{ExitCode: 1}); f.Check(ErrConnectionDone) != nil {
		t.Error("Failure(ProcessTerminated).Check(ErrConnectionDone) matched")
	}
}
