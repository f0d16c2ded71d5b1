package procmon_test

import (
	"errors"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/procmon"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

func needLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Readiness.VerifyListener reads /proc and sock_diag: Linux only")
	}
}

// With VerifyListener, a run whose own server answers is ready.
func TestReal_VerifyListenerAcceptsTheSpawnedServer(t *testing.T) {
	needLinux(t)
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		args, env := selfServer(t, port, 50*time.Millisecond)
		pm := procmon.New(r)
		pm.LogLine = func(string, string, string) {}
		opts := procmon.ProcessOptions{Env: env, Ready: procmon.Readiness{Port: port, Deadline: 30 * time.Second, VerifyListener: true}}
		if err := pm.AddProcess("server", args, opts); err != nil {
			t.Fatal(err)
		}
		pm.StartService()
		return pm.Ready("server").AddCallback(func(any) (any, error) {
			return pm.StopService(), nil
		})
	})
}

// With VerifyListener, a stale listener holding the port (here, this test
// process's) is not taken for the server: Ready fails with a ListenerError
// naming its owner, and the process runs on.
func TestReal_VerifyListenerRejectsAStaleListener(t *testing.T) {
	needLinux(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	sleep := needProgram(t, "sleep")
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		pm := procmon.New(r)
		pm.LogLine = func(string, string, string) {}
		opts := procmon.ProcessOptions{Ready: procmon.Readiness{Port: port, Deadline: 30 * time.Second, VerifyListener: true}}
		if err := pm.AddProcess("server", []string{sleep, "60"}, opts); err != nil {
			t.Fatal(err)
		}
		pm.StartService()
		return pm.Ready("server").AddCallbacks(func(v any) (any, error) {
			t.Errorf("Ready fired with %v, want a ListenerError", v)
			return pm.StopService(), nil
		}, func(f *reactor.Failure) (any, error) {
			le, ok := errors.AsType[*procmon.ListenerError](f)
			if !ok {
				t.Errorf("Ready failed with %v, want a *procmon.ListenerError", f)
			} else if le.Owner != os.Getpid() || le.Port != port || le.Err != nil {
				t.Errorf("ListenerError %+v, want owner %d (this test) on port %d", le, os.Getpid(), port)
			}
			if pm.Protocol("server") == nil {
				t.Error("the process was stopped; it should run on")
			}
			return pm.StopService(), nil
		})
	})
}
