package procmon

import (
	"slices"
	"time"

	"github.com/braid-go/braid/internal/backoff"
	"github.com/braid-go/braid/protocol"
)

// ProcessOptions are addProcess's keyword arguments, plus what braid adds.
// The zero value is Twisted's default: an EMPTY environment, the parent's
// working directory, user and group, no readiness check.
type ProcessOptions struct {
	// Env is the child's environment as "KEY=value" strings (Twisted's
	// env). As in Twisted, and unlike os/exec, nil means an EMPTY
	// environment: no PATH, HOME or USER (see protocol.SpawnOptions.Env).
	Env []string
	// InheritEnv gives the child the parent's environment with Env on top
	// (Twisted's env=None).
	InheritEnv bool
	// Dir is the child's working directory (Twisted's cwd); empty means the
	// parent's.
	Dir string
	// Credential runs the child as another user and group (Twisted's uid
	// and gid); nil keeps the parent's. Twisted lets either be omitted;
	// here set both, using os.Getuid() or os.Getgid() for the one you keep.
	Credential *protocol.Credential

	// SignalGroup starts the child in a process group of its own and sends
	// StopProcess's SIGTERM and SIGKILL to the whole group, so that what a
	// wrapper script started stops with it (protocol.SpawnOptions'
	// SignalGroup). Beyond Twisted, which signals the child alone.
	SignalGroup bool
	// KillOnShutdown kills the child, if it still runs, when the reactor
	// shuts down (protocol.SpawnOptions' KillOnShutdown): for programs that
	// may stop the reactor without waiting for StopService. Beyond Twisted,
	// which leaves it running.
	KillOnShutdown bool

	// Ready is the process's readiness check; the zero value has none, and
	// the process counts as ready once spawned. Beyond Twisted.
	Ready Readiness
}

// Readiness is a check that a monitored process is up: a TCP port that must
// accept a connection, tried from the spawn on, as conchtest.ForwardingProcess
// does with Hardening.Backoff — refused connects are retried after a pause
// that starts at RetryInitial and grows with the time waited (RetryGrowth of
// it) up to RetryMax. The probe connects and closes; it sends nothing. Any
// other connect failure (unreachable, or no answer within
// protocol.DefaultConnectTimeout), or Deadline passing, ends the check for
// that run: its Ready Deferreds fail with a [*NotReadyError]. Beyond
// Twisted.
type Readiness struct {
	// Port is the TCP port that must accept; 0 means no check.
	Port int
	// Host is where to connect; empty means 127.0.0.1.
	Host string
	// RetryInitial is the first pause between refused connects (default
	// 1 ms).
	RetryInitial time.Duration
	// RetryMax caps the pause (default 100 ms).
	RetryMax time.Duration
	// RetryGrowth is the pause as a fraction of the time waited since the
	// spawn (default 1/200).
	RetryGrowth float64
	// Deadline bounds the wait, from the spawn. When it passes, the run's
	// Ready Deferreds fail with ErrReadyDeadline and the process, taken to
	// be hung, is stopped as StopProcess stops it; the monitor then restarts
	// it as after any death. 0 waits as long as the process runs.
	Deadline time.Duration
	// VerifyListener checks, once the port accepts, that the socket
	// answering belongs to the spawned process, one of its descendants, or
	// its process group or session, as conchtest's
	// Hardening.VerifyListener does: a stale server left over from an
	// earlier run, holding the port, would otherwise make a run ready that
	// never listened. When it does not, the run's Ready Deferreds fail with
	// a [*NotReadyError] whose Reason is a [*ListenerError]; the process
	// runs on (it will likely fail to bind and be restarted). Linux only
	// (sock_diag and /proc); elsewhere the check fails with
	// errors.ErrUnsupported inside the ListenerError. Off by default:
	// whatever accepts is taken for the server.
	VerifyListener bool
}

const defaultReadyHost = "127.0.0.1"

func (c *Readiness) host() string {
	if c.Host == "" {
		return defaultReadyHost
	}
	return c.Host
}

// nextRetry is the pause before the next connect, waited being the time
// since the spawn.
func (c *Readiness) nextRetry(waited time.Duration) time.Duration {
	return backoff.Next(waited, c.RetryInitial, c.RetryMax, c.RetryGrowth)
}

// Process describes one monitored process, as AddProcess was given it
// (Twisted's private _Process, which its deprecated processes attribute
// exposed as a tuple).
type Process struct {
	// Args is the argv; Args[0] is also the executable.
	Args []string
	// Options are the process's options.
	Options ProcessOptions
}

// spawnOptions turns a process's options into SpawnProcess's.
func (p *Process) spawnOptions() protocol.SpawnOptions {
	o := &p.Options
	return protocol.SpawnOptions{
		Env:            slices.Clone(o.Env),
		InheritEnv:     o.InheritEnv,
		Dir:            o.Dir,
		Credential:     o.Credential,
		SignalGroup:    o.SignalGroup,
		KillOnShutdown: o.KillOnShutdown,
	}
}

// clone returns a copy that shares no slice with p.
func (p Process) clone() Process {
	p.Args = slices.Clone(p.Args)
	p.Options.Env = slices.Clone(p.Options.Env)
	if c := p.Options.Credential; c != nil {
		cc := *c
		cc.Groups = slices.Clone(c.Groups)
		p.Options.Credential = &cc
	}
	return p
}
