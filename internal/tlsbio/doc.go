// Package tlsbio runs crypto/tls over the bytes of a braid transport, as
// Twisted's twisted.protocols.tls.TLSMemoryBIOProtocol runs OpenSSL over
// memory BIOs: ciphertext arrives through DataReceived and leaves through
// the lower transport's Write; the protocol above sees plaintext.
//
// crypto/tls has no resumable non-blocking handshake for TCP (a tls.Conn
// keeps the first error its handshake meets, so a "would block" cannot be
// retried), so each Engine runs the handshake on a goroutine of its own,
// over an in-memory net.Conn, and hands its end to the reactor goroutine
// with CallFromThread; the goroutine then exits. It never touches the
// protocol. After the handshake everything happens on the reactor
// goroutine, without blocking, as in Twisted: record reads can be resumed
// (the in-memory connection says "would block" with an error crypto/tls
// treats as temporary, keeping the partial record), and writes only append
// to memory. The reactor goroutine waits for the handshake goroutine only
// when the connection ends during the handshake, after telling it so, and
// then only for CPU work.
package tlsbio
