package protocol_test

// This file and basic_*_test.go port twisted/protocols/test/test_basic.py
// (Twisted 22.4; older Twisted kept these tests in
// twisted/test/test_protocols.py), driven on braidtest.StringTransport:
// 89 tests, 76 ported, 13 not. Each test names its original; what is not
// ported, and why, is listed at the top of basic_intn_test.go.

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// lineTester is Twisted's LineTester: a LineReceiver on "\n" with a limit
// of 64 that acts on some lines — "" switches to raw mode, "len N" sets how
// much raw data to take, "pause" and "rawpause" pause until the clock next
// runs, "stop" stops producing, "produce"/"unproduce" register it with its
// transport as a pull producer.
type lineTester struct {
	protocol.LineReceiver
	clock    *reactor.Clock
	received []string
	length   int
}

func newLineTester(clock *reactor.Clock) *lineTester {
	p := &lineTester{clock: clock}
	p.Delimiter = []byte("\n")
	p.MaxLength = 64
	protocol.Bind(p)
	return p
}

func (p *lineTester) ConnectionMade() { p.received = []string{} }

func (p *lineTester) LineReceived(line []byte) {
	p.received = append(p.received, string(line))
	s := string(line)
	switch {
	case s == "":
		p.SetRawMode()
	case s == "pause":
		p.PauseProducing()
		p.clock.CallLater(0, p.ResumeProducing)
	case s == "rawpause":
		p.PauseProducing()
		p.SetRawMode()
		p.received = append(p.received, "")
		p.clock.CallLater(0, p.ResumeProducing)
	case s == "stop":
		p.StopProducing()
	case strings.HasPrefix(s, "len "):
		p.length, _ = strconv.Atoi(s[4:])
	case strings.HasPrefix(s, "produce"):
		if err := p.Transport.(protocol.Consumer).RegisterProducer(p, false); err != nil {
			panic(err)
		}
	case strings.HasPrefix(s, "unproduce"):
		p.Transport.(protocol.Consumer).UnregisterProducer()
	}
}

func (p *lineTester) RawDataReceived(data []byte) {
	n := min(p.length, len(data))
	data, rest := data[:n], data[n:]
	p.length -= n
	p.received[len(p.received)-1] += string(data)
	if p.length == 0 {
		p.SetLineMode(rest)
	}
}

func (p *lineTester) LineLengthExceeded(line []byte) {
	if len(line) > p.MaxLength+1 {
		p.SetLineMode(line[p.MaxLength+1:])
	}
}

// feedInPackets gives buf to p in packets of size bytes.
func feedInPackets(p protocol.Protocol, buf string, size int) {
	for i := 0; i < len(buf); i += size {
		p.DataReceived([]byte(buf[i:min(i+size, len(buf))]))
	}
}

// lineTesterBuffer is Twisted's LineReceiverTests.buffer: lines, raw
// blocks after empty lines, and a 70-byte line over the limit of 64.
const lineTesterBuffer = "len 10\n\n" +
	"0123456789len 5\n\n" +
	"1234\nlen 20\nfoo 123\n\n" +
	"0123456789\n012345678len 0\nfoo 5\n\n" +
	"1234567890123456789012345678901234567890123456789012345678901234567890\n" +
	"len 1\n\n" +
	"a"

// LineReceiverTests.test_buffer: raw and line mode interleave the same
// whatever the packet size.
func TestLineReceiver_Buffer(t *testing.T) {
	want := []string{"len 10", "0123456789", "len 5", "1234\n", "len 20", "foo 123", "0123456789\n012345678",
		"len 0", "foo 5", "", "67890", "len 1", "a"}
	for size := 1; size < 10; size++ {
		p := newLineTester(nil)
		p.MakeConnection(&braidtest.StringTransport{})
		feedInPackets(p, lineTesterBuffer, size)
		if diff := cmp.Diff(want, p.received); diff != "" {
			t.Errorf("packet size %d (-want +got):\n%s", size, diff)
		}
	}
}

// LineReceiverTests.test_pausing and test_rawPausing: a paused receiver
// holds its lines until resumed, in line and in raw mode.
func TestLineReceiver_Pausing(t *testing.T) {
	cases := []struct {
		name, buf     string
		before, after []string
	}{
		{"test_pausing", "twiddle1\ntwiddle2\npause\ntwiddle3\n",
			[]string{"twiddle1", "twiddle2", "pause"},
			[]string{"twiddle1", "twiddle2", "pause", "twiddle3"}},
		{"test_rawPausing", "twiddle1\ntwiddle2\nlen 5\nrawpause\n12345twiddle3\n",
			[]string{"twiddle1", "twiddle2", "len 5", "rawpause", ""},
			[]string{"twiddle1", "twiddle2", "len 5", "rawpause", "12345", "twiddle3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for size := 1; size < 10; size++ {
				clock := reactor.NewClock()
				p := newLineTester(clock)
				tr := &braidtest.StringTransport{}
				p.MakeConnection(tr)
				feedInPackets(p, c.buf, size)
				if diff := cmp.Diff(c.before, p.received); diff != "" {
					t.Errorf("packet size %d, paused (-want +got):\n%s", size, diff)
				}
				if tr.ProducerState != braidtest.Paused {
					t.Errorf("packet size %d: transport %v, want paused with the receiver", size, tr.ProducerState)
				}
				clock.Advance(0)
				if diff := cmp.Diff(c.after, p.received); diff != "" {
					t.Errorf("packet size %d, resumed (-want +got):\n%s", size, diff)
				}
			}
		})
	}
}

// LineReceiverTests.test_stopProducing: after StopProducing no line is
// delivered, whatever arrives.
func TestLineReceiver_StopProducing(t *testing.T) {
	for size := 1; size < 10; size++ {
		p := newLineTester(nil)
		tr := &braidtest.StringTransport{}
		p.MakeConnection(tr)
		feedInPackets(p, "twiddle1\ntwiddle2\nstop\nmore\nstuff\n", size)
		if diff := cmp.Diff([]string{"twiddle1", "twiddle2", "stop"}, p.received); diff != "" {
			t.Errorf("packet size %d (-want +got):\n%s", size, diff)
		}
		if tr.ProducerState != braidtest.Stopped {
			t.Errorf("transport %v, want stopped", tr.ProducerState)
		}
	}
}

// LineReceiverTests.test_lineReceiverAsProducer: a receiver may register
// itself with its transport from a handler, and unregister, and lines keep
// coming.
func TestLineReceiver_AsProducer(t *testing.T) {
	p := newLineTester(nil)
	tr := &braidtest.StringTransport{}
	p.MakeConnection(tr)
	p.DataReceived([]byte("produce\nhello world\nunproduce\ngoodbye\n"))
	if diff := cmp.Diff([]string{"produce", "hello world", "unproduce", "goodbye"}, p.received); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if tr.Producer != nil {
		t.Errorf("producer still registered: %v", tr.Producer)
	}
}

// clearingReceiver clears the buffer from each line's handler.
type clearingReceiver struct {
	protocol.LineReceiver
	line, rest []byte
}

func (p *clearingReceiver) LineReceived(line []byte) {
	p.line = line
	p.rest = p.ClearLineBuffer()
}

// LineReceiverTests.test_clearLineBuffer: ClearLineBuffer from a handler
// returns and drops the rest of the buffer.
func TestLineReceiver_ClearLineBuffer(t *testing.T) {
	p := &clearingReceiver{}
	protocol.Bind(p)
	p.DataReceived([]byte("foo\r\nbar\r\nbaz"))
	if string(p.line) != "foo" || string(p.rest) != "bar\r\nbaz" {
		t.Fatalf("line %q, cleared %q; want foo and bar\\r\\nbaz", p.line, p.rest)
	}
	p.DataReceived([]byte("quux\r\n"))
	if string(p.line) != "quux" || p.rest != nil {
		t.Errorf("line %q, cleared %q; want quux and nothing", p.line, p.rest)
	}
}

// flippingTester is Twisted's FlippingLineTester: raw mode after each line,
// line mode again after one raw byte.
type flippingTester struct {
	protocol.LineReceiver
	lines []byte
}

func (p *flippingTester) LineReceived(line []byte) {
	p.lines = append(p.lines, line...)
	p.SetRawMode()
}

func (p *flippingTester) RawDataReceived(data []byte) { p.SetLineMode(data[1:]) }

// LineReceiverTests.test_stackRecursion: switching modes on every byte of a
// large buffer neither recurses without bound nor loses a line.
func TestLineReceiver_StackRecursion(t *testing.T) {
	p := &flippingTester{}
	p.Delimiter = []byte("\n")
	protocol.Bind(p)
	p.MakeConnection(&braidtest.StringTransport{})
	const n = 100000
	p.DataReceived(bytes.Repeat([]byte("x\nx"), n))
	if got := string(p.lines); got != strings.Repeat("x", n) {
		t.Errorf("got %d bytes of lines, want %d", len(got), n)
	}
}

// plainLineReceiver has a LineReceived and keeps LineReceiver's defaults.
type plainLineReceiver struct {
	protocol.LineReceiver
	lines []string
}

func (p *plainLineReceiver) LineReceived(line []byte) { p.lines = append(p.lines, string(line)) }

func newPlain(maxLength int) (*plainLineReceiver, *braidtest.StringTransport) {
	p := &plainLineReceiver{}
	p.MaxLength = maxLength
	tr := &braidtest.StringTransport{}
	protocol.Bind(p)
	p.MakeConnection(tr)
	return p, tr
}

// The length rules with the default LineLengthExceeded, which loses the
// connection: LineReceiverTests.test_maximumLineLength,
// test_maximumLineLengthPartialDelimiter,
// test_notQuiteMaximumLineLengthUnfinished and
// LineReceiverLineLengthExceededTests.test_maximumLineLength and
// test_maximumLineLengthRemaining.
func TestLineReceiver_MaximumLineLength(t *testing.T) {
	max := protocol.DefaultMaxLineLength
	x := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name       string
		maxLength  int
		packets    []string
		disconnect bool
		lines      []string
	}{
		{"test_maximumLineLength", 0, []string{x(max+1) + "\r\nr"}, true, nil},
		{"test_maximumLineLengthPartialDelimiter", 4, []string{x(3), "\r", "\n" + x(3)}, false, []string{x(3)}},
		{"test_notQuiteMaximumLineLengthUnfinished", 0, []string{x(max) + "\r"}, false, nil},
		{"test_maximumLineLengthRemaining", 0, []string{x(max + 2)}, true, nil},
		{"a line of exactly MaxLength", 0, []string{x(max) + "\r\n"}, false, []string{x(max)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, tr := newPlain(c.maxLength)
			for _, pk := range c.packets {
				p.DataReceived([]byte(pk))
			}
			if tr.Disconnecting != c.disconnect {
				t.Errorf("Disconnecting = %v, want %v", tr.Disconnecting, c.disconnect)
			}
			if diff := cmp.Diff(c.lines, p.lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// longLineCatcher is Twisted's ExcessivelyLargeLineCatcher.
type longLineCatcher struct {
	protocol.LineReceiver
	longLines []string
}

func (p *longLineCatcher) LineReceived([]byte) {}
func (p *longLineCatcher) LineLengthExceeded(data []byte) {
	p.longLines = append(p.longLines, string(data))
}

// LineReceiverLineLengthExceededTests: what LineLengthExceeded is given.
func TestLineReceiver_LineLengthExceeded(t *testing.T) {
	excessive := strings.Repeat("x", 6*2+2)
	cases := []struct{ name, data, want string }{
		{"test_longUnendedLine", excessive, excessive},
		{"test_longLineAfterShortLine", "x\r\n" + excessive, excessive},
		{"test_longLineWithDelimiter", excessive + "\r\n" + excessive, excessive + "\r\n" + excessive},
		{"test_multipleLongLines", excessive + "\r\n" + excessive + "\r\n", excessive + "\r\n" + excessive + "\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &longLineCatcher{}
			p.MaxLength = 6
			protocol.Bind(p)
			p.MakeConnection(&braidtest.StringTransport{})
			p.DataReceived([]byte(c.data))
			if diff := cmp.Diff([]string{c.want}, p.longLines); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// consumingProtocol is Twisted's ConsumingProtocol: it echoes each line and
// pauses itself.
type consumingProtocol struct{ protocol.LineReceiver }

func (p *consumingProtocol) LineReceived(line []byte) {
	p.Transport.Write(line)
	p.PauseProducing()
}

// ProducerTests.test_pauseResume: a paused receiver delivers nothing, and
// delivers what it holds, one line per resume here, when resumed.
func TestLineReceiver_PauseResume(t *testing.T) {
	p := &consumingProtocol{}
	tr := &braidtest.StringTransport{}
	protocol.Bind(p)
	p.MakeConnection(tr)
	type step struct {
		do     func()
		echoed string
		paused bool
	}
	data := func(s string) func() { return func() { p.DataReceived([]byte(s)) } }
	steps := []step{
		{data("hello, "), "", false},
		{data("world\r\n"), "hello, world", true},
		{p.ResumeProducing, "hello, world", false},
		{data("hello\r\nworld\r\n"), "hello, worldhello", true},
		{p.ResumeProducing, "hello, worldhelloworld", true},
		{data("goodbye\r\n"), "hello, worldhelloworld", true},
		{p.ResumeProducing, "hello, worldhelloworldgoodbye", true},
		{p.ResumeProducing, "hello, worldhelloworldgoodbye", false},
	}
	for i, s := range steps {
		s.do()
		if got := string(tr.Value()); got != s.echoed {
			t.Errorf("step %d: echoed %q, want %q", i, got, s.echoed)
		}
		if got := tr.ProducerState == braidtest.Paused; got != s.paused {
			t.Errorf("step %d: transport paused = %v, want %v", i, got, s.paused)
		}
	}
}

// closer loses the connection on the line "quit".
type closer struct{ plainLineReceiver }

func (p *closer) LineReceived(line []byte) {
	p.plainLineReceiver.LineReceived(line)
	if string(line) == "quit" {
		p.Transport.LoseConnection()
	}
}

// A handler that loses the connection sees no line after its own, in
// LineReceiver and in LineOnlyReceiver (Twisted's transport.disconnecting
// check).
func TestLineReceiver_DisconnectStopsDelivery(t *testing.T) {
	p := &closer{}
	tr := &braidtest.StringTransport{}
	protocol.Bind(p)
	p.MakeConnection(tr)
	p.DataReceived([]byte("a\r\nquit\r\nb\r\nc\r\n"))
	if diff := cmp.Diff([]string{"a", "quit"}, p.lines); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// delimiterSwitcher changes its delimiter on the line "switch".
type delimiterSwitcher struct{ plainLineReceiver }

func (p *delimiterSwitcher) LineReceived(line []byte) {
	p.plainLineReceiver.LineReceived(line)
	if string(line) == "switch" {
		p.Delimiter = []byte(";")
	}
}

// A new Delimiter applies to the rest of the buffer at once.
func TestLineReceiver_DelimiterChangeAppliesToBuffer(t *testing.T) {
	p := &delimiterSwitcher{}
	protocol.Bind(p)
	p.MakeConnection(&braidtest.StringTransport{})
	p.DataReceived([]byte("a\r\nswitch\r\nb;c\r\nd;"))
	if diff := cmp.Diff([]string{"a", "switch", "b", "c\r\nd"}, p.lines); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// SendLine writes the line and the delimiter of the moment.
func TestLineReceiver_SendLine(t *testing.T) {
	p, tr := newPlain(0)
	p.SendLine([]byte("hello"))
	p.Delimiter = []byte("\n")
	p.SendLine(nil)
	if got := string(tr.Value()); got != "hello\r\n\n" {
		t.Errorf("wrote %q", got)
	}
}

// A line handed out is the handler's: the receiver never writes over it,
// even when the handler keeps it and more data arrives.
func TestLineReceiver_LinesAreTheHandlers(t *testing.T) {
	var kept [][]byte
	p := &keeper{keep: func(l []byte) { kept = append(kept, l) }}
	protocol.Bind(p)
	p.MakeConnection(&braidtest.StringTransport{})
	chunk := []byte("one\r\ntw")
	p.DataReceived(chunk)
	copy(chunk, "XXXXXXX") // the caller reuses its slice (ReuseReadBuffer)
	p.DataReceived([]byte("o\r\nthree\r\nfo"))
	kept[1] = append(kept[1], '!') // appending must not reach the buffer
	p.DataReceived([]byte("ur\r\n"))
	got := []string{}
	for _, l := range kept {
		got = append(got, string(l))
	}
	if diff := cmp.Diff([]string{"XXX", "two!", "three", "four"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

type keeper struct {
	protocol.LineReceiver
	keep func([]byte)
}

func (p *keeper) LineReceived(line []byte) { p.keep(line) }

// LineReceiverTests.test_lineReceivedNotImplemented,
// test_rawDataReceivedNotImplemented, LineOnlyReceiverTests' and
// NetstringReceiverTests' and IntNTestCaseMixin's
// test_stringReceivedNotImplemented: a type without the handler panics,
// naming the method it lacks, when there is something to deliver.
func TestBasicReceivers_MissingHandlerPanics(t *testing.T) {
	cases := []struct {
		name, method, data string
		proto              protocol.Protocol
		raw                bool
	}{
		{"LineReceiver", "LineReceived", "line\r\n", &struct{ protocol.LineReceiver }{}, false},
		{"LineReceiver raw", "RawDataReceived", "raw", &plainLineReceiver{}, true},
		{"LineOnlyReceiver", "LineReceived", "line\r\n", &struct{ protocol.LineOnlyReceiver }{}, false},
		{"NetstringReceiver", "StringReceived", "1:a,", &struct{ protocol.NetstringReceiver }{}, false},
		{"Int8StringReceiver", "StringReceived", "\x01a", &struct{ protocol.Int8StringReceiver }{}, false},
		{"Int16StringReceiver", "StringReceived", "\x00\x01a", &struct{ protocol.Int16StringReceiver }{}, false},
		{"Int32StringReceiver", "StringReceived", "\x00\x00\x00\x01a", &struct{ protocol.Int32StringReceiver }{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			protocol.Bind(c.proto)
			c.proto.MakeConnection(&braidtest.StringTransport{})
			if c.raw {
				c.proto.(interface{ SetRawMode() }).SetRawMode()
			}
			msg := panicText(func() { c.proto.DataReceived([]byte(c.data)) })
			if !strings.Contains(msg, c.method) {
				t.Errorf("panic %q does not name %s", msg, c.method)
			}
		})
	}
}

// Driving a receiver that was never bound panics, naming protocol.Bind.
func TestBasicReceivers_UnboundPanics(t *testing.T) {
	for _, p := range []protocol.Protocol{
		&plainLineReceiver{}, &lineOnlyTester{}, &testNetstring{}, &testInt8{}, &testInt16{}, &testInt32{},
	} {
		if msg := panicText(func() { p.DataReceived([]byte("x")) }); !strings.Contains(msg, "protocol.Bind") {
			t.Errorf("%T: panic %q does not name protocol.Bind", p, msg)
		}
	}
}

// panicText runs f and returns what it panicked with, as text ("" if not).
func panicText(f func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " "))
		}
	}()
	f()
	return ""
}

func fmtAny(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "non-string panic"
}

// Lines come out the same however the input is cut, for delimiters whose
// prefixes recur in the data (so that a delimiter straddles chunk
// boundaries at every offset): a seeded random check against bytes.Split.
func TestLineReceiver_AnyChunkingGivesTheSameLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	for _, delim := range []string{"\n", "\r\n", "aab", "abab", "aaaa"} {
		for range 200 {
			var input []byte
			for range rng.IntN(30) {
				input = append(input, "abx"[rng.IntN(3)])
				if rng.IntN(6) == 0 {
					input = append(input, delim...)
				}
			}
			want := bytes.Split(input, []byte(delim))
			want = want[:len(want)-1] // the unfinished last piece is no line
			p := &plainLineReceiver{}
			p.Delimiter = []byte(delim)
			protocol.Bind(p)
			p.MakeConnection(&braidtest.StringTransport{})
			var cuts []int
			for i := 0; i < len(input); {
				n := 1 + rng.IntN(5)
				p.DataReceived(input[i:min(i+n, len(input))])
				cuts = append(cuts, i)
				i += n
			}
			got := make([][]byte, len(p.lines))
			for i, l := range p.lines {
				got[i] = []byte(l)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("delimiter %q, input %q cut at %v (-want +got):\n%s", delim, input, cuts, diff)
			}
		}
	}
}
