package protocol

import "bytes"

// LineOnlyReceiver ports twisted.protocols.basic.LineOnlyReceiver: the
// lighter line protocol, without raw mode or pausing. Each line, without
// its delimiter, goes to the LineReceived method of the type embedding it
// ([LineHandler]).
//
// Its rules are its own, as in Twisted, and simpler than [LineReceiver]'s:
// each DataReceived splits everything buffered at once on the Delimiter of
// that moment, so a handler that changes Delimiter affects only later
// data; before each line it checks whether the transport is disconnecting
// ([DisconnectingTransport]) and drops the rest if so; a line longer than
// MaxLength goes to LineLengthExceeded and the lines after it in the same
// chunk are dropped; an unfinished line longer than MaxLength goes there
// too (and stays buffered).
//
// The zero value uses "\r\n" and a limit of 16384 bytes.
type LineOnlyReceiver struct {
	BaseProtocol
	// Delimiter ends each line; empty means DefaultLineDelimiter.
	Delimiter []byte
	// MaxLength is the longest line accepted; zero (or less) means
	// DefaultMaxLineLength.
	MaxLength int

	buf []byte
}

func (r *LineOnlyReceiver) delimiter() []byte {
	if len(r.Delimiter) == 0 {
		return defaultDelimiter
	}
	return r.Delimiter
}

func (r *LineOnlyReceiver) maxLength() int {
	if r.MaxLength <= 0 {
		return DefaultMaxLineLength
	}
	return r.MaxLength
}

// DataReceived ports dataReceived: it splits what is buffered into lines
// and delivers them to the type embedding the receiver.
func (r *LineOnlyReceiver) DataReceived(data []byte) {
	outer := r.Outer()
	if outer == nil {
		unboundPanic("LineOnlyReceiver", "DataReceived")
	}
	all := data
	if len(r.buf) > 0 {
		all = append(r.buf, data...)
	}
	lines := bytes.Split(all, r.delimiter())
	// The unfinished last piece is kept; a copy, since data is the
	// caller's and may be reused once we return.
	r.buf = bytes.Clone(lines[len(lines)-1])
	lines = lines[:len(lines)-1]
	h, _ := outer.(LineHandler)
	for _, line := range lines {
		if r.Transport != nil && transportDisconnecting(r.Transport) {
			return
		}
		line = line[:len(line):len(line)]
		if len(line) > r.maxLength() {
			r.exceeded(outer, line)
			return
		}
		if h == nil {
			missingHandlerPanic("LineOnlyReceiver", "LineReceived", outer)
		}
		h.LineReceived(line)
	}
	if len(r.buf) > r.maxLength() {
		r.exceeded(outer, r.buf[:len(r.buf):len(r.buf)])
	}
}

func (r *LineOnlyReceiver) exceeded(outer Protocol, line []byte) {
	if h, ok := outer.(interface{ LineLengthExceeded(line []byte) }); ok {
		h.LineLengthExceeded(line)
		return
	}
	r.LineLengthExceeded(line)
}

// SendLine ports sendLine: it writes line and the delimiter with one
// WriteSequence.
func (r *LineOnlyReceiver) SendLine(line []byte) {
	r.Transport.WriteSequence([][]byte{line, r.delimiter()})
}

// LineLengthExceeded ports lineLengthExceeded's default: it loses the
// connection. Define LineLengthExceeded on the embedding type to do
// otherwise; line is the long line (or the unfinished one).
func (r *LineOnlyReceiver) LineLengthExceeded(line []byte) {
	if r.Transport != nil {
		r.Transport.LoseConnection()
	}
}
