// Package braidtest ports twisted.internet.testing (Twisted's
// proto_helpers): in-memory doubles of braid's transports and reactors, so
// that code written against the interfaces of packages reactor and protocol
// runs on braid.Reactor in production and, with no socket, child process or
// running loop, in a test.
//
// Unlike Twisted's, every double is checked against those interfaces at
// compile time, records what it is asked in exported fields whose zero values
// are ready to use, and MemoryReactor also fakes spawnProcess (with
// FakeProcessTransport, which the test drives as the child).
// LineSendingProtocol is built on protocol.LineReceiver. Where a double
// differs from Twisted's or from the real reactor, its doc comment says so.
//
// # Not ported
//
//   - StringIOWithoutClosing: a Python file object that ignores close; a
//     bytes.Buffer serves in Go.
//   - MemoryReactor's socket-adoption methods, its install and resolve:
//     braid's reactor has none of them. (Its listenUNIX, connectUNIX,
//     listenUDP, listenSSL and connectSSL are here, and
//     FakeDatagramTransport with them; so is a listenMulticast, which
//     Twisted's double lacks, with FakeMulticastTransport.)
//
// # Threading
//
// The doubles belong to the test's goroutine, which plays the reactor
// goroutine. Only MemoryReactor.CallFromThread and the methods of
// EventLoggingObserver may be called from other goroutines.
package braidtest
