package procmon

import (
	"bytes"
	"log/slog"
	"strconv"
	"unicode/utf8"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// maxLineLength is LineReceiver.MAX_LENGTH: longer output is logged in
// pieces of this size.
const maxLineLength = 16384

// LoggingProtocol ports twisted.runner.procmon.LoggingProtocol: the
// ProcessProtocol a [ProcessMonitor] gives each run of a process. It splits
// the child's stdout and stderr into lines for the monitor's LogLine, and
// tells the monitor when the process has ended. The monitor makes one per
// run; Protocol returns the current one, whose Transport is the child's.
//
// Two differences from Twisted's, which splits with a LineReceiver: a line
// longer than 16 KiB is logged in 16 KiB pieces (Twisted's LineReceiver
// calls loseConnection on a transport that has none, and the AttributeError
// escapes from outReceived); and at the end only a last,
// unterminated line is logged (Twisted also logs an empty line after
// output that ended with "\n").
type LoggingProtocol struct {
	protocol.BaseProcessProtocol
	// Name is the process's name (Twisted's name).
	Name string

	m              *ProcessMonitor
	stdout, stderr lineBuffer
	done           bool // ProcessEnded has run

	// Readiness of this run (see ready.go).
	ready    bool  // the run is ready
	notReady error // the run's check failed while the process ran on
	probe    *probe
}

// OutReceived logs each complete line of stdout.
func (p *LoggingProtocol) OutReceived(data []byte) {
	p.stdout.feed(data, func(line []byte) { p.log("stdout", line) })
}

// ErrReceived logs each complete line of stderr.
func (p *LoggingProtocol) ErrReceived(data []byte) {
	p.stderr.feed(data, func(line []byte) { p.log("stderr", line) })
}

// ProcessEnded ports processEnded: it logs the last lines if they lacked
// their "\n", and tells the monitor, which restarts the process as its
// rules say. Only the first call counts.
func (p *LoggingProtocol) ProcessEnded(reason *reactor.Failure) {
	if p.done {
		return
	}
	p.done = true
	p.stdout.flush(func(line []byte) { p.log("stdout", line) })
	p.stderr.flush(func(line []byte) { p.log("stderr", line) })
	p.stopProbe()
	if p.m != nil {
		p.m.processEnded(p, reason)
	}
}

// log hands one line to the monitor's LogLine, or to the reactor's logger.
func (p *LoggingProtocol) log(stream string, line []byte) {
	text := string(line)
	if !utf8.Valid(line) {
		text = strconv.Quote(text)
	}
	if p.m != nil && p.m.LogLine != nil {
		p.m.LogLine(p.Name, stream, text)
		return
	}
	logger := slog.Default()
	if p.m != nil {
		if l, ok := p.m.r.(interface{ Logger() *slog.Logger }); ok {
			logger = l.Logger()
		}
	}
	logger.Info(text, "process", p.Name, "stream", stream)
}

// lineBuffer holds the start of a line until its "\n" arrives.
type lineBuffer struct{ buf []byte }

// feed adds data and hands each complete line to emit.
func (l *lineBuffer) feed(data []byte, emit func([]byte)) {
	l.buf = append(l.buf, data...)
	rest := l.buf
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		emitPieces(rest[:i], emit)
		rest = rest[i+1:]
	}
	for len(rest) >= maxLineLength {
		emit(rest[:maxLineLength])
		rest = rest[maxLineLength:]
	}
	if len(rest) == 0 {
		l.buf = l.buf[:0]
		return
	}
	l.buf = append(l.buf[:0], rest...) // copy down; the regions may overlap, as copy allows
}

// flush hands on what is left, a line without its "\n".
func (l *lineBuffer) flush(emit func([]byte)) {
	if len(l.buf) > 0 {
		emitPieces(l.buf, emit)
	}
	l.buf = nil
}

// emitPieces hands line on in pieces of at most maxLineLength.
func emitPieces(line []byte, emit func([]byte)) {
	for len(line) > maxLineLength {
		emit(line[:maxLineLength])
		line = line[maxLineLength:]
	}
	emit(line)
}
