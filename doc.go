// Package braid is the reactor of braid, a Go port of the part of Twisted
// that test suites for servers lean on: New returns a [Reactor] — the
// single-goroutine event loop of package reactor (timers, Deferreds,
// descriptors, system events) plus Twisted's TCP, UNIX-socket, UDP and
// process methods, so that ported code calls r.ListenTCP, r.ConnectTCP,
// r.ListenUNIX, r.ConnectUNIX, r.ListenUDP, r.ListenMulticast and
// r.SpawnProcess as it called reactor.listenTCP, reactor.connectTCP,
// reactor.listenUNIX, … and reactor.spawnProcess.
//
// [React] runs a program's main function on a fresh reactor and gives its
// exit code, as task.react does.
//
// There is no global reactor: each program or test makes its own (trial.Run
// hands one to each test). Code that needs a reactor takes the narrowest of
// the interfaces it satisfies — [reactor.Time], [reactor.Core],
// [reactor.FromThreads], [reactor.Threads], [reactor.FDSet], [reactor.ErrorLogger],
// [protocol.ReactorTCP], [protocol.ReactorUNIX], [protocol.ReactorUDP],
// [protocol.ReactorMulticast], [protocol.ReactorProcess] — so that an in-memory
// fake can stand in for it in tests.
//
// braid runs with Go 1.26 or 1.27 on Linux (epoll; pidfds when the kernel
// has them, found at run time), macOS and the BSDs (kqueue). On Windows the
// reactor runs timers and CallFromThread only: TCP and processes fail with
// an error wrapping errors.ErrUnsupported.
// docs/DESIGN.md in the repository explains the design; docs/SEMANTICS.md
// lists the Twisted behaviours braid keeps, by the rule ids its tests cite.
package braid
