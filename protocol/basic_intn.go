package protocol

import (
	"encoding/binary"
	"fmt"
)

// StringTooLongError ports twisted.protocols.basic.StringTooLongError:
// SendString of a length-prefixed receiver was given a string whose length
// does not fit in the prefix. Nothing was written.
type StringTooLongError struct {
	// Length is the length of the string refused; Max the longest that
	// fits the prefix (255, 65535 or 4294967295).
	Length, Max uint64
}

func (e *StringTooLongError) Error() string {
	return fmt.Sprintf("cannot send a string of %d bytes: a length prefix holds at most %d", e.Length, e.Max)
}

// intNReceiver is what Twisted's IntNStringReceiver does, shared by the
// three receivers; each passes its prefix size.
type intNReceiver struct {
	pausable
	buf      []byte
	borrowed bool
}

// dataReceived ports IntNStringReceiver.dataReceived for a prefix of
// prefix bytes; limit is the receiver's own LengthLimitExceeded, used when
// the embedding type has none of that signature.
func (s *intNReceiver) dataReceived(b *BaseProtocol, name string, prefix int, maxLength int, limit func(int), data []byte) {
	outer := b.Outer()
	if outer == nil {
		unboundPanic(name, "DataReceived")
	}
	if maxLength <= 0 {
		maxLength = DefaultMaxStringLength
	}
	s.buf, s.borrowed = appendBuffer(s.buf, s.borrowed, data)
	defer s.settle()
	// The loop works on s.buf itself, kept current before each handler
	// runs, so that a handler that resumes the receiver (and so feeds it
	// again) neither loses nor repeats a string.
	for len(s.buf) >= prefix && !s.paused {
		length := readPrefix(s.buf[:prefix])
		if length > uint64(maxLength) {
			// Twisted keeps its whole buffer here and parses already
			// delivered strings again on the next call; braid keeps what
			// is left from the offending prefix on, which is what
			// Twisted's recvd shows.
			if h, ok := outer.(interface{ LengthLimitExceeded(length int) }); ok {
				limit = h.LengthLimitExceeded
			}
			limit(int(length))
			return
		}
		end := prefix + int(length)
		if len(s.buf) < end {
			return
		}
		str := s.buf[prefix:end:end]
		s.buf = s.buf[end:]
		h, ok := outer.(StringHandler)
		if !ok {
			missingHandlerPanic(name, "StringReceived", outer)
		}
		h.StringReceived(str)
	}
}

func (s *intNReceiver) settle() {
	switch {
	case len(s.buf) == 0:
		s.buf, s.borrowed = nil, false
	case s.borrowed:
		s.buf, s.borrowed = append([]byte(nil), s.buf...), false
	}
}

func readPrefix(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(b))
	default:
		return uint64(binary.BigEndian.Uint32(b))
	}
}

// sendPrefixed ports IntNStringReceiver.sendString.
func sendPrefixed(t Transport, prefix int, s []byte) error {
	max := uint64(1)<<(8*prefix) - 1
	if uint64(len(s)) > max {
		return &StringTooLongError{Length: uint64(len(s)), Max: max}
	}
	out := make([]byte, prefix, prefix+len(s))
	switch prefix {
	case 1:
		out[0] = byte(len(s))
	case 2:
		binary.BigEndian.PutUint16(out, uint16(len(s)))
	default:
		binary.BigEndian.PutUint32(out, uint32(len(s)))
	}
	t.Write(append(out, s...))
	return nil
}
