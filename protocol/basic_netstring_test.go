package protocol_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// lineOnlyTester is Twisted's LineOnlyTester: "\n", a limit of 64.
type lineOnlyTester struct {
	protocol.LineOnlyReceiver
	received []string
}

func (p *lineOnlyTester) LineReceived(line []byte) { p.received = append(p.received, string(line)) }

func newLineOnlyTester() (*lineOnlyTester, *braidtest.StringTransport) {
	p := &lineOnlyTester{}
	p.Delimiter = []byte("\n")
	p.MaxLength = 64
	tr := &braidtest.StringTransport{}
	protocol.Bind(p)
	p.MakeConnection(tr)
	return p, tr
}

// LineOnlyReceiverTests.test_buffer: lines fed a byte at a time.
func TestLineOnlyReceiver_Buffer(t *testing.T) {
	buf := "foo\n    bleakness\n    desolation\n    plastic forks\n    "
	p, _ := newLineOnlyTester()
	feedInPackets(p, buf, 1)
	want := strings.Split(buf, "\n")
	if diff := cmp.Diff(want[:len(want)-1], p.received); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// LineOnlyReceiverTests.test_greaterThanMaximumLineLength, and the
// unfinished long line.
func TestLineOnlyReceiver_MaximumLineLength(t *testing.T) {
	for _, data := range []string{
		strings.Repeat("x", 64+1+1) + "\r\nr",
		strings.Repeat("x", 65),
	} {
		p, tr := newLineOnlyTester()
		p.DataReceived([]byte(data))
		if !tr.Disconnecting || len(p.received) != 0 {
			t.Errorf("%d bytes: Disconnecting = %v, lines %q", len(data), tr.Disconnecting, p.received)
		}
	}
}

// LineOnlyReceiver's own rules: a line over the limit drops the rest of its
// chunk; a LoseConnection from a handler stops the chunk's lines; a new
// Delimiter applies from the next chunk on.
func TestLineOnlyReceiver_Rules(t *testing.T) {
	t.Run("long line drops the rest of the chunk", func(t *testing.T) {
		p := &lineOnlyCatcher{}
		p.Delimiter = []byte("\n")
		p.MaxLength = 64
		protocol.Bind(p)
		p.MakeConnection(&braidtest.StringTransport{})
		long := strings.Repeat("x", 65)
		p.DataReceived([]byte("a\n" + long + "\nb\nc"))
		p.DataReceived([]byte("\n"))
		if diff := cmp.Diff([]string{"a", "too long: " + long, "c"}, p.received); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("disconnect", func(t *testing.T) {
		p := &lineOnlyCloser{}
		tr := &braidtest.StringTransport{}
		protocol.Bind(p)
		p.MakeConnection(tr)
		p.DataReceived([]byte("a\r\nquit\r\nb\r\n"))
		if diff := cmp.Diff([]string{"a", "quit"}, p.received); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("SendLine", func(t *testing.T) {
		p, tr := newLineOnlyTester()
		p.SendLine([]byte("hi"))
		if got := string(tr.Value()); got != "hi\n" {
			t.Errorf("wrote %q", got)
		}
	})
}

type lineOnlyCatcher struct{ lineOnlyTester }

func (p *lineOnlyCatcher) LineLengthExceeded(line []byte) {
	p.received = append(p.received, "too long: "+string(line))
}

type lineOnlyCloser struct{ lineOnlyTester }

func (p *lineOnlyCloser) LineReceived(line []byte) {
	p.lineOnlyTester.LineReceived(line)
	if string(line) == "quit" {
		p.Transport.LoseConnection()
	}
}

// testNetstring is Twisted's TestNetstring: it records and echoes each
// string, with a limit of 50.
type testNetstring struct {
	protocol.NetstringReceiver
	received []string
}

func (p *testNetstring) StringReceived(s []byte) {
	p.received = append(p.received, string(s))
	p.Transport.Write(s)
}

func newNetstring(maxLength int) (*testNetstring, *braidtest.StringTransport) {
	p := &testNetstring{received: []string{}}
	p.MaxLength = maxLength
	tr := &braidtest.StringTransport{}
	protocol.Bind(p)
	p.MakeConnection(tr)
	return p, tr
}

// NetstringReceiverTests.test_buffer: strings sent with SendString come
// back whatever the packet size.
func TestNetstringReceiver_Buffer(t *testing.T) {
	strs := []string{"hello", "world", "how", "are", "you123", ":today", strings.Repeat("a", 515)}
	for size := 1; size < 10; size++ {
		p, tr := newNetstring(699)
		for _, s := range strs {
			p.SendString([]byte(s))
		}
		out := string(tr.Value())
		feedInPackets(p, out, size)
		if diff := cmp.Diff(strs, p.received); diff != "" {
			t.Errorf("packet size %d (-want +got):\n%s", size, diff)
		}
	}
}

// The receiving tests of NetstringReceiverTests, each fed in the chunks of
// its original: test_receiveEmptyNetstring, test_receiveOneCharacter,
// test_receiveTwoCharacters, test_receiveNestedNetstring,
// test_receiveNetstringPortions_1/_2/_3, test_receiveTwoNetstrings, and
// the refusals test_moreDataThanSpecified(BorderCase), test_missingNumber,
// test_missingColon, test_missingNumberAndColon, test_onlyData,
// test_maxReceiveLimit; test_consumeLength and its three border cases
// (private methods in Twisted) become lengths at and around MaxLength.
func TestNetstringReceiver_Receive(t *testing.T) {
	cases := []struct {
		name      string
		maxLength int
		chunks    []string
		want      []string
		broken    bool
	}{
		{"test_receiveEmptyNetstring", 50, []string{"0:,"}, []string{""}, false},
		{"test_receiveOneCharacter", 50, []string{"1:a,"}, []string{"a"}, false},
		{"test_receiveTwoCharacters", 50, []string{"2:ab,"}, []string{"ab"}, false},
		{"test_receiveNestedNetstring", 50, []string{"4:1:a,,"}, []string{"1:a,"}, false},
		{"test_receiveNetstringPortions_1", 50, []string{"4:aa", "aa,"}, []string{"aaaa"}, false},
		{"test_receiveNetstringPortions_2", 50, []string{"1", "0:01234", "56789", ","}, []string{"0123456789"}, false},
		{"test_receiveNetstringPortions_3", 50, []string{"2", ":", "a", "b", ","}, []string{"ab"}, false},
		{"test_receiveTwoNetstrings", 50, []string{"1:a,1", ":b,"}, []string{"a", "b"}, false},
		{"test_moreDataThanSpecified", 50, []string{"2:aaa,"}, []string{}, true},
		{"test_moreDataThanSpecifiedBorderCase", 50, []string{"0:a,"}, []string{}, true},
		{"test_missingNumber", 50, []string{":aaa,"}, []string{}, true},
		{"test_missingColon", 50, []string{"3aaa,"}, []string{}, true},
		{"test_missingNumberAndColon", 50, []string{"aaa,"}, []string{}, true},
		{"test_onlyData", 50, []string{"aaa"}, []string{}, true},
		{"test_maxReceiveLimit", 50, []string{"51:" + strings.Repeat("a", 51)}, []string{}, true},
		{"test_consumeLength", 50, []string{"12:", "abcdefghijkl,"}, []string{"abcdefghijkl"}, false},
		{"test_consumeLengthBorderCase1", 12, []string{"12:abcdefghijkl,"}, []string{"abcdefghijkl"}, false},
		{"test_consumeLengthBorderCase2", 11, []string{"12:"}, []string{}, true},
		{"test_consumeLengthBorderCase3", 11, []string{"1000:"}, []string{}, true},
		{"a partial length over the limit fails before its colon", 11, []string{"12"}, []string{}, true},
		{"a leading zero", 50, []string{"01:a,"}, []string{}, true},
		{"the default limit", 0, []string{strconv.Itoa(protocol.DefaultMaxStringLength + 1)}, []string{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, tr := newNetstring(c.maxLength)
			for _, ch := range c.chunks {
				p.DataReceived([]byte(ch))
			}
			if diff := cmp.Diff(c.want, p.received); diff != "" {
				t.Errorf("strings (-want +got):\n%s", diff)
			}
			if tr.Disconnecting != c.broken || (p.BrokenPeer != nil) != c.broken {
				t.Errorf("Disconnecting = %v, BrokenPeer = %v; want broken %v", tr.Disconnecting, p.BrokenPeer, c.broken)
			}
			if pe, ok := errors.AsType[*protocol.NetstringParseError](p.BrokenPeer); c.broken && !ok {
				t.Errorf("BrokenPeer = %#v, want a *NetstringParseError", pe)
			}
		})
	}
}

// LPTestCaseMixin.test_illegal for NetstringReceiverTests: illegal input
// fed a byte at a time closes the connection.
func TestNetstringReceiver_Illegal(t *testing.T) {
	for _, s := range []string{
		"9999999999999999999999", "abc", "4:abcde",
		"51:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab,",
	} {
		p, tr := newNetstring(50)
		feedInPackets(p, s, 1)
		if !tr.Disconnecting {
			t.Errorf("%q: still connected", s)
		}
	}
}

// SendString frames the string.
func TestNetstringReceiver_SendString(t *testing.T) {
	p, tr := newNetstring(0)
	p.SendString([]byte("hello"))
	p.SendString(nil)
	if got := string(tr.Value()); got != "5:hello,0:," {
		t.Errorf("wrote %q", got)
	}
}
