//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package reactor

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// poller, on platforms where braid has no descriptor poller (Windows among
// them), runs timers and CallFromThread only: wait sleeps until its timeout
// or a wake-up, and register refuses every descriptor with an error that
// wraps errors.ErrUnsupported and names the platform.
type poller struct {
	wakeCh chan struct{}
	timer  *time.Timer
	ready  []readyEvent
}

func newPoller() (*poller, error) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &poller{wakeCh: make(chan struct{}, 1), timer: t}, nil
}

func (p *poller) close() {}

func (p *poller) register(fd int, mask uint32, gen uint32, known bool) error {
	if mask == 0 {
		return nil
	}
	return fmt.Errorf("descriptors are not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func (p *poller) wait(timeout time.Duration) ([]readyEvent, error) {
	switch {
	case timeout == 0:
		select {
		case <-p.wakeCh:
		default:
		}
	case timeout < 0:
		<-p.wakeCh
	default:
		p.timer.Reset(timeout)
		select {
		case <-p.wakeCh:
		case <-p.timer.C:
		}
		p.timer.Stop()
	}
	return p.ready[:0], nil
}

// tightTimers reports whether sub-millisecond waits are exact: they are as
// exact as Go's timers.
func (p *poller) tightTimers() bool { return true }

// wake makes a blocked or upcoming wait return. Safe from any goroutine.
func (p *poller) wake() {
	select {
	case p.wakeCh <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Event bits: never reported here, defined for loop_io.go.
const (
	pollIn           = 1 << 0
	pollOut          = 1 << 2
	pollDisconnected = 1 << 4
)
