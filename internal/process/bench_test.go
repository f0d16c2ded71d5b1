//go:build unix

package process

import (
	"errors"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// benchEnder calls ended from ProcessEnded.
type benchEnder struct {
	protocol.BaseProcessProtocol
	ended func(reason *reactor.Failure)
}

func (e *benchEnder) ProcessEnded(reason *reactor.Failure) { e.ended(reason) }

// spawnTrueLifecycles runs n lifecycles of /bin/true (spawn to
// ProcessEnded) on one reactor, width children in flight.
func spawnTrueLifecycles(b *testing.B, n, width int) {
	r, err := reactor.New()
	if err != nil {
		b.Fatal(err)
	}
	started, ended := 0, 0
	var spawn func()
	onEnded := func(reason *reactor.Failure) {
		if _, ok := errors.AsType[*protocol.ProcessDone](reason); !ok {
			b.Errorf("reason %v", reason)
		}
		if ended++; ended == n {
			_ = r.Stop()
		} else if started < n {
			spawn()
		}
	}
	spawn = func() {
		started++
		if _, err := Spawn(r, &benchEnder{ended: onEnded}, "/bin/true", []string{"true"}, protocol.SpawnOptions{}); err != nil {
			b.Error(err)
			_ = r.Stop()
		}
	}
	r.CallWhenRunning(func() {
		for range min(width, n) {
			spawn()
		}
	})
	if err := r.Run(); err != nil {
		b.Fatal(err)
	}
}

// execTrue runs n os/exec Start+Wait cycles of /bin/true with width
// goroutines: the plain-Go baseline.
func execTrue(b *testing.B, n, width int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range width {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				cmd := exec.Command("/bin/true")
				cmd.Env = []string{}
				if err := cmd.Run(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkSpawnTrue measures the full life of /bin/true (spawn, three
// pipes and a pidfd in epoll, exit, reap, ProcessEnded); one op is one
// process. The Exec variants are os/exec's Start+Wait for comparison.
func BenchmarkSpawnTrue(b *testing.B) {
	b.Run("sequential", func(b *testing.B) { spawnTrueLifecycles(b, b.N, 1) })
	b.Run("concurrent32", func(b *testing.B) { spawnTrueLifecycles(b, b.N, 32) })
}

// BenchmarkExecTrue is os/exec's Start+Wait of /bin/true, sequential and
// with 32 goroutines: the baseline for BenchmarkSpawnTrue.
func BenchmarkExecTrue(b *testing.B) {
	b.Run("sequential", func(b *testing.B) { execTrue(b, b.N, 1) })
	b.Run("concurrent32", func(b *testing.B) { execTrue(b, b.N, 32) })
}
