package process

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Spawn ports reactor.spawnProcess where braid cannot: on windows it
// starts nothing and returns a *protocol.SpawnError (Op "platform") wrapping
// errors.ErrUnsupported, whose message says processes are not supported
// on windows. proto is never called.
func Spawn(r *reactor.Reactor, proto protocol.ProcessProtocol, executable string, args []string, opts protocol.SpawnOptions) (*Process, error) {
	return nil, &protocol.SpawnError{Executable: executable, Op: "platform", Err: fmt.Errorf("processes are not supported on windows: %w", errors.ErrUnsupported)}
}

// Process is the process transport (Twisted's process.Process). On
// windows Spawn never returns one; its methods exist so that the code
// using it builds, and do nothing.
type Process struct{}

var (
	_ protocol.ProcessTransport = (*Process)(nil)
	_ protocol.GroupSignaler    = (*Process)(nil)
	_ protocol.Consumer         = (*Process)(nil)
)

// Live returns nothing on windows: no child is ever spawned.
func Live(fds reactor.FDSet) []*Process { return nil }

// Pid returns 0 (transport.pid).
func (p *Process) Pid() int { return 0 }

// Status returns -1 (transport.status).
func (p *Process) Status() int { return -1 }

// Executable returns "".
func (p *Process) Executable() string { return "" }

// Args returns nil.
func (p *Process) Args() []string { return nil }

// String names the transport.
func (p *Process) String() string { return "<Process unsupported on windows>" }

// Write does nothing (write).
func (p *Process) Write(data []byte) {}

// WriteSequence does nothing (writeSequence).
func (p *Process) WriteSequence(seq [][]byte) {}

// WriteToChild reports protocol.ErrUnknownChildFD (writeToChild).
func (p *Process) WriteToChild(childFD int, data []byte) error { return protocol.ErrUnknownChildFD }

// RegisterProducer reports protocol.ErrUnknownChildFD (registerProducer).
func (p *Process) RegisterProducer(producer protocol.Producer, streaming bool) error {
	return protocol.ErrUnknownChildFD
}

// UnregisterProducer does nothing (unregisterProducer).
func (p *Process) UnregisterProducer() {}

// CloseChildFD does nothing (closeChildFD).
func (p *Process) CloseChildFD(childFD int) {}

// CloseStdin does nothing (closeStdin).
func (p *Process) CloseStdin() {}

// CloseStdout does nothing (closeStdout).
func (p *Process) CloseStdout() {}

// CloseStderr does nothing (closeStderr).
func (p *Process) CloseStderr() {}

// LoseConnection does nothing (loseConnection).
func (p *Process) LoseConnection() {}

// PauseProducing does nothing (pauseProducing).
func (p *Process) PauseProducing() {}

// ResumeProducing does nothing (resumeProducing).
func (p *Process) ResumeProducing() {}

// SignalProcess reports protocol.ErrProcessExitedAlready (signalProcess).
func (p *Process) SignalProcess(sig syscall.Signal) error { return protocol.ErrProcessExitedAlready }

// SignalProcessGroup reports protocol.ErrNoProcessGroup.
func (p *Process) SignalProcessGroup(sig syscall.Signal) error { return protocol.ErrNoProcessGroup }

// KillAndReap returns nil: there is nothing to kill.
func (p *Process) KillAndReap() error { return nil }
