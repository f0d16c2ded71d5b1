package iosim_test

import (
	"errors"
	"testing"

	"github.com/braid-go/braid/braidtest/iosim"
	"github.com/braid-go/braid/protocol"
)

// A close reaches the other end once the bytes before it have, first the
// peer of the end that closed and on the next pump that end itself, both
// with ErrConnectionDone; writes after the close, and from ConnectionLost,
// are dropped (Twisted's pump).
func TestIOPump_CloseReachesPeerThenCloser(t *testing.T) {
	cases := []struct {
		name string
		act  func(s, c *tracer)
		want events
	}{
		{"server closes", func(s, c *tracer) {
			s.write("bye")
			s.Transport.LoseConnection()
			s.write("dropped")
			c.write("late")
		}, events{`s got "late"`, `c got "bye"`, "pump: true", "c lost: done", "pump: true", "s lost: done", "pump: true", "pump: false"}},
		{"client closes", func(s, c *tracer) {
			c.Transport.LoseConnection()
		}, events{"s lost: done", "pump: true", "c lost: done", "pump: true", "pump: false"}},
		{"both close, the client is told first", func(s, c *tracer) {
			c.Transport.LoseConnection()
			s.Transport.LoseConnection()
		}, events{"c lost: done", "pump: true", "s lost: done", "pump: true", "pump: false"}},
		{"repeated calls change nothing", func(s, c *tracer) {
			s.Transport.LoseConnection()
			s.Transport.LoseConnection()
			s.tcp().LoseWriteConnection()
			s.tcp().StopProducing()
		}, events{"c lost: done", "pump: true", "s lost: done", "pump: true", "pump: false"}},
		{"writes from ConnectionLost go nowhere", func(s, c *tracer) {
			c.onLost = func(p *tracer) { p.write("ghost") }
			s.onLost = func(p *tracer) { p.write("ghost") }
			s.Transport.LoseConnection()
		}, events{"c lost: done", "pump: true", "s lost: done", "pump: true", "pump: false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server, client := runCloseCase(t, tc.act, tc.want)
			if !server.tcp().Disconnected() || !client.tcp().Disconnected() {
				t.Error("a transport does not report its protocol was given ConnectionLost")
			}
		})
	}
}

// AbortConnection drops what is queued either way; the end that aborted
// hears ErrConnectionAborted and the other ErrConnectionLost.
func TestIOPump_Abort(t *testing.T) {
	cases := []struct {
		name string
		act  func(s, c *tracer)
		want events
	}{
		{"client aborts", func(s, c *tracer) {
			c.write("dropped")
			s.write("dropped too")
			c.tcp().AbortConnection()
		}, events{"s lost: lost", "pump: true", "c lost: aborted", "pump: true", "pump: false"}},
		{"server aborts after LoseConnection", func(s, c *tracer) {
			s.write("dropped")
			s.Transport.LoseConnection()
			s.tcp().AbortConnection()
		}, events{"c lost: lost", "pump: true", "s lost: aborted", "pump: true", "pump: false"}},
		{"server aborts from DataReceived", func(s, c *tracer) {
			s.onData = func(p *tracer, b []byte) {
				p.write("never sent")
				p.tcp().AbortConnection()
				c.write("never received")
			}
			c.write("request")
		}, events{`s got "request"`, "pump: true", "c lost: lost", "pump: true", "s lost: aborted", "pump: true", "pump: false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runCloseCase(t, tc.act, tc.want) })
	}
}

// DisconnectReason replaces the reason an end's protocol is given.
func TestIOPump_DisconnectReason(t *testing.T) {
	errGone := errors.New("gone")
	log := &events{}
	server := &tracer{name: "s", log: log}
	client := &tracer{name: "c", log: log}
	pump := connectPair(iosim.Options{}, server, client)
	*log = nil
	server.tcp().DisconnectReason = errGone
	client.Transport.LoseConnection()
	pump.Flush()
	checkEvents(t, events{"s lost: gone", "c lost: done"}, log)
}

// LoseWriteConnection half-closes once the bytes before it are delivered:
// the writer hears WriteConnectionLost, a half-closeable peer
// ReadConnectionLost and may still write; a peer that cannot half-close
// loses the connection, as over TCP.
func TestIOPump_HalfClose(t *testing.T) {
	cases := []struct {
		name         string
		serverCloses bool // the server half-closes; else it cannot
		act          func(s, c *tracer)
		want         events
	}{
		{"half-closeable peer replies and closes", true, func(s, c *tracer) {
			s.onReadLost = func(p *tracer) {
				p.write("response")
				p.Transport.LoseConnection()
			}
			c.write("request")
			c.tcp().LoseWriteConnection()
		}, events{
			`s got "request"`, "pump: true",
			"c write lost", "s read lost", "pump: true",
			`c got "response"`, "pump: true",
			"c lost: done", "pump: true",
			"s lost: done", "pump: true",
			"pump: false",
		}},
		{"peer that cannot half-close loses the connection", false, func(s, c *tracer) {
			c.write("request")
			c.tcp().LoseWriteConnection()
		}, events{
			`s got "request"`, "pump: true",
			"c write lost", "s lost: done", "pump: true",
			"c lost: done", "pump: true",
			"pump: false",
		}},
		{"writes are delivered until the half-close, dropped after", true, func(s, c *tracer) {
			c.write("a")
			c.tcp().LoseWriteConnection()
			c.write("b")
			s.onReadLost = func(p *tracer) {
				c.write("dropped")
				p.write("still open")
			}
		}, events{
			`s got "ab"`, "pump: true",
			"c write lost", "s read lost", "pump: true",
			`c got "still open"`, "pump: true",
			"pump: false",
		}},
		{"writer closes once its half-close is done", true, func(s, c *tracer) {
			c.onWriteLost = func(p *tracer) { p.Transport.LoseConnection() }
			c.tcp().LoseWriteConnection()
		}, events{
			"c write lost", "s read lost", "pump: true",
			"s lost: done", "pump: true",
			"c lost: done", "pump: true",
			"pump: false",
		}},
		{"a full close overtakes a pending half-close", true, func(s, c *tracer) {
			c.tcp().LoseWriteConnection()
			c.Transport.LoseConnection()
		}, events{"s lost: done", "pump: true", "c lost: done", "pump: true", "pump: false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := &events{}
			client := &halfTracer{tracer{name: "c", log: log}}
			var server protocol.Protocol
			var s *tracer
			if tc.serverCloses {
				hs := &halfTracer{tracer{name: "s", log: log}}
				server, s = hs, &hs.tracer
			} else {
				s = &tracer{name: "s", log: log}
				server = s
			}
			pump := connectPair(iosim.Options{}, server, client)
			*log = nil
			tc.act(s, &client.tracer)
			pumpAll(t, pump, log)
			checkEvents(t, tc.want, log)
		})
	}
}

// A paused end receives nothing, and a close waits behind the bytes held
// for it, until it resumes; an end that closes of its own accord stops
// waiting and the bytes held for it are dropped.
func TestIOPump_PauseHoldsBytesAndClose(t *testing.T) {
	t.Run("resumed", func(t *testing.T) {
		log := &events{}
		server := &tracer{name: "s", log: log}
		client := &tracer{name: "c", log: log}
		pump := connectPair(iosim.Options{}, server, client)
		*log = nil
		server.tcp().PauseProducing()
		client.write("one")
		client.Transport.LoseConnection()
		if pump.Flush() {
			t.Error("Flush moved something to a paused end")
		}
		checkEvents(t, nil, log)
		if got := string(client.tcp().Pending()); got != "one" {
			t.Errorf("client queue %q while the server is paused, want %q", got, "one")
		}
		server.tcp().ResumeProducing()
		pumpAll(t, pump, log)
		checkEvents(t, events{`s got "one"`, "pump: true", "s lost: done", "pump: true", "c lost: done", "pump: true", "pump: false"}, log)
	})
	t.Run("half-close waits too", func(t *testing.T) {
		log := &events{}
		server := &halfTracer{tracer{name: "s", log: log}}
		client := &halfTracer{tracer{name: "c", log: log}}
		pump := connectPair(iosim.Options{}, server, client)
		*log = nil
		server.tcp().PauseProducing()
		client.write("last words")
		client.tcp().LoseWriteConnection()
		if pump.Flush() {
			t.Error("Flush moved something to a paused end")
		}
		server.tcp().ResumeProducing()
		pumpAll(t, pump, log)
		checkEvents(t, events{`s got "last words"`, "pump: true", "c write lost", "s read lost", "pump: true", "pump: false"}, log)
	})
	t.Run("paused end closes", func(t *testing.T) {
		log := &events{}
		server := &tracer{name: "s", log: log}
		client := &tracer{name: "c", log: log}
		pump := connectPair(iosim.Options{}, server, client)
		*log = nil
		server.tcp().PauseProducing()
		client.write("never read")
		server.Transport.LoseConnection()
		pumpAll(t, pump, log)
		checkEvents(t, events{"c lost: done", "pump: true", "s lost: done", "pump: true", "pump: false"}, log)
	})
	t.Run("paused end with nothing held hears a close", func(t *testing.T) {
		log := &events{}
		server := &tracer{name: "s", log: log}
		client := &tracer{name: "c", log: log}
		pump := connectPair(iosim.Options{}, server, client)
		*log = nil
		server.tcp().PauseProducing()
		client.Transport.LoseConnection()
		pumpAll(t, pump, log)
		checkEvents(t, events{"s lost: done", "pump: true", "c lost: done", "pump: true", "pump: false"}, log)
	})
}

// runCloseCase connects two tracers, lets act close or abort, pumps until
// nothing moves and checks the events against want.
func runCloseCase(t *testing.T, act func(s, c *tracer), want events) (server, client *tracer) {
	t.Helper()
	log := &events{}
	server = &tracer{name: "s", log: log}
	client = &tracer{name: "c", log: log}
	pump := connectPair(iosim.Options{}, server, client)
	*log = nil
	act(server, client)
	pumpAll(t, pump, log)
	checkEvents(t, want, log)
	return server, client
}
