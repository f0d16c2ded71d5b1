// Package reactor ports the core of Twisted: the reactor loop of
// twisted.internet.base and epollreactor, [DelayedCall], task.Clock,
// task.LoopingCall (with withCount: [NewLoopingCallWithCount]),
// task.Cooperator ([Cooperator], over iter.Seq) and task.deferLater, the
// reactor's thread pool and twisted.internet.threads ([DeferToThread],
// [BlockingCallFromThread]), twisted.internet.defer's Deferred and its
// helpers (with its concurrency primitives [DeferredLock],
// [DeferredSemaphore], [DeferredQueue] and [DeferredFilesystemLock], over
// twisted.python.lockfile's [FilesystemLock], and logError as [LogError]),
// twisted.python.failure.Failure, and the error classes of
// twisted.internet.error for the loop and Deferreds, and the reactor
// interfaces of
// twisted.internet.interfaces that need nothing else ([Core], [Time],
// [FromThreads], [InThreads], [Threads], [FDSet], and [ErrorLogger] for
// log.err). Ported code sees
// Twisted's orders and fire-once rules (docs/SEMANTICS.md in the repository
// lists them; the tests name their ids), but the reactor is a value rather
// than a global, seconds are time.Duration, exceptions are error values
// matched with errors.Is and errors.AsType, and where Twisted is vague braid
// is definite: timers due at the same time run in the order they were
// scheduled, and each reactor reports the unhandled errors its Deferreds
// hold when it shuts down, rather than at garbage collection only.
//
// Most programs make their reactor with braid.New, which adds TCP and
// processes to the loop defined here; New here gives the loop alone.
//
// # Threading
//
// One goroutine, the one calling Run (or Iterate), runs every timed call,
// I/O handler, system event trigger and Deferred callback the reactor fires.
// CallFromThread is the only method that may be called from other
// goroutines; it queues a function for that goroutine and wakes the loop.
// [BlockingCallFromThread], built on it, lets another goroutine wait for
// the result; CallInThread and [DeferToThread] run work on the reactor's
// own pool of goroutines.
// Everything else - CallLater, the readiness methods, Stop, and every method
// of Deferred, DelayedCall, Clock and [LoopingCall] - belongs to the reactor
// goroutine, or to the single goroutine that sets things up before Run. A
// Deferred is not safe for concurrent use, as in Twisted; code running on
// other goroutines hands results to it through CallFromThread.
//
// # Bridges to ordinary Go
//
// The bridges do those crossings for you: [Wait] and [WaitAs] block a
// goroutine until a Deferred fires or a context ends, [WithContext] lets a
// context cancel a Deferred, [Go] runs a function on a goroutine and fires
// a Deferred with its result, and [Chan] gives a Deferred's result to a
// select. [ResultAs], [AddCallbackAs] and [AddErrbackAs] assert the types
// that callbacks receive as any, failing with a [ResultTypeError] rather
// than panicking.
package reactor
