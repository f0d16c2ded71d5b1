package procmon_test

// How output becomes lines, beyond the ported tests.

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/braid-go/braid/procmon"
	"github.com/braid-go/braid/reactor"
)

// Lines split across reads are joined; several in one read are split.
func TestLoggingProtocol_LinesAcrossReads(t *testing.T) {
	f := setUp(t)
	p := f.startedLongAgo(t)
	p.OutReceived([]byte("hel"))
	p.OutReceived([]byte("lo\nwor"))
	p.OutReceived([]byte("ld\n\nlast\r\n"))
	f.wantEvents(t,
		logEvent{"foo", "stdout", "hello"},
		logEvent{"foo", "stdout", "world"},
		logEvent{"foo", "stdout", ""},
		logEvent{"foo", "stdout", "last\r"}, // only "\n" ends a line, as in Twisted
	)
}

// Output that ended with "\n" logs nothing more at the end. Twisted logs
// an empty line there (its check for a trailing newline compares an int
// with bytes, so never holds).
func TestLoggingProtocol_NoEmptyLineAtTheEnd(t *testing.T) {
	f := setUp(t)
	p := f.startedLongAgo(t)
	p.OutReceived([]byte("hello\n"))
	p.ErrReceived([]byte("a\nb"))
	p.ProcessEnded(processDone())
	f.wantEvents(t,
		logEvent{"foo", "stdout", "hello"},
		logEvent{"foo", "stderr", "a"},
		logEvent{"foo", "stderr", "b"},
	)
}

// A line longer than 16 KiB is logged in 16 KiB pieces, as it arrives.
// Twisted's LineReceiver would call loseConnection on a transport that has
// none, and its output pipe would be closed.
func TestLoggingProtocol_LongLinesInPieces(t *testing.T) {
	f := setUp(t)
	p := f.startedLongAgo(t)
	const piece = 16384
	p.OutReceived([]byte(strings.Repeat("a", piece-1)))
	f.wantEvents(t)
	p.OutReceived([]byte(strings.Repeat("a", piece+2)))
	p.OutReceived([]byte(strings.Repeat("b", 2*piece+1) + "\n"))
	want := []logEvent{
		{"foo", "stdout", strings.Repeat("a", piece)},
		{"foo", "stdout", strings.Repeat("a", piece)},
		{"foo", "stdout", "a" + strings.Repeat("b", piece-1)},
		{"foo", "stdout", strings.Repeat("b", piece)},
		{"foo", "stdout", "bb"},
	}
	f.wantEvents(t, want...)
}

// A second ProcessEnded of the same run changes nothing: the run is over.
func TestLoggingProtocol_SecondProcessEndedIsIgnored(t *testing.T) {
	f := setUp(t)
	p := f.startedLongAgo(t)
	p.ProcessEnded(processDone())
	f.r.Advance(0)
	next := f.pm.Protocol("foo")
	if next == nil || next == p {
		t.Fatalf("not restarted: %v", next)
	}
	p.ProcessEnded(processDone())
	if f.pm.Protocol("foo") != next {
		t.Error("the stale end removed the new run")
	}
}

// Without LogLine, lines go to log/slog's default logger with the name and
// stream as attributes, when the reactor has no logger of its own.
func TestLogLine_DefaultsToSlog(t *testing.T) {
	capture := reactor.NewLogCapture()
	old := slog.Default()
	slog.SetDefault(slog.New(capture))
	t.Cleanup(func() { slog.SetDefault(old) })

	r := newDummyProcessReactor()
	wantLineLogged(t, r, capture)
}

// loggingReactor is a double with a logger of its own, as *braid.Reactor
// has.
type loggingReactor struct {
	*dummyProcessReactor
	logger *slog.Logger
}

func (r loggingReactor) Logger() *slog.Logger { return r.logger }

// Without LogLine, lines go to the reactor's own logger when it has one.
func TestLogLine_UsesTheReactorsLogger(t *testing.T) {
	capture := reactor.NewLogCapture()
	r := loggingReactor{newDummyProcessReactor(), slog.New(capture)}
	wantLineLogged(t, r, capture)
}

// wantLineLogged starts a process on r and checks that a line it writes
// to stderr reaches capture as an Info record.
func wantLineLogged(t *testing.T, r procmon.Reactor, capture *reactor.LogCapture) {
	t.Helper()
	pm := procmon.New(r)
	mustAdd(t, pm, "foo", []string{"foo"}, procmon.ProcessOptions{})
	pm.StartService()
	pm.Protocol("foo").ErrReceived([]byte("hello world!\n"))
	records := capture.Records()
	if len(records) != 1 {
		t.Fatalf("%d records, want 1", len(records))
	}
	rec := records[0]
	attrs := map[string]string{}
	rec.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	if rec.Level != slog.LevelInfo || rec.Message != "hello world!" || attrs["process"] != "foo" || attrs["stream"] != "stderr" {
		t.Errorf("record %v %q %v, want INFO \"hello world!\" process=foo stream=stderr", rec.Level, rec.Message, attrs)
	}
}
