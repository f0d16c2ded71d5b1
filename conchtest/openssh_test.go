//go:build unix

package conchtest_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
	"github.com/braid-go/braid/trial"
)

// The tests in this file port Conch's ForwardingMixin tests as
// OpenSSHClientForwardingTests runs them (C-11..C-14), against a real
// OpenSSH sshd started by the harness instead of a Conch server.

// sshFixture ports ConchServerSetupMixin's setUp: a server to ssh into and
// echo servers on 127.0.0.1 and (when it binds) ::1.
type sshFixture struct {
	server     *conchtest.SSHServer
	echoPort   int
	echoPortV6 int
}

// setUpSSH starts the fixture; tearDown (stop listening, stop sshd) is
// registered with trial.AddCleanup, as Conch's tearDown does.
func setUpSSH(t *testing.T, r *braid.Reactor, opts conchtest.SSHServerOptions) *reactor.Deferred {
	needProgram(t, "sshd")
	needProgram(t, "ssh")
	fx := &sshFixture{}
	var ports []protocol.ListeningPort
	trial.AddCleanup(t, func() *reactor.Deferred {
		var ds []*reactor.Deferred
		for _, p := range ports {
			ds = append(ds, p.StopListening())
		}
		if fx.server != nil {
			ds = append(ds, fx.server.Stop())
		}
		return reactor.GatherResults(ds, reactor.GatherOptions{})
	})
	echo, err := conchtest.ListenEcho(r, "127.0.0.1")
	if err != nil {
		return reactor.Fail(err)
	}
	ports = append(ports, echo)
	fx.echoPort = conchtest.PortNumber(echo)
	if conchtest.IPv6Loopback() {
		echo6, err := conchtest.ListenEcho(r, "::1")
		if err != nil {
			return reactor.Fail(err)
		}
		ports = append(ports, echo6)
		fx.echoPortV6 = conchtest.PortNumber(echo6)
	}
	return conchtest.StartSSHServer(r, opts).AddCallback(func(v any) (any, error) {
		fx.server = v.(*conchtest.SSHServer)
		return fx, nil
	})
}

// equalBytes is Conch's addCallback(self.assertEqual, want).
func equalBytes(t *testing.T, want string) reactor.Callback {
	return func(v any) (any, error) {
		got, _ := v.([]byte)
		if v == nil || !bytes.Equal(got, []byte(want)) {
			t.Errorf("got %#v, want %q", v, want)
		}
		return v, nil
	}
}

const sshTimeout = 60 * time.Second

// TestOpenSSH_Exec_C10 ports test_exec: ssh runs "echo goodbye" and the
// OpenSSHProcess fires with its output.
func TestOpenSSH_Exec_C10(t *testing.T) {
	leakCheck(t)
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		return setUpSSH(t, r, conchtest.SSHServerOptions{}).AddCallback(func(v any) (any, error) {
			fx := v.(*sshFixture)
			return fx.server.Execute("echo goodbye", &conchtest.OpenSSHProcess{}, "").
				AddCallback(equalBytes(t, "goodbye\n")), nil
		})
	}, trial.Timeout(sshTimeout))
}

// forwardingCase is one of ForwardingMixin's forwarding tests: the ssh
// arguments, given the free local port and the fixture.
type forwardingCase struct {
	name    string
	needV6  bool
	sshArgs func(localPort int, fx *sshFixture) string
}

var forwardingCases = []forwardingCase{
	{"LocalToRemote", false, func(lp int, fx *sshFixture) string {
		return fmt.Sprintf("-N -L%d:127.0.0.1:%d", lp, fx.echoPort)
	}},
	{"RemoteToLocal", false, func(lp int, fx *sshFixture) string {
		return fmt.Sprintf("-N -R %d:127.0.0.1:%d", lp, fx.echoPort)
	}},
	{"LocalToRemoteV6", true, func(lp int, fx *sshFixture) string {
		return fmt.Sprintf("-N -L%d:[::1]:%d", lp, fx.echoPortV6)
	}},
}

// TestOpenSSH_Forwarding_C13 ports test_localToRemoteForwarding,
// test_remoteToLocalForwarding and test_localToRemoteForwardingV6: ssh
// forwards a free local port to the echo server, a faithful
// ForwardingProcess sends "test\n" through it and must get it back.
func TestOpenSSH_Forwarding_C13(t *testing.T) {
	for _, tc := range forwardingCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needV6 && !conchtest.IPv6Loopback() {
				t.Skip("::1 does not bind here (Conch skips the V6 test without IPv6)")
			}
			runForwarding(t, conchtest.SSHServerOptions{}, tc, conchtest.Hardening{})
		})
	}
}

func runForwarding(t *testing.T, opts conchtest.SSHServerOptions, tc forwardingCase, h conchtest.Hardening) *conchtest.ForwardingProcess {
	leakCheck(t)
	var proc *conchtest.ForwardingProcess
	trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
		return setUpSSH(t, r, opts).AddCallback(func(v any) (any, error) {
			fx := v.(*sshFixture)
			localPort, err := conchtest.FreePort()
			if err != nil {
				return nil, err
			}
			proc = conchtest.NewForwardingProcess(r, localPort, []byte("test\n"))
			proc.Hardening = h
			return fx.server.Execute("", proc, tc.sshArgs(localPort, fx)).
				AddCallback(equalBytes(t, "test\n")), nil
		})
	}, trial.Timeout(sshTimeout))
	if proc != nil {
		t.Logf("%s: %d connect attempts, ready after %v, ssh ended: %v",
			tc.name, proc.Timeline.Attempts, proc.Timeline.Readiness(), proc.Timeline.Reason)
	}
	return proc
}

// TestOpenSSH_ForwardingTrace_C14 pins the facts of the observed run: the
// first attempt (inside the spawn) is refused, ssh is ended by SIGKILL
// (the "\x03" does nothing without a terminal), and the Deferred got the echo.
func TestOpenSSH_ForwardingTrace_C14(t *testing.T) {
	proc := runForwarding(t, conchtest.SSHServerOptions{}, forwardingCases[0], conchtest.Hardening{})
	if t.Failed() || proc == nil {
		return
	}
	if proc.Timeline.Attempts < 2 {
		t.Errorf("attempts = %d, want >= 2 (the first is made inside SpawnProcess, before ssh listens)", proc.Timeline.Attempts)
	}
	term, ok := errors.AsType[*protocol.ProcessTerminated](proc.Timeline.Reason)
	if !ok || term.Signal != syscall.SIGKILL {
		t.Errorf("ssh ended with %v, want ProcessTerminated by signal 9", proc.Timeline.Reason)
	}
}

// TestOpenSSH_HardenedForwarding runs the local-to-remote forward with the
// recommended hardening: ssh is found ready within milliseconds of
// listening, and stopped gracefully by SIGTERM (it exits on its own, well
// before the grace period would escalate to SIGKILL).
func TestOpenSSH_HardenedForwarding(t *testing.T) {
	h := conchtest.Hardened()
	proc := runForwarding(t, conchtest.SSHServerOptions{}, forwardingCases[0], h)
	if proc == nil || t.Failed() {
		return
	}
	if term, ok := errors.AsType[*protocol.ProcessTerminated](proc.Timeline.Reason); ok && term.Signal == syscall.SIGKILL {
		t.Errorf("ssh needed SIGKILL: %v", proc.Timeline.Reason)
	}
	if stop := proc.Timeline.Ended.Sub(proc.Timeline.Disconnected); stop >= h.GracePeriod {
		t.Errorf("ssh took %v to stop after SIGTERM, want < grace period %v", stop, h.GracePeriod)
	}
}

// TestSSHServer_Modes runs a forward against sshd started each way the
// harness knows: directly, in a private mount namespace (root), and as an
// unprivileged user (root can test that by running sshd as nobody).
func TestSSHServer_Modes(t *testing.T) {
	root := os.Geteuid() == 0
	cases := []struct {
		name string
		opts conchtest.SSHServerOptions
		skip string
	}{
		{"Direct", conchtest.SSHServerOptions{Mode: conchtest.SSHDDirect}, directSkip(root)},
		{"Namespace", conchtest.SSHServerOptions{Mode: conchtest.SSHDNamespace}, rootOnly(root)},
		{"Unprivileged", conchtest.SSHServerOptions{Mode: conchtest.SSHDDirect,
			Credential: &protocol.Credential{Uid: 65534, Gid: 65534}}, rootOnly(root)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			if tc.opts.Credential != nil {
				tc.opts.Dir = worldReadableDir(t)
			}
			runForwarding(t, tc.opts, forwardingCases[0], conchtest.Hardening{})
		})
	}
}

func rootOnly(root bool) string {
	if root {
		return ""
	}
	return "needs root (running as an ordinary user, Direct is the unprivileged mode)"
}

func directSkip(root bool) string {
	if !root {
		return ""
	}
	if _, err := os.Stat("/run/sshd"); err == nil {
		return ""
	}
	if os.Getenv("CI") != "" {
		return "" // scripts/test.sh creates /run/sshd; let the test fail if it did not
	}
	return "root sshd needs /run/sshd (scripts/test.sh creates it); Namespace mode covers root here"
}

// worldReadableDir is a directory an unprivileged sshd can enter.
func worldReadableDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "braid-sshd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
