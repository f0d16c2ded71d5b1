package process

import (
	"errors"
	"strings"
	"testing"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// On windows Spawn starts nothing: it returns a *protocol.SpawnError
// wrapping errors.ErrUnsupported that says so, and never calls proto.
func TestSpawn_UnsupportedOnWindows(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	proto := &madeCounter{}
	p, err := Spawn(r, proto, "cmd.exe", []string{"cmd.exe", "/c", "exit"}, protocol.SpawnOptions{})
	if p != nil {
		t.Errorf("Spawn returned a process: %v", p)
	}
	if se, ok := errors.AsType[*protocol.SpawnError](err); !ok || se.Executable != "cmd.exe" {
		t.Errorf("error %v (%T), want a *protocol.SpawnError naming cmd.exe", err, err)
	}
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "not supported on windows") {
		t.Errorf("error %q: want errors.ErrUnsupported, saying it is not supported on windows", err)
	}
	if proto.made != 0 {
		t.Errorf("ConnectionMade called %d times", proto.made)
	}
	if l := Live(r); len(l) != 0 {
		t.Errorf("Live = %v", l)
	}
}

type madeCounter struct {
	protocol.BaseProcessProtocol
	made int
}

func (m *madeCounter) ConnectionMade() { m.made++ }
