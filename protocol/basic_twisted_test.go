package protocol_test

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
)

// basicProgram is one run of a receiver, played on braid and, through
// testdata/twisted_basic.py, on Twisted's twisted.protocols.basic: the
// chunks fed to DataReceived, with a nil step for each ResumeProducing.
// Lines and strings that read as commands make the receiver act (see the
// script's docstring).
type basicProgram struct {
	Kind  string   `json:"kind"`
	Max   int      `json:"max,omitempty"`
	Catch bool     `json:"catch,omitempty"`
	Steps [][]byte `json:"steps"`
}

func (p basicProgram) String() string {
	steps := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		if s == nil {
			steps[i] = "<resume>"
		} else {
			steps[i] = strconv.Quote(string(s))
		}
	}
	return fmt.Sprintf("%s max=%d catch=%v: %s", p.Kind, p.Max, p.Catch, strings.Join(steps, " "))
}

// basicStream is a receiver's input before it is cut into chunks: parts
// separated by ResumeProducing (by a chunk boundary only, for the
// receivers that cannot pause).
type basicStream struct {
	kind  string
	max   int
	catch bool
	parts []string
}

func prefixed(size int, strs ...string) string {
	var b []byte
	for _, s := range strs {
		n := make([]byte, 4)
		binary.BigEndian.PutUint32(n, uint32(len(s)))
		b = append(append(b, n[4-size:]...), s...)
	}
	return string(b)
}

var basicStreams = []basicStream{
	// LineReceiver: modes, delimiter changes, clearing, disconnecting.
	{"line", 0, false, []string{"hello\r\nworld\r\nraw 5\r\n12345after\r\nquit\r\nnever\r\n"}},
	{"line", 0, false, []string{"a\r\ndelim ;\r\nb;c\r\nd;delim \n;e\nf\r\n\n"}},
	{"line", 0, false, []string{"raw 3\r\nabcquit\r\nx\r\n"}},
	{"line", 0, false, []string{"raw 0\r\nline\r\nraw 4\r\n\r\n\r\nlast\r\n"}},
	{"line", 0, false, []string{"one\r\nclear\r\ntwo\r\nthree", "\r\nfour\r\n"}},
	{"line", 0, false, []string{"a\r\npause\r\nb\r\nc\r\n", "", "d\r\n"}},
	{"line", 0, false, []string{"raw 2\r\nxypause\r\nraw 3\r\n", "abc", "tail\r\n"}},
	// LineReceiver: lengths around a limit of 20, caught or not.
	{"line", 20, false, []string{"short\r\n" + strings.Repeat("x", 30) + "\r\nafter\r\n"}},
	{"line", 20, true, []string{"short\r\n" + strings.Repeat("x", 30) + "\r\nafter\r\n"}},
	{"line", 20, true, []string{strings.Repeat("y", 25), "\r\nz\r\n"}},
	{"line", 20, true, []string{strings.Repeat("x", 20) + "\r\n" + strings.Repeat("x", 21) + "\r", "\nok\r\n"}},
	{"line", 20, false, []string{strings.Repeat("w", 21) + "\r\n"}},
	// LineOnlyReceiver.
	{"lineonly", 0, false, []string{"a\r\nb\r\nquit\r\nc\r\n", "d\r\n"}},
	{"lineonly", 0, false, []string{"a\r\ndelim ;\r\nb;c\r\n", "d;e\r\n"}},
	{"lineonly", 20, false, []string{"a\r\n" + strings.Repeat("x", 21) + "\r\nb\r\n"}},
	{"lineonly", 20, false, []string{strings.Repeat("v", 21)}},
	// NetstringReceiver: good, bad, and parsing on after an error.
	{"netstring", 0, false, []string{"5:hello,0:,3:abc,4:1:a,,"}},
	{"netstring", 0, false, []string{"4:quit,3:abc,"}},
	{"netstring", 0, false, []string{"3:abcd,5:hello,"}},
	{"netstring", 0, false, []string{"05:hello,"}},
	{"netstring", 0, false, []string{":a,"}},
	{"netstring", 0, false, []string{"12\n"}},
	{"netstring", 0, false, []string{"12\n:"}},
	{"netstring", 0, false, []string{"9999999"}},
	{"netstring", 50, false, []string{"50:" + strings.Repeat("a", 50) + ",51:"}},
	// Length-prefixed receivers: strings, pausing, a length over the limit
	// at the very end (see TestIntNStringReceiver_PauseAndLimit for what
	// follows one).
	{"int8", 0, false, []string{prefixed(1, "hello", "", "quit", "abc")}},
	{"int16", 0, false, []string{prefixed(2, "hello", "pause", "x", "y"), "", prefixed(2, "z")}},
	{"int32", 0, false, []string{prefixed(4, "hello", strings.Repeat("b", 300), "quit", "after")}},
	{"int32", 0, false, []string{prefixed(4, "a", "pause", "b") + "\x00\x00", "", "\x00\x01c"}},
	{"int32", 10, false, []string{prefixed(4, "short") + "\x00\x00\x00\x0b"}},
	{"int8", 10, false, []string{prefixed(1, "a", "pause") + "\x0b", ""}},
}

// programs cuts each stream's parts into chunks of 1, 2, 3, 5 and 7 bytes
// and whole, so that delimiters, prefixes and mode switches fall across
// chunk boundaries in every way.
func basicPrograms() []basicProgram {
	var progs []basicProgram
	for _, s := range basicStreams {
		for _, size := range []int{0, 1, 2, 3, 5, 7} {
			p := basicProgram{Kind: s.kind, Max: s.max, Catch: s.catch, Steps: [][]byte{}}
			for i, part := range s.parts {
				if i > 0 && s.kind != "lineonly" && s.kind != "netstring" {
					p.Steps = append(p.Steps, nil) // those two cannot pause: a plain chunk boundary
				}
				n := size
				if n == 0 {
					n = max(len(part), 1)
				}
				for j := 0; j < len(part); j += n {
					p.Steps = append(p.Steps, []byte(part[j:min(j+n, len(part))]))
				}
			}
			progs = append(progs, p)
		}
	}
	return progs
}

// LineReceiver, LineOnlyReceiver, NetstringReceiver and the
// Int8/16/32StringReceivers deliver the same lines and strings, and lose
// the connection at the same points, as Twisted's on the same chunks.
func TestBasicReceiversAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.protocols.basic")
	progs := basicPrograms()
	twisted := twistedtest.Traces(t, "testdata/twisted_basic.py", progs, 60*time.Second)
	twistedtest.CompareTraces(t, progs, twisted, runBasicProgram)
}

// show renders bytes as the script does: each byte one character
// (Latin-1), long ones cut.
func show(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	if len(r) > 40 {
		return fmt.Sprintf("%s...(%d bytes)", string(r[:10]), len(r))
	}
	return string(r)
}

// tracingTransport records each LoseConnection in the trace.
type tracingTransport struct {
	braidtest.StringTransport
	trace *[]string
}

func (t *tracingTransport) LoseConnection() {
	*t.trace = append(*t.trace, "lose")
	t.StringTransport.LoseConnection()
}

type traceLine struct {
	protocol.LineReceiver
	trace   *[]string
	catch   bool
	rawLeft int
}

func (p *traceLine) LineReceived(line []byte) {
	*p.trace = append(*p.trace, "line "+show(line))
	lineCommands(p.trace, line, p.Transport, &p.Delimiter, p.ClearLineBuffer, p.PauseProducing, func(n int) {
		p.rawLeft = n
		p.SetRawMode()
	})
}

func (p *traceLine) RawDataReceived(data []byte) {
	n := min(p.rawLeft, len(data))
	take, rest := data[:n], data[n:]
	p.rawLeft -= n
	*p.trace = append(*p.trace, "raw "+show(take))
	if p.rawLeft == 0 {
		p.SetLineMode(rest)
	}
}

func (p *traceLine) LineLengthExceeded(line []byte) {
	if p.catch {
		*p.trace = append(*p.trace, "exceeded "+show(line))
		return
	}
	p.LineReceiver.LineLengthExceeded(line)
}

type traceLineOnly struct {
	protocol.LineOnlyReceiver
	trace *[]string
}

func (p *traceLineOnly) LineReceived(line []byte) {
	*p.trace = append(*p.trace, "line "+show(line))
	lineCommands(p.trace, line, p.Transport, &p.Delimiter, nil, nil, nil)
}

// lineCommands acts on the command lines both line receivers share.
func lineCommands(trace *[]string, line []byte, tr protocol.Transport, delim *[]byte, clear func() []byte, pause func(), raw func(int)) {
	s := string(line)
	switch {
	case s == "quit":
		tr.LoseConnection()
	case strings.HasPrefix(s, "delim "):
		*delim = []byte(s[6:])
	case s == "clear" && clear != nil:
		*trace = append(*trace, "cleared "+show(clear()))
	case s == "pause" && pause != nil:
		pause()
	case strings.HasPrefix(s, "raw ") && raw != nil:
		n, _ := strconv.Atoi(s[4:])
		raw(n)
	}
}

// traceStrings is the StringReceived of the string receivers.
type traceStrings struct {
	trace *[]string
	tr    func() protocol.Transport
	pause func()
}

func (p *traceStrings) StringReceived(s []byte) {
	*p.trace = append(*p.trace, "string "+show(s))
	switch string(s) {
	case "quit":
		p.tr().LoseConnection()
	case "pause":
		p.pause()
	}
}

type traceNetstring struct {
	protocol.NetstringReceiver
	traceStrings
}

type traceInt8 struct {
	protocol.Int8StringReceiver
	traceStrings
}

func (p *traceInt8) LengthLimitExceeded(n int) {
	*p.trace = append(*p.trace, fmt.Sprintf("limit %d", n))
	p.Int8StringReceiver.LengthLimitExceeded(n)
}

type traceInt16 struct {
	protocol.Int16StringReceiver
	traceStrings
}

type traceInt32 struct {
	protocol.Int32StringReceiver
	traceStrings
}

func (p *traceInt32) LengthLimitExceeded(n int) {
	*p.trace = append(*p.trace, fmt.Sprintf("limit %d", n))
	p.Int32StringReceiver.LengthLimitExceeded(n)
}

func runBasicProgram(prog basicProgram) []string {
	trace := []string{}
	var p protocol.Protocol
	switch prog.Kind {
	case "line":
		lr := &traceLine{trace: &trace, catch: prog.Catch}
		lr.MaxLength = prog.Max
		p = lr
	case "lineonly":
		lo := &traceLineOnly{trace: &trace}
		lo.MaxLength = prog.Max
		p = lo
	case "netstring":
		ns := &traceNetstring{}
		ns.MaxLength = prog.Max
		ns.traceStrings = traceStrings{trace: &trace, tr: func() protocol.Transport { return ns.Transport }}
		p = ns
	case "int8":
		r := &traceInt8{}
		r.MaxLength = prog.Max
		r.traceStrings = traceStrings{&trace, func() protocol.Transport { return r.Transport }, r.PauseProducing}
		p = r
	case "int16":
		r := &traceInt16{}
		r.MaxLength = prog.Max
		r.traceStrings = traceStrings{&trace, func() protocol.Transport { return r.Transport }, r.PauseProducing}
		p = r
	case "int32":
		r := &traceInt32{}
		r.MaxLength = prog.Max
		r.traceStrings = traceStrings{&trace, func() protocol.Transport { return r.Transport }, r.PauseProducing}
		p = r
	default:
		panic("unknown kind " + prog.Kind)
	}
	tr := &tracingTransport{trace: &trace}
	tr.Lenient = true
	protocol.Bind(p)
	p.MakeConnection(tr)
	for _, step := range prog.Steps {
		if step == nil {
			p.(interface{ ResumeProducing() }).ResumeProducing()
			continue
		}
		p.DataReceived(step)
	}
	return trace
}
