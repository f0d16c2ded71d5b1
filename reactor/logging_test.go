package reactor

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Without an error observer, LogError writes to the reactor's logger, and
// the record gives the Failure and the reason back.
func TestLogError_GoesToTheReactorsLogger(t *testing.T) {
	capture := NewLogCapture()
	r, err := New(capture.Option())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	boom := errors.New("boom")
	f := NewFailure(boom)
	r.LogError(f, "timed call")
	r.Logger().Info("plain message", "port", 8080)

	evs := capture.ErrorEvents()
	if len(evs) != 1 || evs[0].Failure != f || evs[0].Why != "timed call" {
		t.Fatalf("error events = %+v, want the one Failure logged as \"timed call\"", evs)
	}
	texts := capture.Texts()
	if len(texts) != 2 {
		t.Fatalf("texts = %q, want 2", texts)
	}
	if want := "timed call\n" + f.Traceback(); texts[0] != want {
		t.Errorf("error text = %q, want %q", texts[0], want)
	}
	if diff := cmp.Diff("plain message port=8080", texts[1]); diff != "" {
		t.Errorf("message text (-want +got):\n%s", diff)
	}
}

// Text ports textFromEventDict: the reason, or "Unhandled Error", then the
// traceback.
func TestErrorEvent_Text(t *testing.T) {
	f := NewFailure(errors.New("x"))
	for _, tc := range []struct {
		ev   ErrorEvent
		want string
	}{
		{ErrorEvent{Failure: f, Why: "my why"}, "my why\n" + f.Traceback()},
		{ErrorEvent{Failure: f}, "Unhandled Error\n" + f.Traceback()},
		{ErrorEvent{Why: "no failure"}, "no failure"},
	} {
		if got := tc.ev.Text(); got != tc.want {
			t.Errorf("Text() = %q, want %q", got, tc.want)
		}
	}
}

// RecordText quotes values that would otherwise be ambiguous.
func TestRecordText_QuotesAmbiguousValues(t *testing.T) {
	capture := NewLogCapture()
	slog.New(capture).Info("line", "text", "two words", "n", 3)
	if diff := cmp.Diff([]string{`line text="two words" n=3`}, capture.Texts()); diff != "" {
		t.Error(diff)
	}
}

// WithAttrs and WithGroup keep records in the same capture, with the
// attributes and the group's prefix.
func TestLogCapture_AttrsAndGroups(t *testing.T) {
	capture := NewLogCapture()
	l := slog.New(capture).With("process", "echo").WithGroup("io")
	l.Info("read", "bytes", 5)
	slog.New(capture).Info("bare")
	want := []string{"read process=echo io.bytes=5", "bare"}
	if diff := cmp.Diff(want, capture.Texts()); diff != "" {
		t.Error(diff)
	}
}

// Take removes what matches and leaves the rest.
func TestLogCapture_Take(t *testing.T) {
	capture := NewLogCapture()
	l := slog.New(capture)
	for _, m := range []string{"a1", "b1", "a2"} {
		l.Info(m)
	}
	taken := capture.Take(func(r slog.Record) bool { return strings.HasPrefix(r.Message, "a") })
	var got []string
	for _, r := range taken {
		got = append(got, r.Message)
	}
	if diff := cmp.Diff([]string{"a1", "a2"}, got); diff != "" {
		t.Errorf("taken (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b1"}, capture.Texts()); diff != "" {
		t.Errorf("left (-want +got):\n%s", diff)
	}
}

// The capture is safe from several goroutines (run with -race).
func TestLogCapture_ConcurrentUse(t *testing.T) {
	capture := NewLogCapture()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			l := slog.New(capture).With("g", 1)
			for range 50 {
				l.Info("m")
				_ = capture.Texts()
			}
		})
	}
	wg.Wait()
	if n := len(capture.Records()); n != 200 {
		t.Errorf("%d records, want 200", n)
	}
}

// A record not written by LogError is no error event, even with an
// attribute named "failure".
func TestErrorEventOf_OnlyLogErrorRecords(t *testing.T) {
	capture := NewLogCapture()
	slog.New(capture).Error("not ours", FailureKey, "a string")
	if evs := capture.ErrorEvents(); len(evs) != 0 {
		t.Errorf("error events = %+v, want none", evs)
	}
}

// The zero LogCapture is ready to use, and a Failure logged through a
// grouped logger is still recognised as an error event.
func TestLogCapture_ZeroValueAndGroups(t *testing.T) {
	var capture LogCapture
	f := NewFailure(errors.New("boom"))
	logFailure(slog.New(&capture).WithGroup("conn"), f, "grouped")
	evs := capture.ErrorEvents()
	if len(evs) != 1 || evs[0].Failure != f || evs[0].Why != "grouped" {
		t.Fatalf("error events = %+v, want the grouped Failure", evs)
	}
}
