// Package process is braid's real process transport, behind
// braid.Reactor's SpawnProcess (Twisted's twisted.internet.process):
// fork/exec with the parent's ends of the child's pipes and an exit watcher
// among the reactor's descriptors, so output, pipe closes and exit all
// arrive as reactor events in Twisted's order. There is no SIGCHLD handler
// and no wait(-1): each child is reaped, and signalled, through its own
// watcher — a pidfd on Linux 5.4 and later, a waiter goroutine with an
// eventfd on older Linux kernels (or with the braid_nopidfd build tag), a
// kqueue on macOS and the BSDs. On Windows Spawn returns an error wrapping
// errors.ErrUnsupported. Users reach it only through the interfaces of
// package protocol; trial finds a reactor's live children with Live.
package process
