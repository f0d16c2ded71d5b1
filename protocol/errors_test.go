package protocol_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// F-06 (E-09): the transports' errors carry Twisted's messages, Go-cased,
// and its fields.
func TestErrors_Messages_E09_F06(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&protocol.ProcessDone{}, "a process has ended without apparent errors: process finished with exit code 0"},
		{&protocol.ProcessTerminated{ExitCode: 3, Status: 768}, "a process has ended with a probable error condition: process ended with exit code 3"},
		{&protocol.ProcessTerminated{ExitCode: -1, Signal: 9, Status: 9}, "a process has ended with a probable error condition: process ended by signal 9"},
		{&protocol.ConnectError{}, "an error occurred while connecting"},
		{&protocol.ConnectError{OSError: syscall.ENETUNREACH, Msg: "more"}, "an error occurred while connecting: 101: network is unreachable: more"},
		{&protocol.ConnectionRefusedError{OSError: syscall.ECONNREFUSED}, "connection was refused by other side: 111: connection refused"},
		{&protocol.TimeoutError{}, "user timeout caused connection failure"},
		{&protocol.CannotListenError{Interface: "127.0.0.1", Port: 40381, Err: syscall.EADDRINUSE}, "couldn't listen on 127.0.0.1:40381: address already in use"},
		{&protocol.CannotListenError{Port: 80, Err: syscall.EACCES}, "couldn't listen on any:80: permission denied"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%T: %q, want %q", c.err, got, c.want)
		}
	}
}

// F-06, F-07: Twisted's hierarchy through errors.Is and errors.AsType: a
// refused connect or a connect timeout is a ConnectError and unwraps to
// its errno; ProcessDone is a ConnectionDone, ProcessTerminated a
// ConnectionLost and not a ConnectionDone, also through a Failure.
func TestErrors_Hierarchy_F06_F07(t *testing.T) {
	refused := &protocol.ConnectionRefusedError{OSError: syscall.ECONNREFUSED, Msg: "127.0.0.1:1"}
	if !errors.Is(refused, syscall.ECONNREFUSED) {
		t.Error("ConnectionRefusedError does not unwrap to ECONNREFUSED")
	}
	for _, err := range []error{refused, &protocol.TimeoutError{Msg: "slow"}, reactor.NewFailure(refused)} {
		ce, ok := errors.AsType[*protocol.ConnectError](err)
		if !ok {
			t.Errorf("%v is not a *ConnectError", err)
			continue
		}
		if ce.Msg == "" {
			t.Errorf("%v as a *ConnectError lost its Msg", err)
		}
	}
	if _, ok := errors.AsType[*protocol.ConnectionRefusedError](&protocol.TimeoutError{}); ok {
		t.Error("a TimeoutError is a ConnectionRefusedError")
	}
	kinds := []struct {
		err       error
		is, isNot []error
	}{
		{&protocol.ProcessDone{}, []error{reactor.ErrConnectionDone, reactor.ErrConnectionClosed}, []error{reactor.ErrConnectionLost}},
		{&protocol.ProcessTerminated{ExitCode: 1}, []error{reactor.ErrConnectionLost, reactor.ErrConnectionClosed}, []error{reactor.ErrConnectionDone}},
		{reactor.NewFailure(&protocol.ProcessTerminated{ExitCode: 1}), []error{reactor.ErrConnectionLost}, []error{reactor.ErrConnectionDone}},
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
	if f := reactor.NewFailure(&protocol.ProcessDone{}); f.Check(reactor.ErrConnectionDone) == nil {
		t.Error("Failure(ProcessDone).Check(ErrConnectionDone) is nil")
	}
	if pt, ok := errors.AsType[*protocol.ProcessTerminated](reactor.NewFailure(&protocol.ProcessTerminated{ExitCode: 3, Pid: 7})); !ok || pt.ExitCode != 3 || pt.Pid != 7 {
		t.Errorf("errors.AsType[*ProcessTerminated] through a Failure = %v, %v", pt, ok)
	}
}

// P-14: ParseSignal knows exactly Twisted's five names.
func TestParseSignal_P14(t *testing.T) {
	cases := []struct {
		name string
		want syscall.Signal
		ok   bool
	}{
		{"HUP", syscall.SIGHUP, true},
		{"STOP", stopSignal, true},
		{"INT", syscall.SIGINT, true},
		{"KILL", syscall.SIGKILL, true},
		{"TERM", syscall.SIGTERM, true},
		{"USR1", 0, false},
		{"SIGTERM", 0, false},
		{"term", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, err := protocol.ParseSignal(c.name)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", c.name, got, err, c.want)
		}
		if !c.ok && !errors.Is(err, protocol.ErrUnknownSignal) {
			t.Errorf("ParseSignal(%q) = %v, %v; want ErrUnknownSignal", c.name, got, err)
		}
	}
}

// ChildFD prints in Twisted's notation.
func TestChildFD_String(t *testing.T) {
	for fd, want := range map[protocol.ChildFD]string{protocol.ChildFDRead: "'r'", protocol.ChildFDWrite: "'w'", 0: "0", 7: "7", -3: "invalid ChildFD -3"} {
		if got := fd.String(); got != want {
			t.Errorf("ChildFD(%d).String() = %q, want %q", int(fd), got, want)
		}
	}
}
