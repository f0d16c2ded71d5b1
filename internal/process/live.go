//go:build unix

package process

import "github.com/braid-go/braid/reactor"

// Live returns the children spawned on the reactor whose descriptors are in
// fds that have not ended (ProcessEnded not delivered, KillAndReap not
// run), in descriptor order. A child is found through its exit watcher, or through
// a pipe once it has been reaped while a descendant still holds the pipe
// open. trial's dirty-reactor check uses it (W-04); braid keeps no list of
// its own, so nothing is shared between reactors.
func Live(fds reactor.FDSet) []*Process {
	var out []*Process
	seen := make(map[*Process]bool)
	note := func(s reactor.Selectable) {
		var p *Process
		switch d := s.(type) {
		case *procExitFD:
			p = d.p
		case *procPipe:
			p = d.p
		}
		if p != nil && !p.done && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, rd := range fds.GetReaders() {
		note(rd)
	}
	for _, wr := range fds.GetWriters() {
		note(wr)
	}
	return out
}
