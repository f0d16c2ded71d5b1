package braidtest

import (
	"fmt"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// DisconnectReporter is what WaitUntilAllDisconnected asks of each
// protocol: whether its connection has ended. AccumulatingProtocol is one.
//
// Twisted's helper reads the connected attribute of each protocol's
// transport; braid's transports do not expose one, and a protocol's
// Transport field cannot be reached through the Protocol interface, so the
// protocol itself must say. A protocol of your own implements it by
// recording ConnectionLost:
//
//	func (p *myProto) ConnectionLost(*reactor.Failure) { p.lost = true }
//	func (p *myProto) Disconnected() bool            { return p.lost }
type DisconnectReporter interface {
	// Disconnected reports whether ConnectionLost has been called.
	Disconnected() bool
}

// pollInterval is how often WaitUntilAllDisconnected looks, as in Twisted.
const pollInterval = 10 * time.Millisecond

// WaitUntilAllDisconnected ports waitUntilAllDisconnected: it returns a
// Deferred that fires with nil once every protocol reports Disconnected,
// looking at once and then every 10 ms on r (a LoopingCall). Twisted's fires
// with its LoopingCall. Every protocol must be a DisconnectReporter: any
// other (or nil) is a programming error, and WaitUntilAllDisconnected panics
// naming its index and type.
//
// On a MemoryReactorClock the looks happen as the test advances the clock;
// on a real reactor, as it runs.
func WaitUntilAllDisconnected(r reactor.Time, protocols []protocol.Protocol) *reactor.Deferred {
	reporters := make([]DisconnectReporter, len(protocols))
	for i, p := range protocols {
		dr, ok := p.(DisconnectReporter)
		if !ok {
			panic(fmt.Sprintf("braidtest: WaitUntilAllDisconnected: protocol %d (%T) cannot say whether it is disconnected: it needs a Disconnected method (see DisconnectReporter)", i, p))
		}
		reporters[i] = dr
	}
	var lc *reactor.LoopingCall
	lc = reactor.NewLoopingCall(r, func() (any, error) {
		for _, p := range reporters {
			if !p.Disconnected() {
				return nil, nil
			}
		}
		return nil, lc.Stop()
	})
	d, err := lc.Start(pollInterval, true)
	if err != nil {
		return reactor.Fail(err)
	}
	return d.AddCallback(func(any) (any, error) { return nil, nil })
}
