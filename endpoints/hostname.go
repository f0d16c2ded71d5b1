package endpoints

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// HostnameReactor is what a HostnameEndpoint needs: TCP, time for its
// attempt delay, and threads for the default name resolution.
type HostnameReactor interface {
	reactor.Time
	reactor.FromThreads
	protocol.ReactorTCP
}

// DefaultAttemptDelay is HostnameEndpoint's delay between starting one
// connection attempt and the next (Twisted's _DEFAULT_ATTEMPT_DELAY).
const DefaultAttemptDelay = 300 * time.Millisecond

// ResolveFunc resolves host and calls done once, on the reactor goroutine,
// with its addresses in the order to try them.
type ResolveFunc func(host string, done func(addrs []netip.Addr, err error))

// HostnameEndpoint ports HostnameEndpoint: connect to a host name by trying
// each of its addresses, IPv4 and IPv6 alike, in the resolver's order,
// starting a new attempt every AttemptDelay while none has succeeded
// (Happy Eyeballs, RFC 8305's simple form). The first attempt to connect
// wins and the others are cancelled; if all fail, the Deferred fails with
// the last failure.
type HostnameEndpoint struct {
	Reactor HostnameReactor
	Host    string
	Port    int
	// Opts applies to each attempt: Timeout (0: 30 s) and BindAddress.
	Opts protocol.ConnectTCPOptions
	// AttemptDelay is the time between attempts; 0 means
	// DefaultAttemptDelay.
	AttemptDelay time.Duration
	// Resolve resolves Host; nil uses Go's resolver on another goroutine
	// and hands the result back with CallFromThread. An IP literal is its
	// own single address. Tests give a resolver that answers at once.
	Resolve ResolveFunc
}

// String describes the endpoint as Twisted's repr does.
func (e *HostnameEndpoint) String() string {
	return "<HostnameEndpoint " + net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) + ">"
}

// HostnameAddress ports twisted.internet.address.HostnameAddress: a host
// name and port, the destination a HostnameEndpoint reports.
type HostnameAddress struct {
	Hostname string
	Port     int
}

// Network returns "tcp".
func (a *HostnameAddress) Network() string { return "tcp" }

func (a *HostnameAddress) String() string { return net.JoinHostPort(a.Hostname, strconv.Itoa(a.Port)) }

func (e *HostnameEndpoint) resolve(done func([]netip.Addr, error)) {
	if ip, err := netip.ParseAddr(e.Host); err == nil {
		done([]netip.Addr{ip}, nil)
		return
	}
	if e.Resolve != nil {
		e.Resolve(e.Host, done)
		return
	}
	host, r := e.Host, e.Reactor
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), protocol.DefaultConnectTimeout)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		r.CallFromThread(func() { done(addrs, err) })
	}()
}

// Connect ports connect: resolve, then race the attempts. Cancelling while
// the name resolves fails with a *DNSLookupError, as Twisted's does;
// cancelling during the attempts cancels them all and fails with a
// *ConnectingCancelledError.
func (e *HostnameEndpoint) Connect(factory protocol.Factory) *reactor.Deferred {
	if factory == nil {
		panic("endpoints: HostnameEndpoint.Connect: nil factory")
	}
	delay := e.AttemptDelay
	if delay <= 0 {
		delay = DefaultAttemptDelay
	}
	resolving := true
	var race *hostnameRace
	d := reactor.NewDeferred(func(d *reactor.Deferred) {
		if resolving {
			resolving = false
			_ = d.Errback(&DNSLookupError{Host: e.Host, Err: reactor.ErrCancelled})
			return
		}
		if race != nil {
			race.cancel()
		}
	})
	e.resolve(func(addrs []netip.Addr, err error) {
		if !resolving {
			return // cancelled meanwhile
		}
		resolving = false
		switch {
		case err != nil:
			_ = d.Errback(&DNSLookupError{Host: e.Host, Err: err})
			return
		case len(addrs) == 0:
			_ = d.Errback(&DNSLookupError{Host: e.Host})
			return
		}
		race = &hostnameRace{e: e, d: d, factory: factory, addrs: addrs}
		race.start(delay)
	})
	return d
}

// hostnameRace is one Connect's attempts after resolution.
type hostnameRace struct {
	e        *HostnameEndpoint
	d        *reactor.Deferred
	factory  protocol.Factory
	addrs    []netip.Addr
	next     int
	pending  []*reactor.Deferred
	failures []error
	done     bool
	loop     *reactor.LoopingCall
}

func (h *hostnameRace) start(delay time.Duration) {
	h.loop = reactor.NewLoopingCall(h.e.Reactor, func() (any, error) {
		h.attempt()
		return nil, nil
	})
	if _, err := h.loop.Start(delay, true); err != nil {
		h.finish(nil, err)
	}
}

// attempt starts the next address's connection, or notes there is none.
func (h *hostnameRace) attempt() {
	if h.done {
		return
	}
	if h.next == len(h.addrs) {
		h.stopLoop()
		h.checkDone()
		return
	}
	ip := h.addrs[h.next].Unmap()
	h.next++
	var ep ClientEndpoint
	if ip.Is4() {
		ep = &TCP4ClientEndpoint{Reactor: h.e.Reactor, Host: ip.String(), Port: h.e.Port, Opts: h.e.Opts}
	} else {
		ep = &TCP6ClientEndpoint{Reactor: h.e.Reactor, Host: ip.String(), Port: h.e.Port, Opts: h.e.Opts}
	}
	a := ep.Connect(h.factory)
	h.pending = append(h.pending, a)
	a.AddCallbacks(func(p any) (any, error) {
		h.drop(a)
		h.finish(p, nil)
		return nil, nil
	}, func(f *reactor.Failure) (any, error) {
		h.drop(a)
		h.failures = append(h.failures, f)
		h.checkDone()
		return nil, nil
	})
}

func (h *hostnameRace) drop(a *reactor.Deferred) {
	for i, p := range h.pending {
		if p == a {
			h.pending = append(h.pending[:i], h.pending[i+1:]...)
			return
		}
	}
}

// checkDone fails the race once every address has been tried and failed.
func (h *hostnameRace) checkDone() {
	if len(h.pending) > 0 || h.done || h.next < len(h.addrs) {
		return
	}
	h.finish(nil, h.failures[len(h.failures)-1])
}

func (h *hostnameRace) stopLoop() {
	if h.loop != nil && h.loop.Running() {
		_ = h.loop.Stop()
	}
}

// finish ports cancelRemainingPending: the race is decided; stop starting
// attempts, cancel those still pending, then fire.
func (h *hostnameRace) finish(result any, err error) {
	if h.done {
		return
	}
	h.done = true
	h.stopLoop()
	for _, p := range append([]*reactor.Deferred(nil), h.pending...) {
		p.Cancel()
	}
	if h.d.Called() {
		return
	}
	if err != nil {
		_ = h.d.Errback(err)
		return
	}
	_ = h.d.Callback(result)
}

func (h *hostnameRace) cancel() {
	err := &ConnectingCancelledError{Address: &HostnameAddress{Hostname: h.e.Host, Port: h.e.Port}}
	_ = h.d.Errback(err)
	h.finish(nil, err)
}

// lookupIP6 resolves a TCP6ClientEndpoint's host name; tests replace it.
var lookupIP6 = func(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip6", host)
}

// TCP6ClientEndpoint ports TCP6ClientEndpoint: connect to Host:Port over
// IPv6. A host name is resolved to its IPv6 addresses (the first one is
// used), off the reactor goroutine when the reactor offers
// reactor.FromThreads.
type TCP6ClientEndpoint struct {
	Reactor protocol.ReactorTCP
	Host    string
	Port    int
	Opts    protocol.ConnectTCPOptions
}

// Connect ports connect.
func (e *TCP6ClientEndpoint) Connect(factory protocol.Factory) *reactor.Deferred {
	if ip, err := netip.ParseAddr(e.Host); err == nil {
		return connectWith(factory, func(f protocol.ClientFactory) protocol.Connector {
			return e.Reactor.ConnectTCP(ip.String(), e.Port, f, e.Opts)
		})
	}
	ft, ok := e.Reactor.(reactor.FromThreads)
	if !ok {
		return reactor.Fail(&DNSLookupError{Host: e.Host, Err: fmt.Errorf("the reactor cannot resolve names (no reactor.FromThreads)")})
	}
	// The resolution fires resolved; the Deferred returned waits on the
	// connect Deferred its callback returns, so a Cancel reaches whichever
	// is pending, as in Twisted.
	resolved := reactor.NewDeferred(nil)
	host := e.Host
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), protocol.DefaultConnectTimeout)
		defer cancel()
		addrs, err := lookupIP6(ctx, host)
		ft.CallFromThread(func() {
			switch {
			case resolved.Called():
				// cancelled meanwhile
			case err != nil || len(addrs) == 0:
				_ = resolved.Errback(&DNSLookupError{Host: host, Err: err})
			default:
				_ = resolved.Callback(addrs[0])
			}
		})
	}()
	return resolved.AddCallback(func(a any) (any, error) {
		lit := &TCP6ClientEndpoint{Reactor: e.Reactor, Host: a.(netip.Addr).String(), Port: e.Port, Opts: e.Opts}
		return lit.Connect(factory), nil
	})
}
