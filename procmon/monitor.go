package procmon

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Reactor is what a [ProcessMonitor] needs of its reactor: time for its
// restarts and kills, processes to spawn, and a place to log the errors
// nobody else sees (a process that cannot be spawned, a kill that fails).
// braid.Reactor is one; so are the test doubles. A readiness port also
// needs protocol.ReactorTCP, which the monitor finds on the same value.
type Reactor interface {
	reactor.Time
	reactor.ErrorLogger
	protocol.ReactorProcess
}

// ProcessMonitor ports twisted.runner.procmon.ProcessMonitor: it runs named
// processes, logs their output, and restarts them when they die.
//
// A process that dies within Threshold of its start is restarted after a
// delay that starts at MinRestartDelay and doubles with each such quick
// death, up to MaxRestartDelay; one that ran longer is restarted at once,
// and its delay goes back to MinRestartDelay. StopProcess sends SIGTERM and,
// if the process has not ended KillTime later, SIGKILL. While the monitor
// runs (from StartService to StopService) an added process starts at once
// and a dead one is restarted; otherwise nothing starts by itself.
//
// Make one with [New], which sets Twisted's defaults; change them before
// adding processes (AddProcess takes MinRestartDelay as the first delay).
// Like everything driven by a reactor, a ProcessMonitor belongs to the
// reactor goroutine.
type ProcessMonitor struct {
	// Threshold is how long a process must live for its death not to count
	// as instant (Twisted's threshold; New sets 1 s).
	Threshold time.Duration
	// KillTime is how long StopProcess gives a process after SIGTERM
	// before SIGKILL (Twisted's killTime; New sets 5 s).
	KillTime time.Duration
	// MinRestartDelay is the first delay before restarting a process that
	// died instantly (Twisted's minRestartDelay; New sets 1 s).
	MinRestartDelay time.Duration
	// MaxRestartDelay caps the doubling delay (Twisted's maxRestartDelay;
	// New sets 1 h).
	MaxRestartDelay time.Duration
	// LogLine receives each line a process writes, without its "\n", with
	// the process's name and the stream ("stdout" or "stderr"): Twisted
	// logs "[name] line" with log.info. A line that is not valid UTF-8
	// comes quoted, as strconv.Quote writes it (Twisted gives the bytes'
	// repr). nil logs to the reactor's logger (its Logger method, as
	// *braid.Reactor has; log/slog's default logger for a reactor without
	// one), at Info, with the line as the message and the name and stream
	// as the attributes "process" and "stream". It runs on the reactor
	// goroutine.
	LogLine func(name, stream, line string)

	r       Reactor
	running bool

	names     []string // in the order added, as Twisted's dict keeps them
	processes map[string]*Process
	// The state Twisted keeps per name, where its tests look.
	protocols   map[string]*LoggingProtocol
	delay       map[string]time.Duration
	timeStarted map[string]float64
	murder      map[string]*reactor.DelayedCall
	restart     map[string]*reactor.DelayedCall

	waiters     map[string][]*reactor.Deferred // Ready, for the next run to become ready
	stopWaiters []*reactor.Deferred            // StopService, for every run to end
}

// The defaults New sets: Twisted's class attributes.
const (
	// DefaultThreshold is Twisted's threshold: 1 s.
	DefaultThreshold = time.Second
	// DefaultKillTime is Twisted's killTime: 5 s.
	DefaultKillTime = 5 * time.Second
	// DefaultMinRestartDelay is Twisted's minRestartDelay: 1 s.
	DefaultMinRestartDelay = time.Second
	// DefaultMaxRestartDelay is Twisted's maxRestartDelay: 1 h.
	DefaultMaxRestartDelay = time.Hour
)

// New ports ProcessMonitor(reactor): a monitor that is not running, with no
// processes, using r, and with Twisted's defaults for Threshold, KillTime,
// MinRestartDelay and MaxRestartDelay. A nil r is a programming error: New
// panics saying so.
func New(r Reactor) *ProcessMonitor {
	if r == nil {
		panic("procmon: New: nil reactor")
	}
	return &ProcessMonitor{
		Threshold:       DefaultThreshold,
		KillTime:        DefaultKillTime,
		MinRestartDelay: DefaultMinRestartDelay,
		MaxRestartDelay: DefaultMaxRestartDelay,
		r:               r,
		processes:       map[string]*Process{},
		protocols:       map[string]*LoggingProtocol{},
		delay:           map[string]time.Duration{},
		timeStarted:     map[string]float64{},
		murder:          map[string]*reactor.DelayedCall{},
		restart:         map[string]*reactor.DelayedCall{},
		waiters:         map[string][]*reactor.Deferred{},
	}
}

// AddProcess ports addProcess: it adds a process named name, run as
// args[0] with argv args, and starts it at once if the monitor is running.
// args go to the system, not to a shell; for a shell script use
// []string{"/bin/sh", "-c", script}. As SpawnProcess does, an args[0]
// without a slash is looked up in the child's PATH, or in /bin:/usr/bin.
//
// It returns an error wrapping ErrDuplicateProcess when name is in use,
// ErrNoArgs for an empty args, and ErrNoTCP for a readiness port on a
// reactor without TCP. args and opts are copied.
func (m *ProcessMonitor) AddProcess(name string, args []string, opts ProcessOptions) error {
	switch {
	case m.processes[name] != nil:
		return fmt.Errorf("procmon: process %q: %w", name, ErrDuplicateProcess)
	case len(args) == 0:
		return fmt.Errorf("procmon: process %q: %w", name, ErrNoArgs)
	}
	if opts.Ready.Port != 0 {
		if _, ok := m.r.(protocol.ReactorTCP); !ok {
			return fmt.Errorf("procmon: process %q: %w", name, ErrNoTCP)
		}
	}
	p := Process{Args: args, Options: opts}.clone()
	m.processes[name] = &p
	m.names = append(m.names, name)
	m.delay[name] = m.MinRestartDelay
	if m.running {
		return m.StartProcess(name)
	}
	return nil
}

// RemoveProcess ports removeProcess: it stops the process as StopProcess
// does and forgets it, so it is not restarted. Unlike Twisted, a restart
// already scheduled is cancelled (Twisted's would fail with KeyError), and
// Ready Deferreds still waiting fail with ErrProcessRemoved. An unknown name
// gives an error wrapping ErrUnknownProcess.
func (m *ProcessMonitor) RemoveProcess(name string) error {
	if err := m.StopProcess(name); err != nil {
		return err
	}
	if dc := m.restart[name]; dc != nil && dc.Active() {
		_ = dc.Cancel()
	}
	m.failWaiters(name, ErrProcessRemoved)
	delete(m.processes, name)
	m.names = deleteName(m.names, name)
	return nil
}

func deleteName(names []string, name string) []string {
	for i, n := range names {
		if n == name {
			return append(names[:i:i], names[i+1:]...)
		}
	}
	return names
}

// Running ports the service's running flag: true from StartService until
// StopService.
func (m *ProcessMonitor) Running() bool { return m.running }

// Processes returns a copy of the monitored processes by name (what
// Twisted's deprecated processes attribute showed).
func (m *ProcessMonitor) Processes() map[string]Process {
	out := make(map[string]Process, len(m.processes))
	for name, p := range m.processes {
		out[name] = p.clone()
	}
	return out
}

// Protocol returns the protocol of the named process's current run, or nil
// when it is not running (Twisted's protocols.get(name)). Its Transport
// is the child's.
func (m *ProcessMonitor) Protocol(name string) *LoggingProtocol { return m.protocols[name] }

// Protocols returns a copy of the running processes' protocols by name
// (Twisted's protocols).
func (m *ProcessMonitor) Protocols() map[string]*LoggingProtocol { return maps.Clone(m.protocols) }

// TimeStarted returns when the named process was last started, in the
// reactor's seconds, and whether it ever was (Twisted's timeStarted).
func (m *ProcessMonitor) TimeStarted(name string) (float64, bool) {
	t, ok := m.timeStarted[name]
	return t, ok
}

// Delay returns the delay the next instant death of the named process will
// wait before its restart (Twisted's delay).
func (m *ProcessMonitor) Delay(name string) time.Duration { return m.delay[name] }

// MurderCall returns the pending SIGKILL StopProcess scheduled for the named
// process, or nil (Twisted's murder). It is removed once the process ends.
func (m *ProcessMonitor) MurderCall(name string) *reactor.DelayedCall { return m.murder[name] }

// RestartCall returns the call that restarts, or restarted, the named
// process after its last death, or nil (Twisted's restart); StopService
// cancels it.
func (m *ProcessMonitor) RestartCall(name string) *reactor.DelayedCall { return m.restart[name] }

// String ports repr: each process's name, "(uid:gid)" when it runs as
// another user, and argv.
func (m *ProcessMonitor) String() string {
	var b strings.Builder
	b.WriteString("<ProcessMonitor")
	for _, name := range m.names {
		p := m.processes[name]
		fmt.Fprintf(&b, " %q", name)
		if c := p.Options.Credential; c != nil {
			fmt.Fprintf(&b, "(%d:%d)", c.Uid, c.Gid)
		}
		fmt.Fprintf(&b, ": %q", p.Args)
	}
	b.WriteString(">")
	return b.String()
}
