package braid_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// An echo server on a UNIX socket with a lock file, and a client connected
// to it with ClientCreator.ConnectUNIX; the server sees who connected.
func ExampleReactor_ListenUNIX() {
	dir, _ := os.MkdirTemp("", "braid-example")
	defer os.RemoveAll(dir)
	socket := filepath.Join(dir, "echo.sock")

	r, _ := braid.New()
	echoes := protocol.FactoryFor(func() protocol.Protocol { return &credEcho{} })
	port, err := r.ListenUNIX(socket, echoes, protocol.ListenUNIXOptions{Mode: 0o600, WantPID: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = os.Lstat(socket + ".lock")
	fmt.Println("lock file held:", err == nil)
	greeter := &TCPGreeter{done: func(reply []byte) {
		fmt.Printf("reply: %q\n", reply)
		port.StopListening().AddCallback(func(any) (any, error) { return nil, r.Stop() })
	}}
	r.CallWhenRunning(func() {
		cc := protocol.NewClientCreator(r, func() protocol.Protocol { return greeter })
		cc.ConnectUNIX(socket, protocol.ConnectUNIXOptions{CheckPID: true}).AddErrback(func(f *reactor.Failure) (any, error) {
			fmt.Println("connect failed:", f)
			return nil, r.Stop()
		})
	})
	_ = r.Run()
	_, err = os.Lstat(socket)
	fmt.Println("socket file removed:", os.IsNotExist(err))
	// Output:
	// lock file held: true
	// peer is this process: true
	// reply: "hello, braid\n"
	// socket file removed: true
}

// credEcho echoes, and says whether the peer is this process.
type credEcho struct{ TCPEcho }

func (e *credEcho) ConnectionMade() {
	cred, err := e.Transport.(protocol.UNIXTransport).PeerCredentials()
	fmt.Println("peer is this process:", err == nil && cred.UID == uint32(os.Getuid()))
}

// UDPEcho sends each datagram back to where it came from.
type UDPEcho struct{ protocol.BaseDatagramProtocol }

func (e *UDPEcho) DatagramReceived(data []byte, from net.Addr) {
	_ = e.Transport.WriteTo(data, from)
}

// UDPAsker connects its port to the server, sends one datagram and reports
// the answer.
type UDPAsker struct {
	protocol.BaseDatagramProtocol
	server *net.UDPAddr
	done   func([]byte)
}

func (a *UDPAsker) StartProtocol() {
	_ = a.Transport.Connect(a.server.IP.String(), a.server.Port)
	_ = a.Transport.Write([]byte("ping"))
}

func (a *UDPAsker) DatagramReceived(data []byte, from net.Addr) { a.done(data) }

// A UDP echo server on ::1 and a connected client port.
func ExampleReactor_ListenUDP() {
	r, _ := braid.New()
	server, err := r.ListenUDP(0, &UDPEcho{}, protocol.ListenUDPOptions{Interface: "::1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var client protocol.UDPTransport
	asker := &UDPAsker{server: server.GetHost().(*net.UDPAddr), done: func(reply []byte) {
		fmt.Printf("reply: %q\n", reply)
		client.StopListening()
		server.StopListening().AddCallback(func(any) (any, error) { return nil, r.Stop() })
	}}
	r.CallWhenRunning(func() {
		client, err = r.ListenUDP(0, asker, protocol.ListenUDPOptions{Interface: "::1"})
		if err != nil {
			fmt.Println(err)
			_ = r.Stop()
		}
	})
	_ = r.Run()
	// Output:
	// reply: "ping"
}

// A multicast port: options set, a group joined on the loopback interface
// and left again.
func ExampleReactor_ListenMulticast() {
	r, _ := braid.New()
	defer r.Close()
	port, err := r.ListenMulticast(0, &UDPEcho{}, protocol.ListenMulticastOptions{ListenMultiple: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = port.SetTTL(2)
	_ = port.SetLoopbackMode(false)
	port.SetOutgoingInterface("127.0.0.1")
	ttl, _ := port.GetTTL()
	loop, _ := port.GetLoopbackMode()
	iface, _ := port.GetOutgoingInterface()
	fmt.Println("ttl:", ttl, "loopback:", loop, "interface:", iface)
	port.JoinGroup("225.0.0.250", "127.0.0.1").AddCallback(func(any) (any, error) {
		fmt.Println("joined")
		return port.LeaveGroup("225.0.0.250", "127.0.0.1"), nil
	}).AddCallback(func(any) (any, error) {
		fmt.Println("left")
		return nil, nil
	})
	port.StopListening()
	// Output:
	// ttl: 2 loopback: false interface: 127.0.0.1
	// joined
	// left
}

// fdSender passes a descriptor, with the byte that carries it.
type fdSender struct {
	protocol.BaseProtocol
	file *os.File
}

func (s *fdSender) ConnectionMade() {
	ut := s.Transport.(protocol.UNIXTransport)
	if err := ut.SendFileDescriptor(int(s.file.Fd())); err != nil {
		fmt.Println(err)
	}
	ut.Write([]byte("!"))
	ut.LoseConnection()
}

// fdReceiver gets descriptors (protocol.FileDescriptorReceiver) before the
// bytes they came with.
type fdReceiver struct {
	protocol.BaseProtocol
	done func()
}

func (p *fdReceiver) FileDescriptorReceived(fd int) {
	f := os.NewFile(uintptr(fd), "received")
	defer f.Close()
	b, _ := io.ReadAll(f)
	fmt.Printf("descriptor: a file holding %q\n", b)
}

func (p *fdReceiver) DataReceived(data []byte) { fmt.Printf("data: %q\n", data) }

func (p *fdReceiver) ConnectionLost(*reactor.Failure) { p.done() }

// ConnectUNIX with a connector of one's own, and a descriptor passed from
// the server to the client (Twisted's sendFileDescriptor and
// fileDescriptorReceived).
func ExampleReactor_ConnectUNIX() {
	dir, _ := os.MkdirTemp("", "braid-example")
	defer os.RemoveAll(dir)
	socket := filepath.Join(dir, "fd.sock")
	passed := filepath.Join(dir, "passed")
	_ = os.WriteFile(passed, []byte("a secret"), 0o600)
	file, _ := os.Open(passed)
	defer file.Close()

	r, _ := braid.New()
	port, err := r.ListenUNIX(socket, protocol.FactoryFor(func() protocol.Protocol { return &fdSender{file: file} }), protocol.ListenUNIXOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	client := protocol.ClientFactoryFor(func() protocol.Protocol {
		return &fdReceiver{done: func() {
			port.StopListening().AddCallback(func(any) (any, error) { return nil, r.Stop() })
		}}
	})
	r.CallWhenRunning(func() {
		c := r.ConnectUNIX(socket, client, protocol.ConnectUNIXOptions{Timeout: 5 * time.Second})
		fmt.Println("connecting to", filepath.Base(c.GetDestination().String()))
	})
	_ = r.Run()
	// Output:
	// connecting to fd.sock
	// descriptor: a file holding "a secret"
	// data: "!"
}
