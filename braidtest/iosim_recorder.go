package braidtest

import "github.com/braid-go/braid/braidtest/iosim"

// MemoryReactor offers its TCP records to iosim.NewConnectionCompleter, as
// Twisted's ConnectionCompleter reads a MemoryReactor's lists.
var _ iosim.TCPRecorder = (*MemoryReactor)(nil)

// TCPConnects returns TCPClients as iosim records, oldest first, so that an
// iosim.ConnectionCompleter can complete them.
func (m *MemoryReactor) TCPConnects() []iosim.ConnectRecord {
	out := make([]iosim.ConnectRecord, len(m.TCPClients))
	for i, c := range m.TCPClients {
		out[i] = iosim.ConnectRecord{Host: c.Host, Port: c.Port, Factory: c.Factory, Opts: c.Opts, Connector: c.Connector}
	}
	return out
}

// TCPListens returns TCPServers as iosim records, oldest first.
func (m *MemoryReactor) TCPListens() []iosim.ListenRecord {
	out := make([]iosim.ListenRecord, len(m.TCPServers))
	for i, s := range m.TCPServers {
		out[i] = iosim.ListenRecord{Port: s.Port, Factory: s.Factory, Opts: s.Opts}
	}
	return out
}

// RemoveTCPConnect deletes TCPClients[i], as Twisted's ConnectionCompleter
// deletes the tcpClients entry it completes. An i out of range does
// nothing.
func (m *MemoryReactor) RemoveTCPConnect(i int) {
	if i < 0 || i >= len(m.TCPClients) {
		return
	}
	m.TCPClients = append(m.TCPClients[:i:i], m.TCPClients[i+1:]...)
}
