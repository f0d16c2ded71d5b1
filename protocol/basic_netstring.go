package protocol

import (
	"fmt"
	"strconv"
)

// DefaultMaxStringLength is the longest string the netstring and
// length-prefixed receivers accept when MaxLength is zero (Twisted's
// MAX_LENGTH of NetstringReceiver and IntNStringReceiver).
const DefaultMaxStringLength = 99999

// NetstringParseError ports twisted.protocols.basic.NetstringParseError:
// what a [NetstringReceiver] found wrong with its input. The receiver
// records it in BrokenPeer and loses the connection.
type NetstringParseError struct {
	// Reason says what was wrong: no length, a length over the limit, or
	// no comma after the payload.
	Reason string
}

func (e *NetstringParseError) Error() string { return "netstring: " + e.Reason }

// netstringIncomplete ports IncompleteNetstring: wait for more data.
var netstringIncomplete = &NetstringParseError{Reason: "incomplete"}

// NetstringReceiver ports twisted.protocols.basic.NetstringReceiver: a
// protocol that receives and sends netstrings ("5:hello,"), handing each
// payload to the StringReceived method of the type embedding it
// ([StringHandler]).
//
// As in Twisted, input that is no netstring — no length, a length with a
// leading zero, a length over MaxLength, a payload not followed by a comma
// — makes it lose the connection and set BrokenPeer; a length too long to
// be under the limit is refused as soon as its digits arrive. It keeps
// parsing what it is given afterwards, as Twisted's does. The zero value
// accepts strings up to DefaultMaxStringLength bytes.
type NetstringReceiver struct {
	BaseProtocol
	// MaxLength is the longest payload accepted; zero (or less) means
	// DefaultMaxStringLength.
	MaxLength int
	// BrokenPeer is nil until the input fails to parse; then it is the
	// *NetstringParseError that made the receiver lose the connection, the
	// last one if there were several (Twisted's brokenPeer flag).
	BrokenPeer error

	remaining    []byte
	inPayload    bool // Twisted's _PARSING_PAYLOAD state
	payload      []byte
	expectedSize int // payload plus the trailing comma
}

func (r *NetstringReceiver) maxLength() int {
	if r.MaxLength <= 0 {
		return DefaultMaxStringLength
	}
	return r.MaxLength
}

// SendString ports sendString: it writes s as a netstring.
func (r *NetstringReceiver) SendString(s []byte) {
	out := strconv.AppendInt(make([]byte, 0, len(s)+12), int64(len(s)), 10)
	out = append(append(append(out, ':'), s...), ',')
	r.Transport.Write(out)
}

// DataReceived ports dataReceived: it parses what has arrived and delivers
// each complete payload.
func (r *NetstringReceiver) DataReceived(data []byte) {
	outer := r.Outer()
	if outer == nil {
		unboundPanic("NetstringReceiver", "DataReceived")
	}
	r.remaining = append(r.remaining, data...)
	for len(r.remaining) > 0 {
		err := r.consume(outer)
		if err == netstringIncomplete {
			break
		}
		if err != nil {
			r.BrokenPeer = err
			if r.Transport != nil {
				r.Transport.LoseConnection()
			}
			break
		}
	}
	if len(r.remaining) == 0 {
		r.remaining = nil
	}
}

// consume ports _consumeData: a length, then a payload.
func (r *NetstringReceiver) consume(outer Protocol) error {
	if !r.inPayload {
		if err := r.consumeLength(); err != nil {
			return err
		}
		r.inPayload = true
		r.payload = nil
	}
	return r.consumePayload(outer)
}

// consumeLength reads "<digits>:" from the front of the buffer. Digits
// without their colon yet are checked already (Twisted's
// _checkPartialLengthSpecification): more of them than MaxLength has, or
// a value over it, fail at once.
func (r *NetstringReceiver) consumeLength() error {
	digits := lengthDigits(r.remaining)
	if digits > 0 && digits < len(r.remaining) && r.remaining[digits] == ':' {
		n, err := r.extractLength(r.remaining[:digits])
		if err != nil {
			return err
		}
		r.expectedSize = n + 1
		r.remaining = r.remaining[digits+1:]
		return nil
	}
	// Twisted matches the partial length with a "$" that also accepts
	// one trailing newline.
	rest := r.remaining[digits:]
	if digits == 0 || !(len(rest) == 0 || len(rest) == 1 && rest[0] == '\n') {
		return &NetstringParseError{Reason: "the netstring does not start with a length"}
	}
	if _, err := r.extractLength(r.remaining[:digits]); err != nil {
		return err
	}
	return netstringIncomplete
}

// lengthDigits is how many bytes at the front of b make a netstring length:
// "0", or a non-zero digit followed by digits.
func lengthDigits(b []byte) int {
	if len(b) == 0 || b[0] < '0' || b[0] > '9' {
		return 0
	}
	if b[0] == '0' {
		return 1
	}
	n := 1
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	return n
}

// extractLength ports _extractLength and _checkStringSize.
func (r *NetstringReceiver) extractLength(digits []byte) (int, error) {
	tooLong := &NetstringParseError{Reason: fmt.Sprintf("the netstring is longer than the maximum of %d", r.maxLength())}
	if len(digits) > maxLengthSize(r.maxLength()) {
		return 0, tooLong
	}
	n, err := strconv.Atoi(string(digits))
	if err != nil || n > r.maxLength() {
		return 0, tooLong
	}
	return n, nil
}

// maxLengthSize ports _maxLengthSize, ceil(log10(max)) + 1, in integers:
// the most digits a length may have before its value is even looked at.
func maxLengthSize(max int) int {
	k := 0
	for p := 1; p < max; p *= 10 {
		k++
	}
	return k + 1
}

// consumePayload ports _consumePayload: gather expectedSize bytes, check
// the comma, deliver.
func (r *NetstringReceiver) consumePayload(outer Protocol) error {
	need := r.expectedSize - len(r.payload)
	if len(r.remaining) < need {
		r.payload = append(r.payload, r.remaining...)
		r.remaining = r.remaining[len(r.remaining):]
		return netstringIncomplete
	}
	r.payload = append(r.payload, r.remaining[:need]...)
	r.remaining = r.remaining[need:]
	if r.payload[len(r.payload)-1] != ',' {
		return &NetstringParseError{Reason: "the netstring is not terminated by a comma"}
	}
	r.inPayload = false
	s := r.payload[: len(r.payload)-1 : len(r.payload)-1]
	r.payload = nil
	h, ok := outer.(StringHandler)
	if !ok {
		missingHandlerPanic("NetstringReceiver", "StringReceived", outer)
	}
	h.StringReceived(s)
	return nil
}
