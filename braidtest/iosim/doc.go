// Package iosim ports twisted.test.iosim: two protocols joined by a pair of
// in-memory transports ([FakeTransport]) and an [IOPump] that moves the bytes
// each side wrote to the other only when the test says so. It is the
// Twisted-shaped cousin of [net.Pipe]: no sockets and no goroutines, but
// instead of blocking reads and writes the test steps the connection with
// [IOPump.Pump] or [IOPump.Flush] and looks at the protocols in between.
//
// The usual start is [ConnectedServerAndClient], which builds a server and a
// client protocol from their factories, connects them and lets them greet
// each other; [Connect] does the same for protocols and transports made by
// hand, and [ConnectionCompleter] completes (or fails) a connection a fake
// reactor recorded.
//
// Where braid differs from Twisted, the name concerned says so. Two parts of
// Twisted's module are not ported. connectableEndpoint, a client endpoint
// whose connection attempts a ConnectionCompleter resolves, could now be
// built on package endpoints but is not yet. The TLS simulation of
// Twisted's FakeTransport (startTLS, TLSNegotiation, iosimVerify) does not
// fit: it compares two OpenSSL contexts by hand, and braid's real TLS layer
// (crypto/tls) runs its handshake on a goroutine, which a pump that moves
// bytes only when the test says so cannot step deterministically. Test TLS
// on loopback sockets instead, with braidtest.NewTestCA.
//
// Like everything driven by a reactor, a pump and its transports belong to
// one goroutine.
package iosim
