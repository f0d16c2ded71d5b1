//go:build unix

package process

import (
	"bytes"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The queue sends every byte once, in order, across partial writes into a
// full pipe, whatever the mix of small and large writes.
func TestWriteQueue_SendsEverythingInOrder(t *testing.T) {
	fds, err := procOpenPipe()
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	r := os.NewFile(uintptr(fds[0]), "r")
	defer r.Close()
	w := os.NewFile(uintptr(fds[1]), "w") // closed below, once drained

	var q writeQueue
	var want bytes.Buffer
	for i, n := range []int{1, 10, 100, 70 << 10, 3, 1 << 20, 5, 5, 64<<10 - 1, 2} {
		data := bytes.Repeat([]byte{byte('a' + i)}, n)
		q.push(data)
		data[0] = '!' // the queue holds a copy
		want.Write(bytes.Repeat([]byte{byte('a' + i)}, n))
	}
	if q.size != want.Len() {
		t.Fatalf("size %d, want %d", q.size, want.Len())
	}
	var got bytes.Buffer
	for !q.empty() {
		if err := q.writeTo(fds[1]); err != nil && err != unix.EAGAIN {
			t.Fatal(err)
		}
		buf := make([]byte, 32<<10) // read less than the pipe holds: the next write is partial
		n, err := r.Read(buf)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		got.Write(buf[:n])
	}
	w.Close()
	rest, _ := io.ReadAll(r)
	got.Write(rest)
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("received %d bytes, want %d, or not in order", got.Len(), want.Len())
	}
	if q.chunks != nil || q.off != 0 {
		t.Errorf("drained queue keeps %d chunks, off %d", len(q.chunks), q.off)
	}
}

// A large write is queued as a chunk of its own: the chunks already queued
// are neither copied nor moved.
func TestWriteQueue_LargeWriteDoesNotCopyTheQueue(t *testing.T) {
	var q writeQueue
	q.push(make([]byte, 10))
	q.push(make([]byte, 1<<20))
	first, second := &q.chunks[0][0], &q.chunks[1][0]
	q.push(make([]byte, 1<<20))
	q.push(make([]byte, 7)) // small: a chunk of its own after a large one
	if &q.chunks[0][0] != first || &q.chunks[1][0] != second {
		t.Error("queued chunks were reallocated by a later write")
	}
	if len(q.chunks) != 4 || q.size != 10+2<<20+7 {
		t.Errorf("%d chunks holding %d bytes, want 4 holding %d", len(q.chunks), q.size, 10+2<<20+7)
	}
	q.push(make([]byte, 3)) // small after small: shares the last chunk
	if len(q.chunks) != 4 {
		t.Errorf("a small write after a small one made chunk %d", len(q.chunks))
	}
}
