package protocol

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// ReactorSSL ports IReactorSSL: TCP connections with TLS on top, Twisted's
// listenSSL and connectSSL. The TLS engine is Go's crypto/tls, run over the
// connection's bytes as Twisted's TLSMemoryBIOProtocol runs OpenSSL over
// memory BIOs. braid.Reactor implements it; a fake records the calls.
//
// The transport a protocol gets is an [SSLTransport]. As in Twisted,
// ConnectionMade runs when the TCP connection is made, before the
// handshake; what it writes is sent once the handshake is done. A failed
// handshake ends the connection: the protocol gets ConnectionLost (and a
// client factory ClientConnectionLost) with a reason wrapping a
// [*TLSError].
//
// Unlike Twisted's verify callbacks, the callbacks of a tls.Config
// (GetCertificate, GetConfigForClient, GetClientCertificate,
// VerifyPeerCertificate, VerifyConnection) run on the goroutine that runs
// the handshake, not on the reactor goroutine: they must not touch reactor
// state, and must not wait for the reactor (BlockingCallFromThread), which
// may be waiting for the handshake to end. The same holds for StartTLS.
type ReactorSSL interface {
	// ListenSSL ports listenSSL: ListenTCP whose connections are servers
	// of TLS with config (which needs at least one certificate). Failures
	// are returned at once as a *CannotListenError.
	ListenSSL(port int, factory Factory, config *tls.Config, opts ListenTCPOptions) (ListeningPort, error)
	// ConnectSSL ports connectSSL: ConnectTCP, then a TLS client with
	// config on the connection. As in Twisted nothing fails synchronously.
	ConnectSSL(host string, port int, factory ClientFactory, config *tls.Config, opts ConnectTCPOptions) Connector
}

// TLSTransport ports ITLSTransport: a TCP transport on which TLS can be
// started in the middle of a connection (STARTTLS).
type TLSTransport interface {
	TCPTransport
	// StartTLS ports startTLS(contextFactory, normal=True): from now on
	// the connection speaks TLS with config, as a server when server is
	// true. Bytes written before the call are sent in the clear, before
	// the handshake and in order; bytes written after it are sent
	// encrypted once the handshake is done. It returns ErrTLSStarted on a
	// second call, ErrTLSConfig for a server config without certificates,
	// and reactor.ErrConnectionDone-wrapping errors on a connection that
	// has ended.
	StartTLS(config *tls.Config, server bool) error
}

// SSLTransport ports ISSLTransport: a transport speaking TLS.
type SSLTransport interface {
	TCPTransport
	// GetPeerCertificate ports getPeerCertificate: the certificate the
	// peer presented, or nil before the handshake or when it presented
	// none.
	GetPeerCertificate() *x509.Certificate
	// ConnectionState gives crypto/tls's view of the session (version,
	// cipher suite, the peer's whole chain, the negotiated protocol): the
	// zero value before the handshake. Beyond Twisted.
	ConnectionState() tls.ConnectionState
}

// HandshakeListener ports IHandshakeListener: a protocol with this method
// is told when its connection's TLS handshake has completed.
type HandshakeListener interface {
	HandshakeCompleted()
}

// TLSError wraps what crypto/tls reported when a handshake or a record
// failed: Twisted's OpenSSL.SSL.Error as a connectionLost reason. Err is
// the crypto/tls error (an x509 verification error, a tls.AlertError, a
// *tls.RecordHeaderError, …), reachable through errors.Is and errors.As.
type TLSError struct {
	Err error
}

func (e *TLSError) Error() string { return "tls: " + trimTLSPrefix(e.Err.Error()) }

// Unwrap returns the crypto/tls error.
func (e *TLSError) Unwrap() error { return e.Err }

func trimTLSPrefix(s string) string {
	const p = "tls: "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// Errors of StartTLS and the SSL methods.
var (
	// ErrTLSStarted is returned by StartTLS on a connection that already
	// speaks TLS.
	ErrTLSStarted = errors.New("tls: already started on this connection")
	// ErrTLSConfig is returned for a tls.Config that cannot work: nil, or
	// a server's without certificates.
	ErrTLSConfig = errors.New("tls: unusable config (nil, or a server config without certificates)")
)

// CheckTLSConfig returns ErrTLSConfig for a config the TLS engine cannot
// use: nil, or a server config with no certificate and no way to get one.
func CheckTLSConfig(config *tls.Config, server bool) error {
	if config == nil {
		return ErrTLSConfig
	}
	if server && len(config.Certificates) == 0 && config.GetCertificate == nil && config.GetConfigForClient == nil {
		return ErrTLSConfig
	}
	return nil
}
