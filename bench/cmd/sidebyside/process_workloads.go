package main

// The process group: the whole life of a child process (issue 3), spawned
// by braid's SpawnProcess, by Twisted's spawnProcess
// (bench/twisted/process_spawn.py) and by os/exec's Start+Wait.

import (
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

const procBenchExe = "/bin/true"

func init() {
	register(Workload{
		Group:   "process",
		Name:    "spawn /bin/true to ProcessEnded, one at a time",
		Unit:    "process",
		N:       40,
		Braid:   func(n int) (time.Duration, error) { return braidSpawnTrue(n, 1) },
		PlainGo: func(n int) (time.Duration, error) { return goExecTrue(n, 1) },
		Twisted: []string{"process_spawn.py", "-concurrency", "1"},
		Note: "braid: SpawnProcess with three pipes and a pidfd, the next spawned from ProcessEnded; " +
			"Twisted: spawnProcess likewise (SIGCHLD handler on); plain Go: exec.Command(...).Start() then Wait(), " +
			"stdio on /dev/null. Empty environment everywhere.",
	})
	register(Workload{
		Group:   "process",
		Name:    "spawn /bin/true to ProcessEnded, 32 at a time",
		Unit:    "process",
		N:       96,
		Braid:   func(n int) (time.Duration, error) { return braidSpawnTrue(n, 32) },
		PlainGo: func(n int) (time.Duration, error) { return goExecTrue(n, 32) },
		Twisted: []string{"process_spawn.py", "-concurrency", "32"},
		Note:    "32 children in flight: braid and Twisted on one reactor thread; plain Go: 32 goroutines each looping Start+Wait.",
	})
}

// procBenchProto counts ends and keeps `width` children in flight.
type procBenchProto struct {
	protocol.BaseProcessProtocol
	onEnded func(reason *reactor.Failure)
}

func (p *procBenchProto) ProcessEnded(reason *reactor.Failure) { p.onEnded(reason) }

// braidSpawnTrue runs n lifecycles of /bin/true on one reactor, width at a
// time: each ProcessEnded spawns the next.
func braidSpawnTrue(n, width int) (time.Duration, error) {
	var failed error
	el, err := runOnReactor(func(r *braid.Reactor, stop func(time.Duration)) {
		started, ended := 0, 0
		t0 := time.Now()
		var spawn func()
		onEnded := func(reason *reactor.Failure) {
			if _, ok := errors.AsType[*protocol.ProcessDone](reason); !ok && failed == nil {
				failed = fmt.Errorf("child ended with %v", reason)
			}
			ended++
			if ended == n {
				stop(time.Since(t0))
				return
			}
			if started < n {
				spawn()
			}
		}
		spawn = func() {
			started++
			proto := &procBenchProto{onEnded: onEnded}
			if _, err := r.SpawnProcess(proto, procBenchExe, []string{"true"}, protocol.SpawnOptions{}); err != nil {
				failed = err
				stop(0)
			}
		}
		for range min(width, n) {
			spawn()
		}
	})
	if err == nil {
		err = failed
	}
	return el, err
}

// goExecTrue runs n Start+Wait cycles of /bin/true with width goroutines.
func goExecTrue(n, width int) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, width)
	t0 := time.Now()
	for w := range width {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				cmd := exec.Command(procBenchExe)
				cmd.Env = []string{}
				if err := cmd.Start(); err != nil {
					errs[w] = err
					return
				}
				if err := cmd.Wait(); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(t0), errors.Join(errs...)
}
