package trial

import "github.com/braid-go/braid/internal/process"

// killChildren reports the children spawned on the test's reactor that are
// still alive, then kills each one's process group and reaps it (W-04;
// Twisted's trial leaves them running, TR-08).
func (ru *testRun) killChildren(dirty *DirtyReactorAggregateError) {
	for _, p := range process.Live(ru.r) {
		desc := p.String()
		if err := p.KillAndReap(); err != nil {
			desc += " (could not be reaped: " + err.Error() + ")"
		}
		dirty.Processes = append(dirty.Processes, desc)
	}
}
