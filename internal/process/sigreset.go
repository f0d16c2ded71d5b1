//go:build unix

package process

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// resetIgnoredSignals makes exec give the child the default action for
// SIGINT and SIGHUP even when this program inherited them ignored (a test
// run in the background by a shell does): Go keeps such an inherited
// SIG_IGN, and exec preserves it, whereas Twisted resets ignored signals in
// the child (P-06). While the runtime handles a signal, exec resets it; the
// channel is never read, so the parent keeps ignoring it in effect. The
// returned function undoes it, so that the program's own disposition is
// left as it was.
//
// Two things make this more than a Notify and a Stop per spawn. Go's
// signal.Stop puts an inherited SIG_IGN back in the kernel but leaves
// signal.Ignored reporting false, so the next spawn would not see the
// signal as ignored and its child would inherit SIG_IGN: the restore
// therefore calls signal.Ignore again once no handler is left. And spawns
// on several reactors may overlap: the channels stay registered until the
// last of them has forked, so none forks while another's restore has put
// SIG_IGN back.
//
// Where the kernel's disposition cannot be read (procSigIgnored not ok:
// darwin and the BSDs), signal.Ignore is not called again; instead a
// signal seen ignored once is reset for every later spawn too. The child
// gets the default all the same; only signal.Ignored reports false to the
// program after its first spawn.
func resetIgnoredSignals() (restore func()) {
	sigReset.mu.Lock()
	if sigReset.active == 0 {
		for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP} {
			if signal.Ignored(s) || sigReset.sticky[s] {
				ch := make(chan os.Signal, 1)
				signal.Notify(ch, s)
				sigReset.held = append(sigReset.held, sigHeld{sig: s, ch: ch})
			}
		}
	}
	sigReset.active++
	sigReset.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			sigReset.mu.Lock()
			defer sigReset.mu.Unlock()
			if sigReset.active--; sigReset.active > 0 {
				return
			}
			for _, h := range sigReset.held {
				signal.Stop(h.ch)
				// Ignore only if the kernel is back at SIG_IGN: no other
				// channel of the program wants the signal (Ignore would
				// cancel it).
				switch ign, ok := procSigIgnored(h.sig); {
				case !ok:
					if sigReset.sticky == nil {
						sigReset.sticky = make(map[syscall.Signal]bool)
					}
					sigReset.sticky[h.sig] = true
				case ign:
					signal.Ignore(h.sig)
				}
			}
			sigReset.held = nil
		})
	}
}

// sigReset is what resetIgnoredSignals holds while spawns are forking.
var sigReset struct {
	mu     sync.Mutex
	active int                     // spawns between reset and restore
	held   []sigHeld               // channels registered by the first of them
	sticky map[syscall.Signal]bool // seen ignored where the kernel cannot be asked
}

type sigHeld struct {
	sig syscall.Signal
	ch  chan os.Signal
}
