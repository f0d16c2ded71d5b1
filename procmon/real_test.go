package procmon_test

// Tests with real processes on braid's reactor. Timing is checked only
// loosely, from the times the monitor recorded: a loaded machine may be
// late, never early.

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/procmon"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// slack is how late a loaded machine may be, for the upper bounds.
const slack = 5 * time.Second

// A process that keeps dying at once is restarted after MinRestartDelay,
// then twice that, up to MaxRestartDelay.
func TestReal_CrashingProcessRestartsWithBackoff(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		pm := procmon.New(r)
		pm.Threshold = 10 * time.Second
		pm.MinRestartDelay = 50 * time.Millisecond
		pm.MaxRestartDelay = 200 * time.Millisecond
		var starts []float64
		fourth := reactor.NewDeferred(nil)
		pm.LogLine = func(name, stream, line string) {
			if name != "crasher" || stream != "stdout" || line != "started" {
				t.Errorf("logged %s %s %q, want crasher stdout \"started\"", name, stream, line)
			}
			started, _ := pm.TimeStarted(name)
			starts = append(starts, started)
			if len(starts) == 4 {
				_ = fourth.Callback(nil)
			}
		}
		if err := pm.AddProcess("crasher", []string{"/bin/sh", "-c", "echo started; exit 1"}, procmon.ProcessOptions{}); err != nil {
			t.Fatal(err)
		}
		pm.StartService()
		return fourth.AddCallback(func(any) (any, error) {
			for i, want := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond} {
				gap := time.Duration((starts[i+1] - starts[i]) * float64(time.Second))
				if gap < want-time.Millisecond || gap > want+slack {
					t.Errorf("restart %d came %v after the start before, want %v (loosely)", i+1, gap, want)
				}
			}
			if got := pm.Delay("crasher"); got != 200*time.Millisecond {
				t.Errorf("delay after three quick deaths = %v, want the 200ms cap", got)
			}
			return pm.StopService(), nil
		})
	})
}

// Output is logged line by line per stream, the last unterminated line
// when the process ends.
func TestReal_OutputIsLoggedByLine(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		pm := procmon.New(r)
		pm.MinRestartDelay = time.Hour // one run is enough
		lines := map[string][]string{}
		ended := reactor.NewDeferred(nil)
		pm.LogLine = func(name, stream, line string) {
			lines[stream] = append(lines[stream], line)
			if line == "three" {
				_ = ended.Callback(nil) // logged from ProcessEnded: the run is over
			}
		}
		script := `printf 'err\n' >&2; printf 'one\ntwo\nthree'`
		if err := pm.AddProcess("talker", []string{"/bin/sh", "-c", script}, procmon.ProcessOptions{}); err != nil {
			t.Fatal(err)
		}
		pm.StartService()
		return ended.AddCallback(func(any) (any, error) {
			if want := []string{"one", "two", "three"}; !slices.Equal(lines["stdout"], want) {
				t.Errorf("stdout lines %q, want %q", lines["stdout"], want)
			}
			if want := []string{"err"}; !slices.Equal(lines["stderr"], want) {
				t.Errorf("stderr lines %q, want %q", lines["stderr"], want)
			}
			return pm.StopService(), nil // cancels the restart
		})
	})
}

// A server started under the monitor is ready once its port accepts, which
// python3 opens after a pause.
func TestReal_ReadyWhenPythonServerListens(t *testing.T) {
	python := needProgram(t, "python3")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		port, err := conchtest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		const script = `
import socket, sys, time
time.sleep(0.2)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
while True:
    s.accept()[0].close()
`
		return checkReadyServer(t, r, []string{python, "-c", script, fmt.Sprint(port)}, nil, port)
	})
}

// The same with this test binary as the server: no dependency at all.
func TestReal_ReadyWhenSelfServerListens(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		port, err := conchtest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		args, env := selfServer(t, port, 200*time.Millisecond)
		return checkReadyServer(t, r, args, env, port)
	})
}

// checkReadyServer runs a server that listens on port about 0.2 s after
// its start and checks that Ready fires once it does, after a few refused
// attempts, and not before.
func checkReadyServer(t *testing.T, r *braid.Reactor, args, env []string, port int) *reactor.Deferred {
	pm := procmon.New(r)
	pm.LogLine = func(string, string, string) {}
	opts := procmon.ProcessOptions{Env: env, Ready: procmon.Readiness{Port: port, Deadline: 30 * time.Second}}
	if err := pm.AddProcess("server", args, opts); err != nil {
		t.Fatal(err)
	}
	pm.StartService()
	return pm.Ready("server").AddCallback(func(v any) (any, error) {
		if v != pm.Protocol("server") {
			t.Errorf("Ready fired with %v, want the running protocol %v", v, pm.Protocol("server"))
		}
		started, _ := pm.TimeStarted("server")
		if waited := time.Duration((r.Seconds() - started) * float64(time.Second)); waited < 200*time.Millisecond {
			t.Errorf("ready %v after the spawn, before the server could listen", waited)
		}
		// Ready again while it runs: fired already.
		if again := pm.Ready("server"); !again.Called() {
			t.Error("Ready on a ready process has not fired")
		}
		return pm.StopService(), nil
	})
}

// A process that ends before its port accepts fails Ready with its exit
// reason.
func TestReal_ReadyFailsWhenProcessEndsFirst(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		port, err := conchtest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		pm := procmon.New(r)
		opts := procmon.ProcessOptions{Ready: procmon.Readiness{Port: port}}
		if err := pm.AddProcess("quitter", []string{"/bin/sh", "-c", "exit 3"}, opts); err != nil {
			t.Fatal(err)
		}
		pm.StartService()
		return pm.Ready("quitter").AddCallbacks(func(v any) (any, error) {
			return nil, fmt.Errorf("Ready fired with %v; want a failure", v)
		}, func(f *reactor.Failure) (any, error) {
			nre, ok := errors.AsType[*procmon.NotReadyError](f)
			if !ok {
				return nil, f
			}
			pt, ok := errors.AsType[*protocol.ProcessTerminated](f)
			if !ok || pt.ExitCode != 3 {
				t.Errorf("failure %v, want the exit reason, exit code 3", f)
			}
			if nre.Name != "quitter" || nre.Port != port || nre.Attempts < 1 {
				t.Errorf("NotReadyError %+v, want name quitter, port %d, attempts made", nre, port)
			}
			return pm.StopService(), nil // cancels the restart
		})
	})
}

// A server that does not open its port within the deadline fails Ready,
// and is stopped, then restarted, by the monitor.
func TestReal_ReadyDeadlineStopsAndRestartsTheProcess(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		port, err := conchtest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		pm := procmon.New(r)
		pm.MinRestartDelay = 10 * time.Millisecond
		ups := 0
		second := reactor.NewDeferred(nil)
		pm.LogLine = func(name, stream, line string) {
			if ups++; ups == 2 {
				_ = second.Callback(nil)
			}
		}
		opts := procmon.ProcessOptions{Ready: procmon.Readiness{Port: port, Deadline: 100 * time.Millisecond}}
		if err := pm.AddProcess("mute", []string{"/bin/sh", "-c", "echo up; exec sleep 30"}, opts); err != nil {
			t.Fatal(err)
		}
		pm.StartService()
		failed := false
		pm.Ready("mute").AddErrback(func(f *reactor.Failure) (any, error) {
			nre, ok := errors.AsType[*procmon.NotReadyError](f)
			if !ok || !errors.Is(f, procmon.ErrReadyDeadline) || nre.Deadline != 100*time.Millisecond {
				t.Errorf("Ready failed with %v, want the readiness deadline", f)
			}
			if dc := pm.MurderCall("mute"); dc == nil || !dc.Active() {
				t.Error("no SIGKILL pending: the hung process was not stopped")
			}
			failed = true
			return nil, nil
		})
		return second.AddCallback(func(any) (any, error) {
			if !failed {
				t.Error("restarted before Ready failed")
			}
			return pm.StopService(), nil
		})
	})
}

// StopService sends SIGTERM, then SIGKILL after KillTime to a process that
// ignores it, and its Deferred fires once nothing runs: trial's
// dirty-reactor check would report a child, a pending call or a pipe left.
func TestReal_StopServiceLeavesNothingBehind(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		pm := procmon.New(r)
		pm.KillTime = 100 * time.Millisecond
		both := reactor.NewDeferred(nil)
		ready := 0
		pm.LogLine = func(name, stream, line string) {
			if ready++; ready == 2 {
				_ = both.Callback(nil)
			}
		}
		stubborn := `trap "" TERM; echo trapped; read line`
		if err := pm.AddProcess("stubborn", []string{"/bin/sh", "-c", stubborn}, procmon.ProcessOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pm.AddProcess("polite", []string{"/bin/sh", "-c", "echo waiting; read line"}, procmon.ProcessOptions{}); err != nil {
			t.Fatal(err)
		}
		pm.StartService()
		var stopAsked float64
		return both.AddCallback(func(any) (any, error) {
			stopAsked = r.Seconds()
			return pm.StopService(), nil
		}).AddCallback(func(any) (any, error) {
			took := time.Duration((r.Seconds() - stopAsked) * float64(time.Second))
			if took < pm.KillTime {
				t.Errorf("StopService fired %v after it was called, before KillTime", took)
			}
			if len(pm.Protocols()) != 0 || pm.MurderCall("stubborn") != nil {
				t.Errorf("after StopService: protocols %v, murder %v", pm.Protocols(), pm.MurderCall("stubborn"))
			}
			return nil, nil
		})
	})
}

// A process that cannot be executed is logged and retried as one that died
// at once; Ready fails with the spawn error.
func TestReal_SpawnFailureIsLoggedAndRetried(t *testing.T) {
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		pm := procmon.New(r)
		pm.MinRestartDelay = 20 * time.Millisecond
		if err := pm.AddProcess("ghost", []string{"/nonexistent/server"}, procmon.ProcessOptions{}); err != nil {
			t.Fatal(err)
		}
		ready := pm.Ready("ghost")
		pm.StartService()
		f := trial.FailureResultOf(t, ready, fs.ErrNotExist)
		if _, ok := errors.AsType[*protocol.SpawnError](f); !ok {
			t.Errorf("Ready failed with %v, want the *protocol.SpawnError", f)
		}
		if pm.Protocol("ghost") != nil {
			t.Error("a protocol is left for a process that never ran")
		}
		if dc := pm.RestartCall("ghost"); dc == nil || !dc.Active() {
			t.Fatal("no restart scheduled after the spawn failure")
		}
		if got := pm.Delay("ghost"); got != 40*time.Millisecond {
			t.Errorf("delay after a failed spawn = %v, want 40ms (doubled)", got)
		}
		// The restart fails again, and is logged again.
		return reactor.DeferLater(r, 100*time.Millisecond, nil).AddCallback(func(any) (any, error) {
			logged := trial.FlushLoggedErrors(t, fs.ErrNotExist)
			if len(logged) < 2 {
				t.Errorf("%d spawn failures logged, want the first and a retry", len(logged))
			}
			return pm.StopService(), nil
		})
	})
}
