package braidtest

import (
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// LineSendingProtocol ports twisted.internet.testing.LineSendingProtocol:
// a protocol.LineReceiver that sends Lines (each with the delimiter) and
// records the lines it receives in Response. By default it sends them when
// connected; with WaitForLine, it sends them in answer to the first line it
// receives instead (Twisted's start=False). LostConn becomes true when the
// connection ends; the protocol never closes it itself.
//
// The zero value sends nothing when connected; NewLineSendingProtocol is
// Twisted's constructor. Delimiter and MaxLength are LineReceiver's.
type LineSendingProtocol struct {
	protocol.LineReceiver

	// Lines are the lines to send, without delimiters.
	Lines [][]byte
	// WaitForLine defers the sending to the first line received
	// (Twisted's start=False).
	WaitForLine bool
	// Response is every line received, in order.
	Response [][]byte
	// LostConn is set by ConnectionLost (Twisted's lostConn).
	LostConn bool
}

var (
	_ protocol.Protocol  = (*LineSendingProtocol)(nil)
	_ DisconnectReporter = (*LineSendingProtocol)(nil)
)

// NewLineSendingProtocol ports LineSendingProtocol(lines, start): a
// protocol that sends a copy of lines when connected if start is true, or
// in answer to the first line it receives if not.
func NewLineSendingProtocol(lines [][]byte, start bool) *LineSendingProtocol {
	return &LineSendingProtocol{Lines: append([][]byte(nil), lines...), WaitForLine: !start}
}

// ConnectionMade sends Lines unless WaitForLine is set.
func (p *LineSendingProtocol) ConnectionMade() {
	if !p.WaitForLine {
		p.sendAll()
	}
}

// LineReceived sends Lines first if WaitForLine is set (once: Lines is then
// emptied, as in Twisted), and appends line to Response. Twisted's, whose
// sending loop reuses the name of its argument, records the last line it
// sent in place of that first line received; braid records the line
// received.
func (p *LineSendingProtocol) LineReceived(line []byte) {
	if p.WaitForLine {
		p.sendAll()
		p.Lines = nil
	}
	p.Response = append(p.Response, line)
}

func (p *LineSendingProtocol) sendAll() {
	for _, l := range p.Lines {
		p.SendLine(l)
	}
}

// ConnectionLost sets LostConn.
func (p *LineSendingProtocol) ConnectionLost(*reactor.Failure) { p.LostConn = true }

// Disconnected reports LostConn, for WaitUntilAllDisconnected.
func (p *LineSendingProtocol) Disconnected() bool { return p.LostConn }
