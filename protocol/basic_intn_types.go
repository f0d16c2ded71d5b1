package protocol

// The three length-prefixed receivers: Twisted's subclasses of
// IntNStringReceiver, each a thin shell over intNReceiver.

// Int8StringReceiver ports twisted.protocols.basic.Int8StringReceiver: a
// protocol whose messages are strings each preceded by their length as
// one byte, handing each string to the StringReceived method of the type
// embedding it ([StringHandler]).
//
// A length over MaxLength goes to LengthLimitExceeded (by default: lose
// the connection) and nothing more is parsed from that chunk; what stays
// buffered starts at that prefix. (Twisted's keeps the whole chunk and so
// delivers its earlier strings again on the next DataReceived; braid does
// not.) Pausing stops
// delivery until ResumeProducing, as for [LineReceiver]. The zero value
// accepts strings up to DefaultMaxStringLength bytes.
type Int8StringReceiver struct {
	BaseProtocol
	// MaxLength is the longest string accepted; zero (or less) means
	// DefaultMaxStringLength.
	MaxLength int

	intNReceiver
}

// DataReceived ports dataReceived: it delivers every complete string
// buffered, unless paused.
func (r *Int8StringReceiver) DataReceived(data []byte) {
	r.dataReceived(&r.BaseProtocol, "Int8StringReceiver", 1, r.MaxLength, r.LengthLimitExceeded, data)
}

// SendString ports sendString: it writes s with its length prefix. A
// string too long for the prefix (over 255 bytes) is refused with a
// *StringTooLongError, where Twisted raises StringTooLongError.
func (r *Int8StringReceiver) SendString(s []byte) error {
	return sendPrefixed(r.Transport, 1, s)
}

// LengthLimitExceeded ports lengthLimitExceeded's default: it loses the
// connection. Define LengthLimitExceeded on the embedding type to do
// otherwise; length is the prefix received.
func (r *Int8StringReceiver) LengthLimitExceeded(length int) {
	if r.Transport != nil {
		r.Transport.LoseConnection()
	}
}

// PauseProducing ports pauseProducing: no string is delivered until
// ResumeProducing, and the transport, when a producer, is paused.
func (r *Int8StringReceiver) PauseProducing() { r.pause(r.Transport) }

// ResumeProducing ports resumeProducing: it resumes the transport (when a
// producer) and delivers what was buffered while paused.
func (r *Int8StringReceiver) ResumeProducing() {
	outer := r.Outer()
	if outer == nil {
		unboundPanic("Int8StringReceiver", "ResumeProducing")
	}
	r.resume(r.Transport, outer)
}

// StopProducing ports stopProducing: delivery stops and the transport,
// when a producer, is stopped.
func (r *Int8StringReceiver) StopProducing() { r.stop(r.Transport) }

// Int16StringReceiver ports twisted.protocols.basic.Int16StringReceiver: a
// protocol whose messages are strings each preceded by their length as
// two bytes in network byte order, handing each string to the StringReceived method of the type
// embedding it ([StringHandler]).
//
// A length over MaxLength goes to LengthLimitExceeded (by default: lose
// the connection) and nothing more is parsed from that chunk; what stays
// buffered starts at that prefix. (Twisted's keeps the whole chunk and so
// delivers its earlier strings again on the next DataReceived; braid does
// not.) Pausing stops
// delivery until ResumeProducing, as for [LineReceiver]. The zero value
// accepts strings up to DefaultMaxStringLength bytes.
type Int16StringReceiver struct {
	BaseProtocol
	// MaxLength is the longest string accepted; zero (or less) means
	// DefaultMaxStringLength.
	MaxLength int

	intNReceiver
}

// DataReceived ports dataReceived: it delivers every complete string
// buffered, unless paused.
func (r *Int16StringReceiver) DataReceived(data []byte) {
	r.dataReceived(&r.BaseProtocol, "Int16StringReceiver", 2, r.MaxLength, r.LengthLimitExceeded, data)
}

// SendString ports sendString: it writes s with its length prefix. A
// string too long for the prefix (over 65535 bytes) is refused with a
// *StringTooLongError, where Twisted raises StringTooLongError.
func (r *Int16StringReceiver) SendString(s []byte) error {
	return sendPrefixed(r.Transport, 2, s)
}

// LengthLimitExceeded ports lengthLimitExceeded's default: it loses the
// connection. Define LengthLimitExceeded on the embedding type to do
// otherwise; length is the prefix received.
func (r *Int16StringReceiver) LengthLimitExceeded(length int) {
	if r.Transport != nil {
		r.Transport.LoseConnection()
	}
}

// PauseProducing ports pauseProducing: no string is delivered until
// ResumeProducing, and the transport, when a producer, is paused.
func (r *Int16StringReceiver) PauseProducing() { r.pause(r.Transport) }

// ResumeProducing ports resumeProducing: it resumes the transport (when a
// producer) and delivers what was buffered while paused.
func (r *Int16StringReceiver) ResumeProducing() {
	outer := r.Outer()
	if outer == nil {
		unboundPanic("Int16StringReceiver", "ResumeProducing")
	}
	r.resume(r.Transport, outer)
}

// StopProducing ports stopProducing: delivery stops and the transport,
// when a producer, is stopped.
func (r *Int16StringReceiver) StopProducing() { r.stop(r.Transport) }

// Int32StringReceiver ports twisted.protocols.basic.Int32StringReceiver: a
// protocol whose messages are strings each preceded by their length as
// four bytes in network byte order, handing each string to the StringReceived method of the type
// embedding it ([StringHandler]).
//
// A length over MaxLength goes to LengthLimitExceeded (by default: lose
// the connection) and nothing more is parsed from that chunk; what stays
// buffered starts at that prefix. (Twisted's keeps the whole chunk and so
// delivers its earlier strings again on the next DataReceived; braid does
// not.) Pausing stops
// delivery until ResumeProducing, as for [LineReceiver]. The zero value
// accepts strings up to DefaultMaxStringLength bytes.
type Int32StringReceiver struct {
	BaseProtocol
	// MaxLength is the longest string accepted; zero (or less) means
	// DefaultMaxStringLength.
	MaxLength int

	intNReceiver
}

// DataReceived ports dataReceived: it delivers every complete string
// buffered, unless paused.
func (r *Int32StringReceiver) DataReceived(data []byte) {
	r.dataReceived(&r.BaseProtocol, "Int32StringReceiver", 4, r.MaxLength, r.LengthLimitExceeded, data)
}

// SendString ports sendString: it writes s with its length prefix. A
// string too long for the prefix (over 4294967295 bytes) is refused with a
// *StringTooLongError, where Twisted raises StringTooLongError.
func (r *Int32StringReceiver) SendString(s []byte) error {
	return sendPrefixed(r.Transport, 4, s)
}

// LengthLimitExceeded ports lengthLimitExceeded's default: it loses the
// connection. Define LengthLimitExceeded on the embedding type to do
// otherwise; length is the prefix received.
func (r *Int32StringReceiver) LengthLimitExceeded(length int) {
	if r.Transport != nil {
		r.Transport.LoseConnection()
	}
}

// PauseProducing ports pauseProducing: no string is delivered until
// ResumeProducing, and the transport, when a producer, is paused.
func (r *Int32StringReceiver) PauseProducing() { r.pause(r.Transport) }

// ResumeProducing ports resumeProducing: it resumes the transport (when a
// producer) and delivers what was buffered while paused.
func (r *Int32StringReceiver) ResumeProducing() {
	outer := r.Outer()
	if outer == nil {
		unboundPanic("Int32StringReceiver", "ResumeProducing")
	}
	r.resume(r.Transport, outer)
}

// StopProducing ports stopProducing: delivery stops and the transport,
// when a producer, is stopped.
func (r *Int32StringReceiver) StopProducing() { r.stop(r.Transport) }
