// Package process is braid's real process transport, behind
// braid.Reactor's SpawnProcess (Twisted's twisted.internet.process):
// fork/exec with the parent's ends of the child's pipes and a pidfd in the
// reactor's epoll set, so output, pipe closes and exit all arrive as reactor
// events in Twisted's order. There is no SIGCHLD handler: each child is
// reaped, and signalled, through its own pidfd. Users reach it only through
// the interfaces of package protocol; trial finds a reactor's live children
// with Live.
package process
