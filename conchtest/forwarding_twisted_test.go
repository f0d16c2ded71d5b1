//go:build unix

package conchtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

type forwardScenario struct {
	Name       string `json:"name"`
	Script     string `json:"script"`     // run by /bin/sh -c with $PORT and $ECHO set
	CompareEnd bool   `json:"compareEnd"` // how the process ended is deterministic
}

const socatListen = "exec socat TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr"

var forwardScenarios = []forwardScenario{
	{Name: "forward through socat to the echo server", Script: socatListen + " TCP:127.0.0.1:$ECHO"},
	{Name: "the process exits before its port opens", Script: "exit 3", CompareEnd: true},
	{Name: "the server closes without answering", Script: socatListen + " SYSTEM:true"},
	// Not socat's SYSTEM:'printf abc': socat stops reading a child that has
	// exited, so under load it sometimes closed before sending "abc" (to
	// Twisted and braid alike). This server reads the line, answers, closes,
	// and lingers until it is stopped: were it to exit at once, its end
	// could be seen before the connection's, and both Conch's helper and
	// the faithful port would fire with None (W-14) — a race, not a rule.
	{Name: "the server answers without a newline and closes", Script: `exec /usr/bin/python3 -c '
import os, socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen(1)
c, _ = s.accept()
c.recv(100)
c.sendall(b"abc")
c.close()
time.sleep(60)'`},
	{Name: "the server comes up late", Script: "sleep 0.3; " + socatListen + " TCP:127.0.0.1:$ECHO"},
	// One process (socat's fork option would leave its per-connection child
	// orphaned when the parent is killed): echo one connection, then wait.
	{Name: "a server that outlives Ctrl-C is killed", CompareEnd: true, Script: `exec /usr/bin/python3 -c '
import os, socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen(1)
c, _ = s.accept()
c.sendall(c.recv(100))
c.close()
time.sleep(60)'`},
}

// TestForwardingProcessAgainstTwisted runs each scenario with Conch's own
// ConchTestForwardingProcess (testdata/twisted_forwarding.py) and with the
// faithful ForwardingProcess, and compares what the Deferred fired with
// (None, or the bytes collected) and, where it is deterministic, how the
// process ended (C-02..C-09).
func TestForwardingProcessAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.conch.test.test_conch")
	if _, err := FindProgram("socat", "socat"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("socat is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	var twisted map[string][]string
	twistedtest.Run(t, "testdata/twisted_forwarding.py", forwardScenarios, &twisted, time.Minute)
	twistedtest.CompareScenarios(t, forwardScenarios, func(s forwardScenario) string { return s.Name }, twisted, runForwardScenarios(t))
}

func runForwardScenarios(t *testing.T) map[string][]string {
	r, err := braid.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	echo, err := ListenEcho(r, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	left := forwardScenarios
	var next func()
	next = func() {
		if len(left) == 0 {
			echo.StopListening().AddBoth(func(any) (any, error) { _ = r.Stop(); return nil, nil })
			return
		}
		s := left[0]
		left = left[1:]
		port, err := FreePort()
		if err != nil {
			t.Error(err)
			_ = r.Stop()
			return
		}
		proc := NewForwardingProcess(r, port, []byte("test\n"))
		env := []string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("ECHO=%d", PortNumber(echo)), "PATH=" + os.Getenv("PATH")}
		if _, err := r.SpawnProcess(proc, "/bin/sh", []string{"sh", "-c", s.Script}, protocol.SpawnOptions{Env: env}); err != nil {
			t.Error(err)
			_ = r.Stop()
			return
		}
		proc.Deferred.AddBoth(func(v any) (any, error) {
			trace := []string{"fired with " + pyRepr(v)}
			if s.CompareEnd {
				trace = append(trace, "ended "+pyReason(proc.Timeline.Reason))
			}
			out[s.Name] = trace
			proc.cancelPending() // Conch's loop would go on retrying a port that never opened
			r.CallLater(0, next)
			return nil, nil
		})
	}
	testkit.RunUntil(t, r, time.Minute, func(func()) { next() })
	if len(out) < len(forwardScenarios) {
		t.Errorf("braid's scenarios did not all finish: done %d of %d", len(out), len(forwardScenarios))
	}
	return out
}

// pyRepr prints a Deferred result as twisted_forwarding.py prints
// Conch's: None, or b and the bytes as a JSON string.
func pyRepr(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case []byte:
		quoted, _ := json.Marshal(string(v)) // as the script's json.dumps
		return "b" + string(quoted)
	case *reactor.Failure:
		return "failure: " + v.ErrorMessage()
	}
	return fmt.Sprintf("?%T", v)
}

func pyReason(f *reactor.Failure) string {
	if f == nil {
		return "?none"
	}
	if _, ok := errors.AsType[*protocol.ProcessDone](f); ok {
		return "done"
	}
	if pt, ok := errors.AsType[*protocol.ProcessTerminated](f); ok {
		if pt.Signal != 0 {
			return fmt.Sprintf("terminated exit=None signal=%d", int(pt.Signal))
		}
		return fmt.Sprintf("terminated exit=%d signal=None", pt.ExitCode)
	}
	return "?" + f.ErrorMessage()
}
