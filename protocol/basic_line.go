package protocol

import "bytes"

// Defaults of the line receivers, Twisted's class attributes.
const (
	// DefaultLineDelimiter is what ends a line when Delimiter is empty
	// (Twisted's delimiter).
	DefaultLineDelimiter = "\r\n"
	// DefaultMaxLineLength is the longest line accepted when MaxLength is
	// zero (Twisted's MAX_LENGTH).
	DefaultMaxLineLength = 16384
)

// LineReceiver ports twisted.protocols.basic.LineReceiver: a protocol that
// splits what it receives into lines and hands each one, without its
// delimiter, to the LineReceived method of the type embedding it (see
// [LineHandler]). After SetRawMode, the bytes go to that type's
// RawDataReceived instead ([RawDataHandler]) until SetLineMode.
//
// Embed it by value and define LineReceived (and RawDataReceived if you
// switch modes); bind the value as for any base ([Bind]). The zero value
// uses "\r\n" and a limit of 16384 bytes.
//
// The rules are Twisted's:
//   - A handler runs with the rest of the buffer still pending: if it
//     switches to raw mode, the rest goes to RawDataReceived; if it changes
//     Delimiter, the rest is split on the new one; if it calls
//     ClearLineBuffer, the rest is dropped (and returned to it).
//   - Once a handler has made the transport disconnect (LoseConnection, when
//     the transport can say so: [DisconnectingTransport]), no further line of
//     the buffer is delivered.
//   - A line longer than MaxLength, or MaxLength+len(Delimiter) bytes without
//     a delimiter, goes to LineLengthExceeded with everything buffered from
//     its start on; the buffer is then empty and delivery stops until more
//     data arrives.
//   - PauseProducing stops delivery (and pauses the transport) until
//     ResumeProducing, which delivers what was held back.
//   - DataReceived called from inside a handler only adds to the buffer.
//
// Each line and raw chunk is the handler's to keep, as DataReceived's bytes
// are; with TCPConnOptions.ReuseReadBuffer, copy what you keep.
// Twisted's lineReceived may return a value to stop the loop, a deprecated
// use braid does not port: stop by pausing or by losing the connection.
type LineReceiver struct {
	BaseProtocol
	// Delimiter ends each line; empty means DefaultLineDelimiter. It may be
	// changed at any time, from a handler too: the change applies to what
	// is still buffered.
	Delimiter []byte
	// MaxLength is the longest line accepted; zero (or less) means
	// DefaultMaxLineLength.
	MaxLength int

	pausable
	buf      []byte
	borrowed bool // buf is a caller's slice, not memory of our own
	raw      bool
	busy     bool // inside DataReceived's loop
}

// defaultDelimiter is DefaultLineDelimiter as bytes; never written to.
var defaultDelimiter = []byte(DefaultLineDelimiter)

func (r *LineReceiver) delimiter() []byte {
	if len(r.Delimiter) == 0 {
		return defaultDelimiter
	}
	return r.Delimiter
}

func (r *LineReceiver) maxLength() int {
	if r.MaxLength <= 0 {
		return DefaultMaxLineLength
	}
	return r.MaxLength
}

// DataReceived ports dataReceived: it adds data to the buffer and, unless
// paused or already inside a handler, delivers every complete line (or, in
// raw mode, everything buffered) to the type embedding the receiver.
func (r *LineReceiver) DataReceived(data []byte) {
	if r.busy {
		r.buf, r.borrowed = appendBuffer(r.buf, r.borrowed, data)
		return
	}
	outer := r.Outer()
	if outer == nil {
		unboundPanic("LineReceiver", "DataReceived")
	}
	r.busy = true
	defer r.settle()
	first, ok := r.joinPartialLine(data)
	if !ok {
		r.buf, r.borrowed = appendBuffer(r.buf, r.borrowed, data)
	}
	lines, _ := outer.(LineHandler)
	closing, _ := r.Transport.(DisconnectingTransport)
	for (ok || len(r.buf) > 0) && !r.paused {
		var line []byte
		switch {
		case ok:
			line, ok = first, false
		case r.raw:
			data := r.buf
			r.buf, r.borrowed = nil, false
			rd, ok := outer.(RawDataHandler)
			if !ok {
				missingHandlerPanic("LineReceiver", "RawDataReceived", outer)
			}
			rd.RawDataReceived(data)
			continue
		default:
			delim := r.delimiter()
			i := indexDelimiter(r.buf, delim)
			if i < 0 {
				if len(r.buf) >= r.maxLength()+len(delim) {
					r.exceeded(outer)
				}
				return
			}
			if i > r.maxLength() {
				// Twisted hands over the line, its delimiter and the
				// rest: the whole buffer.
				r.exceeded(outer)
				return
			}
			line = r.buf[:i:i]
			r.buf = r.buf[i+len(delim):]
		}
		if lines == nil {
			missingHandlerPanic("LineReceiver", "LineReceived", outer)
		}
		lines.LineReceived(line)
		if closing != nil && closing.IsDisconnecting() {
			return
		}
	}
}

// indexDelimiter is bytes.Index for the short delimiters of line
// protocols, where the first match of the first byte is nearly always the
// delimiter: it tries that before the general search.
func indexDelimiter(b, delim []byte) int {
	i := bytes.IndexByte(b, delim[0])
	if i < 0 {
		return -1
	}
	if bytes.HasPrefix(b[i:], delim) {
		return i
	}
	if j := bytes.Index(b[i+1:], delim); j >= 0 {
		return i + 1 + j
	}
	return -1
}

// joinPartialLine is the common case of a line that began in an earlier
// read and ends in data: rather than copy all of data behind the partial
// line, as appending would, it copies out just that line and leaves the
// rest of data as the buffer. ok is false, and nothing changed, unless the
// receiver would split that very line first: in line mode, not paused,
// with a buffer that holds no delimiter and a line within MaxLength.
func (r *LineReceiver) joinPartialLine(data []byte) (line []byte, ok bool) {
	if r.raw || r.paused || len(r.buf) == 0 || len(data) == 0 {
		return nil, false
	}
	delim := r.delimiter()
	if bytes.Contains(r.buf, delim) {
		return nil, false
	}
	// The earliest delimiter either straddles the two, starting in the
	// buffer's tail (the longest such overlap starts first), or lies in
	// data.
	n, end := -1, 0
	for k := min(len(delim)-1, len(r.buf)); k >= 1; k-- {
		if bytes.HasSuffix(r.buf, delim[:k]) && bytes.HasPrefix(data, delim[k:]) {
			n, end = len(r.buf)-k, len(delim)-k
			break
		}
	}
	if n < 0 {
		i := bytes.Index(data, delim)
		if i < 0 {
			return nil, false
		}
		n, end = len(r.buf)+i, i+len(delim)
	}
	if n > r.maxLength() {
		return nil, false
	}
	line = make([]byte, n)
	copy(line[copy(line, r.buf):], data)
	r.buf, r.borrowed = appendBuffer(nil, false, data[end:])
	return line, true
}

// exceeded empties the buffer into LineLengthExceeded.
func (r *LineReceiver) exceeded(outer Protocol) {
	long := r.buf
	r.buf, r.borrowed = nil, false
	if h, ok := outer.(interface{ LineLengthExceeded(line []byte) }); ok {
		h.LineLengthExceeded(long)
		return
	}
	r.LineLengthExceeded(long)
}

// settle ends a DataReceived loop: what stays buffered must be memory of
// our own, since the caller may reuse its slice once we return.
func (r *LineReceiver) settle() {
	r.busy = false
	if r.borrowed {
		r.buf, r.borrowed = bytes.Clone(r.buf), false
	}
}

// appendBuffer adds data to buf. An empty buf takes data itself (capped, so
// that a later append copies rather than write past its end), and reports
// it borrowed; the receiver copies what it still holds before returning.
func appendBuffer(buf []byte, borrowed bool, data []byte) ([]byte, bool) {
	if len(buf) == 0 {
		return data[:len(data):len(data)], len(data) > 0
	}
	if len(data) == 0 {
		return buf, borrowed
	}
	return append(buf, data...), false
}

// ClearLineBuffer ports clearLineBuffer: it empties the buffer and returns
// what it held (nil when empty). A handler may call it to drop the rest of
// what arrived with its line.
func (r *LineReceiver) ClearLineBuffer() []byte {
	b := r.buf
	r.buf, r.borrowed = nil, false
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// SetRawMode ports setRawMode: from now on (the rest of the buffer
// included) bytes go to RawDataReceived.
func (r *LineReceiver) SetRawMode() { r.raw = true }

// SetLineMode ports setLineMode: from now on bytes are split into lines.
// extra, when not empty, is fed to DataReceived — the unused part of a raw
// chunk, passed from RawDataReceived. From LineReceived, pass nil: the rest
// of the buffer is still there.
func (r *LineReceiver) SetLineMode(extra []byte) {
	r.raw = false
	if len(extra) > 0 {
		outer := r.Outer()
		if outer == nil {
			unboundPanic("LineReceiver", "SetLineMode")
		}
		outer.DataReceived(extra)
	}
}

// RawMode reports whether the receiver is in raw mode (the negation of
// Twisted's line_mode).
func (r *LineReceiver) RawMode() bool { return r.raw }

// SendLine ports sendLine: it writes line and the delimiter in one Write.
func (r *LineReceiver) SendLine(line []byte) {
	delim := r.delimiter()
	out := make([]byte, 0, len(line)+len(delim))
	r.Transport.Write(append(append(out, line...), delim...))
}

// LineLengthExceeded ports lineLengthExceeded's default: it loses the
// connection. Define LineLengthExceeded on the embedding type to do
// otherwise; line is everything that was buffered from the start of the
// long line on, which may hold more lines or only part of one.
func (r *LineReceiver) LineLengthExceeded(line []byte) {
	if r.Transport != nil {
		r.Transport.LoseConnection()
	}
}

// PauseProducing ports pauseProducing: no line is delivered until
// ResumeProducing, and the transport, when it is a producer, is paused.
func (r *LineReceiver) PauseProducing() { r.pause(r.Transport) }

// ResumeProducing ports resumeProducing: it resumes the transport (when a
// producer) and delivers what was buffered while paused.
func (r *LineReceiver) ResumeProducing() {
	outer := r.Outer()
	if outer == nil {
		unboundPanic("LineReceiver", "ResumeProducing")
	}
	r.resume(r.Transport, outer)
}

// StopProducing ports stopProducing: delivery stops for good (until a
// ResumeProducing) and the transport, when a producer, is stopped.
func (r *LineReceiver) StopProducing() { r.stop(r.Transport) }
