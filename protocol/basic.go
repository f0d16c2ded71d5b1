package protocol

import "fmt"

// This file holds what the ports of twisted.protocols.basic share: the
// methods the receivers deliver to, the transport capability they look for,
// and the producer plumbing of Twisted's _PauseableMixin.

// LineHandler is the method a type embedding [LineReceiver] or
// [LineOnlyReceiver] must define: LineReceived gets each line without its
// delimiter (Twisted's lineReceived, which a subclass must override). The
// receiver panics, naming the type, when a line arrives for a type without
// it, as Twisted raises NotImplementedError.
type LineHandler interface {
	LineReceived(line []byte)
}

// RawDataHandler is the method a type embedding [LineReceiver] defines to
// get the bytes that arrive in raw mode (Twisted's rawDataReceived). The
// receiver panics, naming the type, when it is in raw mode and the type has
// no such method.
type RawDataHandler interface {
	RawDataReceived(data []byte)
}

// StringHandler is the method a type embedding [NetstringReceiver],
// [Int8StringReceiver], [Int16StringReceiver] or [Int32StringReceiver] must
// define: StringReceived gets each payload without its framing (Twisted's
// stringReceived). The receiver panics, naming the type, when a string
// arrives for a type without it.
type StringHandler interface {
	StringReceived(s []byte)
}

// DisconnectingTransport is the optional capability of a [Transport] that
// can say whether LoseConnection has been called on it: Twisted's
// transport.disconnecting attribute. A [LineReceiver] and a
// [LineOnlyReceiver] stop handing out the lines left in their buffer once
// it reports true, so that a handler which closes the connection sees no
// line after the one that made it close. braid's TCP transport,
// braidtest.StringTransport and iosim's transport have it; with a transport
// that lacks it, the receivers carry on as if it reported false.
type DisconnectingTransport interface {
	// IsDisconnecting reports whether LoseConnection (for a test double,
	// also AbortConnection) has been called on a connection that was
	// connected.
	IsDisconnecting() bool
}

// transportDisconnecting ports the `transport and transport.disconnecting`
// test of Twisted's receivers.
func transportDisconnecting(t Transport) bool {
	d, ok := t.(DisconnectingTransport)
	return ok && d.IsDisconnecting()
}

// missingHandlerPanic names the override a receiver needs and the type that
// lacks it, where Twisted raises NotImplementedError.
func missingHandlerPanic(base, method string, outer Protocol) {
	panic("protocol: " + base + " has something to deliver but " + typeName(outer) + " has no " + method +
		" method; define it on the type that embeds the " + base)
}

// pausable ports Twisted's _PauseableMixin: pausing a receiver stops it
// delivering what it has buffered, and passes the pause on to the
// transport when the transport is a producer.
type pausable struct {
	paused bool
}

func (p *pausable) pause(t Transport) {
	p.paused = true
	if pp, ok := t.(PushProducer); ok {
		pp.PauseProducing()
	}
}

// resume unpauses, resumes the transport and feeds the receiver nothing, so
// that what it buffered while paused is delivered now.
func (p *pausable) resume(t Transport, outer Protocol) {
	p.paused = false
	if pp, ok := t.(Producer); ok {
		pp.ResumeProducing()
	}
	outer.DataReceived(nil)
}

func (p *pausable) stop(t Transport) {
	p.paused = true
	if pp, ok := t.(Producer); ok {
		pp.StopProducing()
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
