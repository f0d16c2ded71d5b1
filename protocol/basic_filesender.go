package protocol

import (
	"errors"
	"io"

	"github.com/braid-go/braid/reactor"
)

// FileSenderChunkSize is how much a FileSender reads per ResumeProducing
// when its ChunkSize is zero (Twisted's CHUNK_SIZE, 2**14).
const FileSenderChunkSize = 1 << 14

// ErrConsumerStopped is what the Deferred of [FileSender.BeginFileTransfer]
// fails with when the consumer calls StopProducing before the end of the
// file (Twisted fails it with a plain Exception saying the same).
var ErrConsumerStopped = errors.New("consumer asked us to stop producing")

// FileSender ports twisted.protocols.basic.FileSender: a pull producer that
// copies a reader into a consumer (a transport, typically), one chunk per
// ResumeProducing. The zero value is ready to use; a FileSender sends one
// file.
type FileSender struct {
	// ChunkSize is the most read and written per ResumeProducing; zero
	// means FileSenderChunkSize. Each read fills a whole chunk unless the
	// reader ends first (Python's file.read(n)).
	ChunkSize int

	file      io.Reader
	consumer  Consumer
	transform func([]byte) []byte
	deferred  *reactor.Deferred
	lastSent  []byte
}

// BeginFileTransfer ports beginFileTransfer: it registers the sender with
// consumer as a pull (non-streaming) producer and returns a Deferred that
// fires once the reader is exhausted, with the last byte written as a
// []byte of length one (empty if nothing was written), as Twisted's fires
// with lastSent. transform, when not nil, is applied to each chunk before
// it is written.
//
// The consumer drives the transfer by calling ResumeProducing; a braid TCP
// transport does at once and then each time its buffer drains. At the end
// the sender unregisters itself. The Deferred fails with ErrConsumerStopped
// if the consumer stops it first, with the reader's error if a read fails
// (the sender unregisters then too), and at once with RegisterProducer's
// error if the consumer refuses the producer. file and consumer must not be
// nil.
func (s *FileSender) BeginFileTransfer(file io.Reader, consumer Consumer, transform func([]byte) []byte) *reactor.Deferred {
	if file == nil || consumer == nil {
		panic("protocol: FileSender.BeginFileTransfer needs a file and a consumer; got a nil one")
	}
	prev := *s
	s.file, s.consumer, s.transform = file, consumer, transform
	d := reactor.NewDeferred(nil)
	s.deferred = d
	// Registering may resume us at once (a real transport does), so the
	// transfer must be in place first.
	if err := consumer.RegisterProducer(s, false); err != nil {
		*s = prev // a transfer already under way carries on
		_ = d.Errback(err)
	}
	return d
}

// ResumeProducing ports resumeProducing: it writes the next chunk to the
// consumer or, at the end of the reader, unregisters and fires the
// Deferred. Called once the transfer is over it does nothing.
func (s *FileSender) ResumeProducing() {
	if s.file == nil {
		return
	}
	size := s.ChunkSize
	if size <= 0 {
		size = FileSenderChunkSize
	}
	chunk := make([]byte, size)
	n, err := io.ReadFull(s.file, chunk)
	if err == io.ErrUnexpectedEOF {
		err = nil
	}
	if n == 0 || err != nil {
		s.finish(err)
		return
	}
	chunk = chunk[:n]
	if s.transform != nil {
		chunk = s.transform(chunk)
	}
	s.consumer.Write(chunk)
	if len(chunk) > 0 {
		s.lastSent = chunk[len(chunk)-1:]
	} else {
		s.lastSent = nil
	}
}

// finish ends the transfer: at EOF (err nil or io.EOF) the Deferred fires
// with the last byte sent, on a read error it fails with that error.
func (s *FileSender) finish(err error) {
	s.file = nil
	s.consumer.UnregisterProducer()
	d := s.deferred
	s.deferred = nil
	if d == nil {
		return
	}
	if err != nil && err != io.EOF {
		_ = d.Errback(err)
		return
	}
	_ = d.Callback(append([]byte{}, s.lastSent...))
}

// PauseProducing ports pauseProducing: it does nothing (a pull producer is
// simply not resumed).
func (s *FileSender) PauseProducing() {}

// StopProducing ports stopProducing: an unfinished transfer's Deferred
// fails with ErrConsumerStopped; nothing more is read.
func (s *FileSender) StopProducing() {
	s.file = nil
	if d := s.deferred; d != nil {
		s.deferred = nil
		_ = d.Errback(ErrConsumerStopped)
	}
}
