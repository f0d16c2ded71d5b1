package protocol_test

import (
	"bytes"
	"fmt"
	"net"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
)

// PortOwner receives what a ForwardingPort collected.
type PortOwner struct{ done func(buffer []byte) }

func (o *PortOwner) ForwardingPortDisconnected(buffer []byte) { o.done(buffer) }

// ConchLineEcho is Conch's test echo server: it echoes and closes after a newline.
type ConchLineEcho struct{ protocol.BaseProtocol }

func (e *ConchLineEcho) DataReceived(data []byte) {
	e.Transport.Write(data)
	if bytes.IndexByte(data, '\n') >= 0 {
		e.Transport.LoseConnection()
	}
}

// A ForwardingPort sends its data when connected and hands everything it
// received to its owner when the connection ends — here through braid's own
// port forwarder, as Conch's forwarding tests do through ssh -L.
func ExampleForwardingPort() {
	r, _ := braid.New()
	lineEchoes := protocol.FactoryFor(func() protocol.Protocol { return &ConchLineEcho{} })
	echo, err := r.ListenTCP(0, lineEchoes, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fwd, err := protocol.ListenForward(r, 0, "127.0.0.1", echo.GetHost().(*net.TCPAddr).Port, protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	owner := &PortOwner{done: func(buffer []byte) {
		fmt.Printf("collected %q\n", buffer)
		fwd.StopListening()
		echo.StopListening().AddCallback(func(any) (any, error) { return nil, r.Stop() })
	}}
	r.CallWhenRunning(func() {
		cc := protocol.NewClientCreator(r, func() protocol.Protocol {
			return protocol.NewForwardingPort(owner, []byte("test\n"))
		})
		cc.ConnectTCP("127.0.0.1", fwd.GetHost().(*net.TCPAddr).Port, protocol.ConnectTCPOptions{})
	})
	_ = r.Run()
	// Output: collected "test\n"
}

// recordingTransport is a hand-made Transport for a test: it keeps what is
// written.
type recordingTransport struct{ written []byte }

func (t *recordingTransport) Write(b []byte)            { t.written = append(t.written, b...) }
func (t *recordingTransport) WriteSequence(bs [][]byte) { t.Write(bytes.Join(bs, nil)) }
func (t *recordingTransport) LoseConnection()           {}
func (t *recordingTransport) GetHost() net.Addr         { return nil }
func (t *recordingTransport) GetPeer() net.Addr         { return nil }

// helloProtocol greets on connect: its ConnectionMade is reached through
// BaseProtocol's MakeConnection.
type helloProtocol struct{ protocol.BaseProtocol }

func (h *helloProtocol) ConnectionMade() { h.Transport.Write([]byte("hello")) }

// Driving a protocol by hand, as Twisted tests do with a fake transport:
// Bind tells the embedded base which value to call back, then the protocol
// is connected and fed directly.
func ExampleBind() {
	p := &helloProtocol{}
	t := &recordingTransport{}
	protocol.Bind(p)
	p.MakeConnection(t)
	fmt.Printf("wrote %q\n", t.written)
	// Output: wrote "hello"
}

// Ported code that passes Twisted's signal names translates them once.
func ExampleParseSignal() {
	sig, err := protocol.ParseSignal("TERM")
	fmt.Println(sig, err)
	_, err = protocol.ParseSignal("USR1")
	fmt.Println(err)
	// Output:
	// terminated <nil>
	// protocol: signal "USR1": unknown signal name (Twisted knows HUP, STOP, INT, KILL and TERM)
}
