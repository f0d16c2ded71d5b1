package conchtest

// TailBuffer keeps the last Size bytes written to it: bounded capture of a
// child's output, so a chatty process cannot grow memory. The zero value
// keeps nothing; use NewTailBuffer. A nil *TailBuffer reads as empty.
type TailBuffer struct {
	buf     []byte
	size    int
	dropped int64
}

// NewTailBuffer returns a buffer keeping the last size bytes.
func NewTailBuffer(size int) *TailBuffer { return &TailBuffer{size: size} }

// Write keeps the tail of b; it never fails.
func (t *TailBuffer) Write(b []byte) (int, error) {
	n := len(b)
	if t.size <= 0 {
		t.dropped += int64(n)
		return n, nil
	}
	if len(b) >= t.size {
		t.dropped += int64(len(t.buf) + len(b) - t.size)
		t.buf = append(t.buf[:0], b[len(b)-t.size:]...)
		return n, nil
	}
	if over := len(t.buf) + len(b) - t.size; over > 0 {
		t.dropped += int64(over)
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, b...)
	return n, nil
}

// Bytes returns a copy of what is kept.
func (t *TailBuffer) Bytes() []byte {
	if t == nil {
		return nil
	}
	return append([]byte(nil), t.buf...)
}

// String returns what is kept, as text.
func (t *TailBuffer) String() string { return string(t.Bytes()) }

// Dropped is how many earlier bytes were discarded to keep the bound.
func (t *TailBuffer) Dropped() int64 {
	if t == nil {
		return 0
	}
	return t.dropped
}
