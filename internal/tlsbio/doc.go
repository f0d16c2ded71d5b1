// Package tlsbio runs crypto/tls over the bytes of a braid transport, as
// Twisted's twisted.protocols.tls.TLSMemoryBIOProtocol runs OpenSSL over
// memory BIOs: ciphertext arrives through DataReceived and leaves through
// the lower transport's Write; the protocol above sees plaintext.
//
// crypto/tls has no resumable non-blocking handshake for TCP (a tls.Conn
// keeps the first error its handshake meets, so a "would block" cannot be
// retried), so each Engine runs one goroutine that owns the tls.Conn's
// handshake and reads, over an in-memory net.Conn. That goroutine never
// touches the protocol: what it produces (plaintext, the handshake's end,
// the end of the stream) is queued and handed to the reactor goroutine with
// CallFromThread, in order. Writes are made on the reactor goroutine once
// the handshake is done; they never block, because the in-memory
// connection's Write only appends. The reactor goroutine waits for the
// goroutine only when the lower connection has ended, after telling it so,
// and then only for the CPU work of decrypting what was already received.
package tlsbio
