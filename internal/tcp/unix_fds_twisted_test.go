//go:build linux

package tcp

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

type fdScenario struct {
	Name  string      `json:"name"`
	Steps [][2]string `json:"steps"`
}

// fdScenarios: what the server does once a client connects; the client
// receives descriptors. testdata/twisted_unix_fds.py says more.
var fdScenarios = []fdScenario{
	{"a descriptor, then a byte", [][2]string{{"fd", "f1"}, {"write", "x"}, {"lose", ""}}},
	{"bytes, a descriptor, a byte", [][2]string{{"write", "ab"}, {"fd", "f1"}, {"write", "c"}, {"lose", ""}}},
	{"descriptors ride on the first bytes queued", [][2]string{
		{"write", "ab"}, {"fd", "f1"}, {"write", "c"}, {"fd", "f2"}, {"fd", "f3"}, {"write", "de"}, {"lose", ""}}},
	{"more descriptors than bytes", [][2]string{{"fd", "f1"}, {"fd", "f2"}, {"write", "x"}}},
	{"a descriptor and no byte", [][2]string{{"fd", "f1"}}},
}

// TestUNIXDescriptorsAgainstTwisted runs each scenario on Twisted and on
// braid and compares what the receiving end saw, in order (each
// descriptor, named by its file, and each chunk of bytes), and how both
// ends ended: which byte carries which descriptor, descriptors before
// their bytes, and ErrFileDescriptorOverrun.
func TestUNIXDescriptorsAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.internet.reactor")
	dir := t.TempDir()
	for _, n := range []string{"f1", "f2", "f3"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var twisted map[string][]string
	twistedtest.Run(t, "testdata/twisted_unix_fds.py", map[string]any{"dir": dir, "scenarios": fdScenarios}, &twisted, 30*time.Second)
	twistedtest.CompareScenarios(t, fdScenarios, func(s fdScenario) string { return s.Name }, twisted, runFDScenariosOnBraid(t, dir))
}

// fdEnd is the braid twin of twisted_unix_fds.py's Server and Client.
type fdEnd struct {
	protocol.BaseProtocol
	steps [][2]string
	files map[string]*os.File
	trace *[]string
	side  string
	done  func()
}

func (e *fdEnd) ConnectionMade() {
	ut := e.Transport.(protocol.UNIXTransport)
	for _, st := range e.steps {
		switch st[0] {
		case "write":
			ut.Write([]byte(st[1]))
		case "fd":
			_ = ut.SendFileDescriptor(int(e.files[st[1]].Fd()))
		case "lose":
			ut.LoseConnection()
		}
	}
}

func (e *fdEnd) FileDescriptorReceived(fd int) {
	target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	*e.trace = append(*e.trace, "fd "+filepath.Base(target))
	_ = unix.Close(fd)
}

func (e *fdEnd) DataReceived(b []byte) { *e.trace = append(*e.trace, "data "+string(b)) }

func (e *fdEnd) ConnectionLost(reason *reactor.Failure) {
	name := "?" + reason.Error()
	switch {
	case errors.Is(reason, protocol.ErrFileDescriptorOverrun):
		name = "FileDescriptorOverrun"
	case errors.Is(reason, reactor.ErrConnectionDone):
		name = "ConnectionDone"
	case errors.Is(reason, reactor.ErrConnectionLost):
		name = "ConnectionLost"
	}
	*e.trace = append(*e.trace, e.side+" lost "+name)
	e.done()
}

func runFDScenariosOnBraid(t *testing.T, dir string) map[string][]string {
	r := tcpReactor(t)
	files := map[string]*os.File{}
	for _, n := range []string{"f1", "f2", "f3"} {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files[n] = f
	}
	out := map[string][]string{}
	left := fdScenarios
	path := filepath.Join(dir, "braid.sock")
	testkit.RunUntil(t, r, 30*time.Second, func(stop func()) {
		var next func()
		next = func() {
			if len(left) == 0 {
				stop()
				return
			}
			s := left[0]
			left = left[1:]
			var client, server []string
			var port *Port
			ended := 0
			done := func() {
				if ended++; ended == 2 {
					out[s.Name] = append(client, server...)
					port.StopListening().AddCallback(func(any) (any, error) { r.CallLater(0, next); return nil, nil })
				}
			}
			var err error
			port, err = ListenUNIX(r, path, protocol.FactoryFor(func() protocol.Protocol {
				return &fdEnd{steps: s.Steps, files: files, trace: &server, side: "server", done: done}
			}), protocol.ListenUNIXOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol {
				return &fdEnd{trace: &client, side: "client", done: done}
			})
			cc.ConnectUNIX(path, protocol.ConnectUNIXOptions{})
		}
		next()
	})
	return out
}
