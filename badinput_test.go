package braid_test

import (
	"strings"
	"testing"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// Programming errors that would otherwise dereference nil somewhere deep
// panic at once with a message naming the argument, as the standard
// library does.
func TestBadInput_NilArgumentsNameThemselves(t *testing.T) {
	r, err := braid.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cases := []struct {
		name string
		call func()
		want string
	}{
		{"ConnectTCP nil factory", func() { r.ConnectTCP("127.0.0.1", 1, nil, protocol.ConnectTCPOptions{}) }, "nil factory"},
		{"ConnectUNIX nil factory", func() { r.ConnectUNIX("/tmp/x", nil, protocol.ConnectUNIXOptions{}) }, "nil factory"},
		{"NewClientCreator nil reactor", func() { protocol.NewClientCreator(nil, func() protocol.Protocol { return nil }) }, "nil reactor"},
		{"NewClientCreator nil newProto", func() { protocol.NewClientCreator(r, nil) }, "nil newProto"},
		{"DeferredList nil member", func() {
			reactor.DeferredList([]*reactor.Deferred{reactor.Succeed(1), nil}, reactor.DLOptions{})
		}, "member 1 of 2 is a nil *Deferred"},
		{"GatherResults nil member", func() {
			reactor.GatherResults([]*reactor.Deferred{nil}, reactor.GatherOptions{})
		}, "member 0 of 1 is a nil *Deferred"},
		{"AddTimeout nil Time", func() { reactor.NewDeferred(nil).AddTimeout(time.Second, nil, nil) }, "AddTimeout: nil Time"},
		{"DeferLater nil Time", func() { reactor.DeferLater(nil, time.Second, nil) }, "DeferLater: nil Time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				v := recover()
				msg, _ := v.(string)
				if !strings.Contains(msg, c.want) {
					t.Errorf("panic %v; want a message containing %q", v, c.want)
				}
			}()
			c.call()
		})
	}
}

// Bad arguments to the listening calls come back as errors, never panics.
func TestBadInput_ListenErrors(t *testing.T) {
	r, err := braid.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"ListenUNIX nil factory", func() error {
			_, err := r.ListenUNIX(t.TempDir()+"/s", nil, protocol.ListenUNIXOptions{})
			return err
		}, "nil factory"},
		{"ListenUNIX empty address", func() error {
			_, err := r.ListenUNIX("", protocol.FactoryFor(nil), protocol.ListenUNIXOptions{})
			return err
		}, "empty address"},
		{"ListenUDP nil protocol", func() error {
			_, err := r.ListenUDP(0, nil, protocol.ListenUDPOptions{})
			return err
		}, "nil protocol"},
		{"ListenUDP bad interface", func() error {
			_, err := r.ListenUDP(0, &protocol.BaseDatagramProtocol{}, protocol.ListenUDPOptions{Interface: "eth0"})
			return err
		}, "not an IPv4 or IPv6 address"},
		{"ListenMulticast port out of range", func() error {
			_, err := r.ListenMulticast(-1, &protocol.BaseDatagramProtocol{}, protocol.ListenMulticastOptions{})
			return err
		}, "out of range"},
	}
	for _, c := range cases {
		if err := c.call(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error containing %q", c.name, err, c.want)
		}
	}
}
