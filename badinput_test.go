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
