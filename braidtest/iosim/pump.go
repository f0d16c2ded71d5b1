package iosim

import (
	"fmt"
	"io"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// maxFlushPumps bounds Flush, as Twisted's flush gives up after 1000 pumps.
const maxFlushPumps = 1000

// Clock is what an IOPump needs of a clock: a *reactor.Clock has it, and so
// does a fake reactor that embeds one. Twisted's IOPump takes a
// MemoryReactorClock.
type Clock interface {
	Advance(d time.Duration)
}

// IOPump ports twisted.test.iosim.IOPump: it moves bytes, closes and
// half-closes between the two ends of an in-memory connection, one step at
// a time, when the test calls Pump or Flush. [Connect] and
// [ConnectedServerAndClient] make one; a pump built by hand needs ClientIO
// and ServerIO set, their protocols connected.
type IOPump struct {
	// Client and Server are the two protocols, for the test's convenience
	// (Twisted's client and server); the pump delivers to the protocols
	// of ClientIO and ServerIO.
	Client, Server protocol.Protocol
	// ClientIO and ServerIO are the two transports (Twisted's clientIO and
	// serverIO).
	ClientIO, ServerIO *FakeTransport
	// Debug, when not nil, receives a line for each pump and for each thing
	// it moves: Twisted's debug flag, which prints to standard output.
	// testing.T.Output is a good place for it.
	Debug io.Writer
	// Clock, when not nil, is advanced by 0 at the start of every pump, so
	// that calls the protocols scheduled with CallLater(0) run between
	// pumps: the clock argument that Twisted releases after 22.4 added.
	// PumpWithoutClock and FlushWithoutClock leave it alone (Twisted's
	// advanceClock=False).
	Clock Clock
}

// Pump ports pump: after advancing Clock by 0, it moves once what each end
// has written to the other, and reports whether anything happened. The
// steps are Twisted's:
//
//  1. Both queues are taken, then a pull producer registered on either
//     end is resumed (what it writes goes on the next pump), then the
//     client's bytes are given to the server's DataReceived and the
//     server's to the client's. If any bytes moved, Pump returns true.
//  2. Otherwise, if one end has called LoseWriteConnection (server end
//     first), the other end hears that it will read no more: a
//     [protocol.HalfCloseableProtocol] through ReadConnectionLost, any
//     other protocol through ConnectionLost(ErrConnectionDone), after which
//     its end closes as if it had called LoseConnection. The end that
//     half-closed gets WriteConnectionLost first, if it is half-closeable.
//     (Twisted's iosim has no half-close.)
//  3. Otherwise, if one end is closing and the other has not heard (server
//     end first), the other end's protocol gets ConnectionLost. The end
//     that closed hears on the next pump, so a full close takes two pumps,
//     the peer of the end that closed first. Every close reaches the other
//     end as ConnectionLost, a half-closeable protocol included, as in
//     Twisted's iosim (over TCP such a protocol would get
//     ReadConnectionLost); [FakeTransport].DisconnectReason says which
//     reason each end gets.
//
// Bytes never overtake each other, and a close or half-close never
// overtakes bytes: while an end is paused (PauseProducing), what the other
// end wrote stays queued, and so do the close and half-close behind it.
// An end that closes of its own accord stops waiting: its protocol gets
// ConnectionLost and the bytes held for it are dropped, as a TCP transport
// stops reading when it closes. Bytes for an end that aborted, or whose
// protocol has been given ConnectionLost, are dropped. A panic in a protocol
// callback propagates, as Twisted's exceptions do.
func (p *IOPump) Pump() bool { return p.pump(true) }

// PumpWithoutClock is Pump without advancing Clock: Twisted's
// pump(advanceClock=False).
func (p *IOPump) PumpWithoutClock() bool { return p.pump(false) }

// Flush ports flush: it pumps until a pump moves nothing and reports
// whether any did. After 1000 pumps that all moved something it panics, as
// Twisted's flush fails an assertion: the protocols are probably talking
// for ever.
func (p *IOPump) Flush() bool { return p.flush(true) }

// FlushWithoutClock is Flush without advancing Clock: Twisted's
// flush(advanceClock=False).
func (p *IOPump) FlushWithoutClock() bool { return p.flush(false) }

func (p *IOPump) flush(advance bool) bool {
	moved := false
	for range maxFlushPumps {
		if !p.pump(advance) {
			return moved
		}
		moved = true
	}
	panic(fmt.Sprintf("iosim: Flush: still moving after %d pumps; do the protocols talk for ever?", maxFlushPumps))
}

func (p *IOPump) pump(advance bool) bool {
	if advance && p.Clock != nil {
		p.Clock.Advance(0)
	}
	p.tracef("-- pump --")
	s, c := p.ServerIO, p.ClientIO
	sData := take(s, c)
	cData := take(c, s)
	c.resumePullProducer()
	s.resumePullProducer()
	if len(cData) > 0 {
		p.tracef("C->S %q", cData)
		s.proto.DataReceived(cData)
	}
	if len(sData) > 0 {
		p.tracef("S->C %q", sData)
		c.proto.DataReceived(sData)
	}
	if len(cData) > 0 || len(sData) > 0 {
		return true
	}
	return p.halfClose(s, c) || p.halfClose(c, s) || p.close(s, c) || p.close(c, s)
}

// take empties from's queue and returns the bytes to deliver to to: none
// while to is paused (they wait), and none for an end that aborted or was
// given ConnectionLost (they are dropped).
func take(from, to *FakeTransport) []byte {
	if len(from.queue) == 0 || to.paused && !to.aborted && !to.lost {
		return nil
	}
	data := from.queue
	from.queue = nil // the receiver keeps data
	if to.aborted || to.lost {
		return nil
	}
	return data
}

// holds reports whether t, paused, still waits for bytes queued in from: a
// close must not overtake them, unless t is closing of its own accord.
func (t *FakeTransport) holds(from *FakeTransport) bool {
	return t.paused && !t.selfClosing && len(from.queue) > 0
}

// halfClose tells peer that x, which called LoseWriteConnection, writes no
// more (step 2 of Pump).
func (p *IOPump) halfClose(x, peer *FakeTransport) bool {
	if !x.writeClosing || x.writeClosed || x.closing || peer.closing || peer.holds(x) {
		return false
	}
	x.writeClosed = true
	p.tracef("%s half-closed", x.label())
	if hc, ok := x.proto.(protocol.HalfCloseableProtocol); ok {
		hc.WriteConnectionLost()
	}
	if peer.closing {
		// x's WriteConnectionLost closed the other end itself; step 3
		// tells the rest.
		return true
	}
	if hc, ok := peer.proto.(protocol.HalfCloseableProtocol); ok {
		p.tracef("%s read lost", peer.label())
		peer.readClosed = true
		hc.ReadConnectionLost()
		return true
	}
	// A TCP transport whose protocol cannot half-close loses the whole
	// connection, and its peer then hears of that close.
	peer.selfClosing = true
	p.lose(peer, x)
	return true
}

// close tells peer that x is closing (step 3 of Pump).
func (p *IOPump) close(x, peer *FakeTransport) bool {
	if !x.closing || x.closeSent || !peer.lost && peer.holds(x) {
		return false
	}
	x.closeSent = true
	if !peer.lost {
		x.queue = nil // held for peer, which closed of its own accord
		p.lose(peer, x)
	}
	if x.lost {
		peer.closeSent = true // both ends have heard: nothing is left to tell
	}
	return true
}

// lose gives t's protocol ConnectionLost; peer is the other end.
func (p *IOPump) lose(t, peer *FakeTransport) {
	t.closing, t.lost = true, true
	reason := t.DisconnectReason
	if reason == nil {
		switch {
		case t.aborted:
			reason = reactor.ErrConnectionAborted
		case peer.aborted:
			reason = reactor.ErrConnectionLost
		default:
			reason = reactor.ErrConnectionDone
		}
	}
	p.tracef("%s lost: %v", t.label(), reason)
	t.stopProducer()
	t.proto.ConnectionLost(reactor.NewFailure(reason))
}

func (t *FakeTransport) label() string {
	if t.isServer {
		return "S"
	}
	return "C"
}

func (p *IOPump) tracef(format string, args ...any) {
	if p.Debug == nil {
		return
	}
	_, _ = fmt.Fprintf(p.Debug, format+"\n", args...)
}
