package braidtest

import (
	"maps"
	"slices"

	"github.com/braid-go/braid/protocol"
)

// Process records one MemoryReactor.SpawnProcess call: its arguments and
// the transport it returned. Twisted's MemoryReactor has no spawnProcess;
// its procmon tests record DummyProcesses in a spawnedProcesses list, which
// this replaces.
type Process struct {
	Protocol   protocol.ProcessProtocol
	Executable string
	Args       []string
	Opts       protocol.SpawnOptions
	Transport  *FakeProcessTransport
}

// SpawnProcess records the call in Processes and does what the real
// reactor does with a child that starts: it makes a FakeProcessTransport
// for proto (pids 1, 2, 3, … in spawn order), calls OnSpawn with it if set,
// binds proto and calls its MakeConnection, so that ConnectionMade has run
// when SpawnProcess returns. It never fails and looks up no executable; no
// child runs, and the test plays it through the transport. Twisted's
// MemoryReactor has no spawnProcess.
//
// Args, opts.Env and opts.ChildFDs are copied into the record, so the
// caller may reuse its own.
func (m *MemoryReactor) SpawnProcess(proto protocol.ProcessProtocol, executable string, args []string, opts protocol.SpawnOptions) (protocol.ProcessTransport, error) {
	opts.Env = slices.Clone(opts.Env)
	opts.ChildFDs = maps.Clone(opts.ChildFDs)
	m.pids++
	t := NewFakeProcessTransport(proto, opts)
	t.SetPid(m.pids)
	m.Processes = append(m.Processes, Process{Protocol: proto, Executable: executable, Args: slices.Clone(args), Opts: opts, Transport: t})
	if m.OnSpawn != nil {
		m.OnSpawn(t)
	}
	protocol.Bind(proto)
	proto.MakeConnection(t)
	return t, nil
}
