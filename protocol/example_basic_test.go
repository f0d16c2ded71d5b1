package protocol_test

import (
	"fmt"
	"strings"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

// Greeter answers each line; "bye" closes the connection, so the line
// after it in the same read is never seen.
type Greeter struct{ protocol.LineReceiver }

func (g *Greeter) LineReceived(line []byte) {
	if string(line) == "bye" {
		g.Transport.LoseConnection()
		return
	}
	g.SendLine([]byte("hello, " + string(line)))
}

// A LineReceiver driven on a StringTransport: lines split across reads
// arrive whole.
func ExampleLineReceiver() {
	g := &Greeter{}
	tr := &braidtest.StringTransport{}
	protocol.Bind(g)
	g.MakeConnection(tr)
	g.DataReceived([]byte("ali"))
	g.DataReceived([]byte("ce\r\nbob\r\nbye\r\ncarol\r\n"))
	fmt.Printf("%q disconnecting=%v\n", tr.Value(), tr.Disconnecting)
	// Output: "hello, alice\r\nhello, bob\r\n" disconnecting=true
}

// Upload reads a header line giving a length, then that many raw bytes,
// then lines again.
type Upload struct {
	protocol.LineReceiver
	want int
	body []byte
}

func (u *Upload) LineReceived(line []byte) {
	if n, ok := strings.CutPrefix(string(line), "size "); ok {
		fmt.Sscan(n, &u.want)
		u.SetRawMode() // the rest of this read, too, goes to RawDataReceived
		return
	}
	fmt.Printf("line %q\n", line)
}

func (u *Upload) RawDataReceived(data []byte) {
	n := min(u.want-len(u.body), len(data))
	u.body = append(u.body, data[:n]...)
	if len(u.body) == u.want {
		fmt.Printf("body %q\n", u.body)
		u.SetLineMode(data[n:]) // what follows the body is lines again
	}
}

// Switching between lines and raw data in the middle of a read, as HTTP
// does for a body.
func ExampleLineReceiver_SetRawMode() {
	u := &Upload{}
	protocol.Bind(u)
	u.MakeConnection(&braidtest.StringTransport{})
	u.DataReceived([]byte("size 5\r\nab"))
	u.DataReceived([]byte("cdeafter\r\n"))
	// Output:
	// body "abcde"
	// line "after"
}

// Shouter is a LineOnlyReceiver on "\n".
type Shouter struct{ protocol.LineOnlyReceiver }

func (s *Shouter) LineReceived(line []byte) { s.SendLine([]byte(strings.ToUpper(string(line)))) }

func ExampleLineOnlyReceiver() {
	s := &Shouter{}
	s.Delimiter = []byte("\n")
	tr := &braidtest.StringTransport{}
	protocol.Bind(s)
	s.MakeConnection(tr)
	s.DataReceived([]byte("one\ntwo\nthr"))
	fmt.Printf("%q\n", tr.Value())
	// Output: "ONE\nTWO\n"
}

// Netstrings prints each string.
type Netstrings struct{ protocol.NetstringReceiver }

func (n *Netstrings) StringReceived(s []byte) { fmt.Printf("string %q\n", s) }

// Netstrings in, netstrings out; input that is no netstring drops the
// connection.
func ExampleNetstringReceiver() {
	n := &Netstrings{}
	tr := &braidtest.StringTransport{}
	protocol.Bind(n)
	n.MakeConnection(tr)
	n.SendString([]byte("hi"))
	n.DataReceived([]byte("5:hello,0:,3:ab"))
	n.DataReceived([]byte("c,x"))
	fmt.Printf("sent %q, disconnecting=%v, broken: %v\n", tr.Value(), tr.Disconnecting, n.BrokenPeer)
	// Output:
	// string "hello"
	// string ""
	// string "abc"
	// sent "2:hi,", disconnecting=true, broken: netstring: the netstring does not start with a length
}

// Messages prints each length-prefixed string.
type Messages struct{ protocol.Int32StringReceiver }

func (m *Messages) StringReceived(s []byte) { fmt.Printf("message %q\n", s) }

func ExampleInt32StringReceiver() {
	m := &Messages{}
	tr := &braidtest.StringTransport{}
	protocol.Bind(m)
	m.MakeConnection(tr)
	_ = m.SendString([]byte("ping"))
	m.DataReceived([]byte("\x00\x00\x00\x04po"))
	m.DataReceived([]byte("ng"))
	fmt.Printf("sent %q\n", tr.Value())
	// Output:
	// message "pong"
	// sent "\x00\x00\x00\x04ping"
}

// Short prints each byte-prefixed string.
type Short struct{ protocol.Int8StringReceiver }

func (s *Short) StringReceived(b []byte) { fmt.Printf("%q\n", b) }

// An Int8StringReceiver refuses to send what its one-byte prefix cannot
// describe.
func ExampleInt8StringReceiver() {
	s := &Short{}
	protocol.Bind(s)
	s.MakeConnection(&braidtest.StringTransport{})
	s.DataReceived([]byte("\x02hi\x00"))
	fmt.Println(s.SendString(make([]byte, 300)))
	// Output:
	// "hi"
	// ""
	// cannot send a string of 300 bytes: a length prefix holds at most 255
}

// Words prints each two-byte-prefixed string.
type Words struct{ protocol.Int16StringReceiver }

func (w *Words) StringReceived(b []byte) { fmt.Printf("%q\n", b) }

func ExampleInt16StringReceiver() {
	w := &Words{}
	protocol.Bind(w)
	w.MakeConnection(&braidtest.StringTransport{})
	w.DataReceived([]byte("\x00\x03abc\x00"))
	w.DataReceived([]byte("\x01d"))
	// Output:
	// "abc"
	// "d"
}

// A FileSender pulled by hand, as a transport pulls it when its buffer
// drains: one chunk per ResumeProducing, then the Deferred fires with the
// last byte.
func ExampleFileSender_BeginFileTransfer() {
	consumer := &braidtest.StringTransport{}
	sender := &protocol.FileSender{ChunkSize: 4}
	d := sender.BeginFileTransfer(strings.NewReader("abcdefg"), consumer, nil)
	d.AddCallback(func(last any) (any, error) {
		fmt.Printf("done, last byte %q\n", last)
		return nil, nil
	})
	for consumer.Producer != nil {
		sender.ResumeProducing()
		fmt.Printf("consumer has %q\n", consumer.Value())
	}
	// Output:
	// consumer has "abcd"
	// consumer has "abcdefg"
	// done, last byte "g"
	// consumer has "abcdefg"
}
