package reactor

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// FailureKey is the attribute under which [Reactor.LogError] puts the
// logged *Failure in a log/slog record. The attribute's value prints as
// the error's message; [ErrorEventOf] gets the *Failure itself back.
const FailureKey = "failure"

// loggedFailure carries a *Failure through a slog record: handlers print
// its message, and ErrorEventOf unwraps it.
type loggedFailure struct{ f *Failure }

// LogValue prints the Failure as its message; its traceback is an
// attribute of its own.
func (l loggedFailure) LogValue() slog.Value { return slog.StringValue(l.f.ErrorMessage()) }

// Logger returns the logger the reactor writes to: the one given to
// [WithLogger], or slog.Default(). Code running on the reactor logs its
// own messages here (Twisted's log.msg), so that a test capturing the
// reactor's log sees them.
func (r *Reactor) Logger() *slog.Logger {
	if r.logger != nil {
		return r.logger
	}
	return slog.Default()
}

// ErrorEventOf returns the error event a record written by
// [Reactor.LogError] carries: its Failure and its Why (the record's
// message). It reports false for any other record.
func ErrorEventOf(rec slog.Record) (ErrorEvent, bool) {
	var ev ErrorEvent
	rec.Attrs(func(a slog.Attr) bool {
		// The value's type marks LogError's record, whatever group
		// prefix a handler put on the key.
		if lf, ok := a.Value.Any().(loggedFailure); ok {
			ev = ErrorEvent{Failure: lf.f, Why: rec.Message}
			return false
		}
		return true
	})
	return ev, ev.Failure != nil
}

// Text ports log.textFromEventDict for an error event: the reason, or
// "Unhandled Error" without one, then the Failure's traceback.
func (e ErrorEvent) Text() string {
	why := e.Why
	if why == "" {
		why = "Unhandled Error"
	}
	if e.Failure == nil {
		return why
	}
	return why + "\n" + e.Failure.Traceback()
}

// RecordText ports log.textFromEventDict for any record: an error event's
// [ErrorEvent.Text], otherwise the message followed by the attributes as
// key=value (values Go-quoted when they hold spaces or quotes).
func RecordText(rec slog.Record) string {
	if ev, ok := ErrorEventOf(rec); ok {
		return ev.Text()
	}
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		v := a.Value.Resolve().String()
		if strings.ContainsAny(v, " \t\n\"=") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, v)
		return true
	})
	return b.String()
}

// LogCapture is a log/slog handler that keeps every record, for tests: the
// per-reactor form of Twisted's capturedLogs and of trial's log observer.
// Install it on one reactor with [LogCapture.Option]; its methods are safe
// from any goroutine. Attributes and groups added with WithAttrs and
// WithGroup are kept on the records (a group prefixes its keys, as
// "group.key").
type LogCapture struct {
	store  atomic.Pointer[captureStore] // shared by the handlers WithAttrs and WithGroup make
	attrs  []slog.Attr
	prefix string
}

type captureStore struct {
	mu      sync.Mutex
	records []slog.Record
}

// NewLogCapture returns a capture with no records. The zero value works
// too.
func NewLogCapture() *LogCapture { return &LogCapture{} }

// records returns the store, making it on first use so that the zero
// value is ready.
func (c *LogCapture) records() *captureStore {
	if st := c.store.Load(); st != nil {
		return st
	}
	c.store.CompareAndSwap(nil, &captureStore{})
	return c.store.Load()
}

// derive returns a handler sharing c's records.
func (c *LogCapture) derive(attrs []slog.Attr, prefix string) *LogCapture {
	out := &LogCapture{attrs: attrs, prefix: prefix}
	out.store.Store(c.records())
	return out
}

// Option returns WithLogger(slog.New(c)), to pass to reactor.New or
// braid.New.
func (c *LogCapture) Option() Option { return WithLogger(slog.New(c)) }

// Enabled reports true for every level: a capture keeps everything.
func (c *LogCapture) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps a copy of rec, with the attributes of WithAttrs.
func (c *LogCapture) Handle(_ context.Context, rec slog.Record) error {
	kept := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	kept.AddAttrs(c.attrs...)
	rec.Attrs(func(a slog.Attr) bool {
		a.Key = c.prefix + a.Key
		kept.AddAttrs(a)
		return true
	})
	st := c.records()
	st.mu.Lock()
	st.records = append(st.records, kept)
	st.mu.Unlock()
	return nil
}

// WithAttrs returns a handler that adds attrs to each record and keeps
// them in the same capture.
func (c *LogCapture) WithAttrs(attrs []slog.Attr) slog.Handler {
	all := slices.Clone(c.attrs)
	for _, a := range attrs {
		a.Key = c.prefix + a.Key
		all = append(all, a)
	}
	return c.derive(all, c.prefix)
}

// WithGroup returns a handler that prefixes the keys of later attributes
// with name, keeping records in the same capture.
func (c *LogCapture) WithGroup(name string) slog.Handler {
	if name == "" {
		return c
	}
	return c.derive(c.attrs, c.prefix+name+".")
}

// Records returns a copy of the records kept, oldest first.
func (c *LogCapture) Records() []slog.Record {
	st := c.records()
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]slog.Record, len(st.records))
	for i, r := range st.records {
		out[i] = r.Clone()
	}
	return out
}

// ErrorEvents returns the error events among the records (those
// [Reactor.LogError] wrote), oldest first.
func (c *LogCapture) ErrorEvents() []ErrorEvent {
	var out []ErrorEvent
	for _, rec := range c.Records() {
		if ev, ok := ErrorEventOf(rec); ok {
			out = append(out, ev)
		}
	}
	return out
}

// Texts returns each record's [RecordText], oldest first.
func (c *LogCapture) Texts() []string {
	recs := c.Records()
	out := make([]string, len(recs))
	for i, rec := range recs {
		out[i] = RecordText(rec)
	}
	return out
}

// Take removes and returns the records for which match reports true,
// leaving the others; trial uses it to flush expected errors.
func (c *LogCapture) Take(match func(slog.Record) bool) []slog.Record {
	st := c.records()
	st.mu.Lock()
	defer st.mu.Unlock()
	var taken []slog.Record
	left := st.records[:0]
	for _, r := range st.records {
		if match(r) {
			taken = append(taken, r)
		} else {
			left = append(left, r)
		}
	}
	clear(st.records[len(left):])
	st.records = left
	return taken
}
