package braid_test

import (
	"bytes"
	"fmt"
	"net"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// TCPEcho writes back whatever it receives: the classic Twisted echo server.
type TCPEcho struct{ protocol.BaseProtocol }

func (e *TCPEcho) DataReceived(data []byte) { e.Transport.Write(data) }

// TCPGreeter sends a line once connected, closes when the line comes back, and
// reports the reply when the connection has ended.
type TCPGreeter struct {
	protocol.BaseProtocol
	reply []byte
	done  func(reply []byte)
}

func (g *TCPGreeter) ConnectionMade() { g.Transport.Write([]byte("hello, braid\n")) }

func (g *TCPGreeter) DataReceived(data []byte) {
	g.reply = append(g.reply, data...)
	if bytes.HasSuffix(g.reply, []byte("\n")) {
		g.Transport.LoseConnection()
	}
}

func (g *TCPGreeter) ConnectionLost(reason *reactor.Failure) { g.done(g.reply) }

// An echo server on a free loopback port, and a client connected to it with
// ClientCreator, whose Deferred fires with the connected protocol.
func ExampleReactor_ListenTCP() {
	r, _ := braid.New()
	echoes := protocol.FactoryFor(func() protocol.Protocol { return &TCPEcho{} })
	port, err := r.ListenTCP(0, echoes, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	greeter := &TCPGreeter{done: func(reply []byte) {
		fmt.Printf("reply: %q\n", reply)
		port.StopListening().AddCallback(func(any) (any, error) { return nil, r.Stop() })
	}}
	r.CallWhenRunning(func() {
		cc := protocol.NewClientCreator(r, func() protocol.Protocol { return greeter })
		d := cc.ConnectTCP("127.0.0.1", port.GetHost().(*net.TCPAddr).Port, protocol.ConnectTCPOptions{})
		d.AddCallbacks(func(p any) (any, error) {
			fmt.Println("connected:", p == protocol.Protocol(greeter))
			return nil, nil
		}, func(f *reactor.Failure) (any, error) {
			fmt.Println("connect failed:", f)
			return nil, r.Stop()
		})
	})
	_ = r.Run()
	// Output:
	// connected: true
	// reply: "hello, braid\n"
}
