//go:build unix

package tcp

import (
	"crypto/tls"
	"crypto/x509"
	"net"

	"github.com/braid-go/braid/internal/tlsbio"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// TLS on a Conn, as Twisted's _newtls.ConnectionMixin: once started, the
// connection's protocol is a TLS layer (a tlsbio.Engine) that delivers
// plaintext to the user's protocol, and the transport methods the user
// calls go through that layer. The layer itself writes with the raw
// methods, so bytes queued before the switch leave first, in the clear.

var (
	_ protocol.TLSTransport = (*Conn)(nil)
	_ protocol.SSLTransport = (*Conn)(nil)
)

// tlsProto is the Conn's protocol once TLS has started: ciphertext in, and
// the lower connection's end, go to the engine.
type tlsProto struct {
	c *Conn
	e *tlsbio.Engine
}

func (t *tlsProto) MakeConnection(protocol.Transport)      {}
func (t *tlsProto) ConnectionMade()                        {}
func (t *tlsProto) DataReceived(data []byte)               { t.e.DataReceived(data) }
func (t *tlsProto) ConnectionLost(reason *reactor.Failure) { t.e.ConnectionLost(reason) }
func (t *tlsProto) upper() protocol.Protocol               { return t.e.Upper() }
func (t *tlsProto) ReadConnectionLost()                    { t.c.rawLoseConnection() }
func (t *tlsProto) WriteConnectionLost() {
	if hc, ok := t.upper().(protocol.HalfCloseableProtocol); ok {
		hc.WriteConnectionLost()
	}
}

// raw is the Conn seen from under the TLS layer.
type raw struct{ c *Conn }

func (r raw) Write(data []byte)    { r.c.rawWrite(data) }
func (r raw) LoseConnection()      { r.c.rawLoseConnection() }
func (r raw) LoseWriteConnection() { r.c.rawLoseWriteConnection() }
func (r raw) AbortConnection()     { r.c.rawAbortConnection() }
func (r raw) RegisterProducer(p protocol.Producer, streaming bool) error {
	return r.c.rawRegisterProducer(p, streaming)
}
func (r raw) UnregisterProducer() { r.c.rawUnregisterProducer() }

// StartTLS ports startTLS(ctx, normal=True) (ITLSTransport): see
// [protocol.TLSTransport]. A client config without ServerName and without
// InsecureSkipVerify verifies the peer's IP address, as crypto/tls.Dial
// would with an address.
func (c *Conn) StartTLS(config *tls.Config, server bool) error {
	switch {
	case c.tls != nil:
		return protocol.ErrTLSStarted
	case !c.connected || c.disconnecting || c.disconnected:
		return &protocol.ConnectError{OSError: reactor.ErrConnectionDone, Msg: "StartTLS on a connection that has ended"}
	}
	if err := protocol.CheckTLSConfig(config, server); err != nil {
		return err
	}
	c.startTLS(c.proto, config, server)
	return nil
}

// startTLS puts the TLS layer between the socket and user.
func (c *Conn) startTLS(user protocol.Protocol, config *tls.Config, server bool) {
	if !server && config.ServerName == "" && !config.InsecureSkipVerify {
		config = config.Clone()
		config.ServerName = c.serverName()
	}
	t := &tlsProto{c: c}
	t.e = tlsbio.New(c.r, raw{c}, user, config, server)
	if c.producer != nil {
		t.e.ProducerRegistered()
	}
	c.tls = t.e
	c.proto = t
}

// serverName is what a client checks the server's certificate against
// when its config names nothing: the host connected to, else the peer's
// address.
func (c *Conn) serverName() string {
	if cn := c.connector; cn != nil && cn.host != "" {
		return cn.host
	}
	if a, ok := c.peer.(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return ""
}

// GetPeerCertificate ports getPeerCertificate (ISSLTransport): the peer's
// certificate once the TLS handshake is done; nil before, without TLS, or
// when the peer sent none.
func (c *Conn) GetPeerCertificate() *x509.Certificate {
	if c.tls == nil {
		return nil
	}
	return c.tls.PeerCertificate()
}

// ConnectionState gives crypto/tls's view of the session: the zero value
// before the handshake is done or without TLS.
func (c *Conn) ConnectionState() tls.ConnectionState {
	if c.tls == nil {
		return tls.ConnectionState{}
	}
	return c.tls.ConnectionState()
}

// Write ports write: see rawWrite; with TLS the bytes are encrypted first
// (and kept until the handshake is done).
func (c *Conn) Write(data []byte) {
	if c.tls != nil {
		if c.connected {
			c.tls.Write(data)
		}
		return
	}
	c.rawWrite(data)
}

// WriteSequence ports writeSequence: see rawWriteSequence.
func (c *Conn) WriteSequence(data [][]byte) {
	if c.tls != nil {
		if c.connected {
			c.tls.WriteSequence(data)
		}
		return
	}
	c.rawWriteSequence(data)
}

// LoseConnection ports loseConnection: see rawLoseConnection. With TLS,
// close_notify is sent after what is queued, and the socket closes when
// the peer has answered with its own (Twisted's TLS shutdown).
func (c *Conn) LoseConnection() {
	if c.tls != nil {
		if c.connected && !c.disconnecting {
			c.tls.LoseConnection()
		}
		return
	}
	c.rawLoseConnection()
}

// LoseWriteConnection ports loseWriteConnection: see
// rawLoseWriteConnection. With TLS, close_notify is sent first and reading
// goes on (beyond Twisted, whose TLS layer has no half-close).
func (c *Conn) LoseWriteConnection() {
	if c.tls != nil {
		if c.connected {
			c.tls.LoseWriteConnection()
		}
		return
	}
	c.rawLoseWriteConnection()
}

// AbortConnection ports abortConnection: see rawAbortConnection.
func (c *Conn) AbortConnection() {
	if c.tls != nil {
		c.tls.AbortConnection()
		return
	}
	c.rawAbortConnection()
}

// RegisterProducer ports registerProducer: see rawRegisterProducer. With
// TLS the producer is paced by the buffer of ciphertext.
func (c *Conn) RegisterProducer(p protocol.Producer, streaming bool) error {
	if c.tls != nil {
		return c.tls.RegisterProducer(p, streaming)
	}
	return c.rawRegisterProducer(p, streaming)
}

// UnregisterProducer ports unregisterProducer: see rawUnregisterProducer.
func (c *Conn) UnregisterProducer() {
	if c.tls != nil {
		c.tls.UnregisterProducer()
		return
	}
	c.rawUnregisterProducer()
}

// userProtocol is the protocol the user gave, under any TLS layer.
func (c *Conn) userProtocol() protocol.Protocol {
	if t, ok := c.proto.(*tlsProto); ok {
		return t.upper()
	}
	return c.proto
}
