package protocol_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

var _ protocol.PushProducer = (*protocol.FileSender)(nil) // FileSenderTests.test_interface

// result returns what d has fired with, failing the test if it has not
// (trial's successResultOf / failureResultOf).
func result(t *testing.T, d *reactor.Deferred) any {
	t.Helper()
	var got any
	fired := false
	d.AddBoth(func(v any) (any, error) { got, fired = v, true; return nil, nil })
	if !fired {
		t.Fatal("the Deferred has not fired")
	}
	return got
}

// FileSenderTests.test_producerRegistered: BeginFileTransfer registers a
// pull producer.
func TestFileSender_ProducerRegistered(t *testing.T) {
	consumer := &braidtest.StringTransport{}
	s := &protocol.FileSender{}
	s.BeginFileTransfer(strings.NewReader("Test content"), consumer, nil)
	if consumer.Producer != s || consumer.Streaming {
		t.Errorf("Producer %v, Streaming %v; want the sender, pull", consumer.Producer, consumer.Streaming)
	}
}

// FileSenderTests.test_transfer, test_transferMultipleChunks and
// test_transferWithTransform: each ResumeProducing writes one chunk; the
// one that finds the end unregisters and fires with the last byte.
func TestFileSender_Transfer(t *testing.T) {
	cases := []struct {
		name      string
		chunkSize int
		transform func([]byte) []byte
		writes    []string
		last      string
	}{
		{"test_transfer", 0, nil, []string{"Test content"}, "t"},
		{"test_transferMultipleChunks", 4, nil, []string{"Test", "Test con", "Test content"}, "t"},
		{"test_transferWithTransform", 0, swapCase, []string{"tEST CONTENT"}, "T"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			consumer := &braidtest.StringTransport{}
			s := &protocol.FileSender{ChunkSize: c.chunkSize}
			d := s.BeginFileTransfer(strings.NewReader("Test content"), consumer, c.transform)
			for i, want := range c.writes {
				s.ResumeProducing()
				if got := string(consumer.Value()); got != want {
					t.Fatalf("after resume %d: consumer has %q, want %q", i+1, got, want)
				}
				if d.Called() {
					t.Fatalf("fired after resume %d, before the end of the file was seen", i+1)
				}
			}
			s.ResumeProducing() // it finishes only once a read finds the end
			if consumer.Producer != nil {
				t.Error("still registered")
			}
			v := result(t, d)
			if got, ok := v.([]byte); !ok || string(got) != c.last {
				t.Errorf("fired with %#v, want %q", v, c.last)
			}
			s.ResumeProducing() // after the end: nothing (the consumer would refuse a second unregister)
		})
	}
}

func swapCase(b []byte) []byte {
	out := bytes.ToUpper(b)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return out
}

// FileSenderTests.test_abortedTransfer: StopProducing before the end fails
// the Deferred.
func TestFileSender_AbortedTransfer(t *testing.T) {
	consumer := &braidtest.StringTransport{}
	s := &protocol.FileSender{}
	d := s.BeginFileTransfer(strings.NewReader("Test content"), consumer, nil)
	s.StopProducing()
	v := result(t, d)
	if f, ok := v.(*reactor.Failure); !ok || !errors.Is(f, protocol.ErrConsumerStopped) {
		t.Errorf("fired with %v, want a Failure wrapping ErrConsumerStopped", v)
	}
	s.StopProducing() // a second stop does nothing
}

// Beyond Twisted's tests: an empty file fires with no byte; a read error
// and a refused registration fail the Deferred rather than leave it
// unfired.
func TestFileSender_Failures(t *testing.T) {
	t.Run("empty file", func(t *testing.T) {
		consumer := &braidtest.StringTransport{}
		s := &protocol.FileSender{}
		d := s.BeginFileTransfer(strings.NewReader(""), consumer, nil)
		s.ResumeProducing()
		v := result(t, d)
		if got, ok := v.([]byte); !ok || len(got) != 0 {
			t.Errorf("fired with %#v, want an empty []byte", v)
		}
	})
	t.Run("read error", func(t *testing.T) {
		consumer := &braidtest.StringTransport{}
		s := &protocol.FileSender{}
		boom := errors.New("disk on fire")
		d := s.BeginFileTransfer(errReader{boom}, consumer, nil)
		s.ResumeProducing()
		v := result(t, d)
		if f, ok := v.(*reactor.Failure); !ok || !errors.Is(f, boom) || consumer.Producer != nil {
			t.Errorf("fired with %v (producer %v), want the read error and unregistered", v, consumer.Producer)
		}
	})
	t.Run("a second transfer on the same consumer", func(t *testing.T) {
		consumer := &braidtest.StringTransport{}
		s := &protocol.FileSender{}
		first := s.BeginFileTransfer(strings.NewReader("one"), consumer, nil)
		second := s.BeginFileTransfer(strings.NewReader("two"), consumer, nil)
		v := result(t, second)
		if f, ok := v.(*reactor.Failure); !ok || !errors.Is(f, protocol.ErrProducerRegistered) {
			t.Errorf("second transfer fired with %v, want ErrProducerRegistered", v)
		}
		s.ResumeProducing()
		s.ResumeProducing()
		if got, ok := result(t, first).([]byte); !ok || string(got) != "e" || string(consumer.Value()) != "one" {
			t.Errorf("first transfer: fired with %q, consumer has %q; want it finished undisturbed", got, consumer.Value())
		}
	})
	t.Run("registration refused", func(t *testing.T) {
		consumer := &braidtest.StringTransport{}
		_ = consumer.RegisterProducer(&protocol.FileSender{}, false)
		d := (&protocol.FileSender{}).BeginFileTransfer(strings.NewReader("x"), consumer, nil)
		v := result(t, d)
		if f, ok := v.(*reactor.Failure); !ok || !errors.Is(f, protocol.ErrProducerRegistered) {
			t.Errorf("fired with %v, want ErrProducerRegistered", v)
		}
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
