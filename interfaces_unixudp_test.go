package braid_test

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// statsReactor is what startStats needs: UDP and UNIX sockets.
type statsReactor interface {
	protocol.ReactorUDP
	protocol.ReactorUNIX
}

// statsCounter is user code written against the interfaces alone: it
// counts the datagrams it gets on a UDP port and answers each with the
// count so far; a UNIX-socket client asking anything gets the total.
type statsCounter struct {
	protocol.BaseDatagramProtocol
	count int
}

func (s *statsCounter) DatagramReceived(data []byte, addr net.Addr) {
	s.count++
	_ = s.Transport.WriteTo([]byte{byte('0' + s.count)}, addr)
}

type totalReporter struct {
	protocol.BaseProtocol
	stats *statsCounter
}

func (t *totalReporter) DataReceived([]byte) {
	t.Transport.Write([]byte{byte('0' + t.stats.count)})
	t.Transport.LoseConnection()
}

func startStats(r statsReactor, socket string) (*statsCounter, protocol.UDPTransport, protocol.ListeningPort, error) {
	s := &statsCounter{}
	udp, err := r.ListenUDP(0, s, protocol.ListenUDPOptions{Interface: "127.0.0.1"})
	if err != nil {
		return nil, nil, nil, err
	}
	unix, err := r.ListenUNIX(socket, protocol.FactoryFor(func() protocol.Protocol { return &totalReporter{stats: s} }), protocol.ListenUNIXOptions{})
	if err != nil {
		udp.StopListening()
		return nil, nil, nil, err
	}
	return s, udp, unix, nil
}

// asker connects, asks, and reports the answer.
type asker struct {
	protocol.BaseProtocol
	got  []byte
	done func([]byte)
}

func (a *asker) ConnectionMade()                 { a.Transport.Write([]byte("?")) }
func (a *asker) DataReceived(b []byte)           { a.got = append(a.got, b...) }
func (a *asker) ConnectionLost(*reactor.Failure) { a.done(a.got) }

func TestInterfaces_UNIXAndUDPRealAndFake(t *testing.T) {
	t.Run("real reactor", func(t *testing.T) {
		r, err := braid.New()
		if err != nil {
			t.Fatal(err)
		}
		socket := filepath.Join(t.TempDir(), "stats.sock")
		var replies []string
		var total string
		r.CallWhenRunning(func() {
			_, udp, unixPort, err := startStats(r, socket)
			if err != nil {
				t.Error(err)
				_ = r.Stop()
				return
			}
			client := &replyCollector{}
			cport, err := r.ListenUDP(0, client, protocol.ListenUDPOptions{Interface: "127.0.0.1"})
			if err != nil {
				t.Error(err)
				_ = r.Stop()
				return
			}
			client.onReply = func(b []byte) {
				replies = append(replies, string(b))
				if len(replies) < 2 {
					return
				}
				cc := protocol.NewClientCreator(r, func() protocol.Protocol {
					return &asker{done: func(b []byte) {
						total = string(b)
						cport.StopListening()
						udp.StopListening()
						unixPort.StopListening().AddBoth(func(any) (any, error) { return nil, r.Stop() })
					}}
				})
				cc.ConnectUNIX(socket, protocol.ConnectUNIXOptions{})
			}
			_ = cport.WriteTo([]byte("a"), udp.GetHost())
			_ = cport.WriteTo([]byte("b"), udp.GetHost())
		})
		guard := time.AfterFunc(10*time.Second, func() { r.CallFromThread(func() { _ = r.Stop() }) })
		defer guard.Stop()
		if err := r.Run(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"1", "2"}, replies); diff != "" || total != "2" {
			t.Errorf("replies (-want +got):\n%s; total %q", diff, total)
		}
	})

	t.Run("MemoryReactor", func(t *testing.T) {
		r := braidtest.NewMemoryReactor()
		stats, _, _, err := startStats(r, "/run/stats.sock")
		if err != nil {
			t.Fatal(err)
		}
		from := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 9}
		stats.DatagramReceived([]byte("a"), from)
		stats.DatagramReceived([]byte("b"), from)
		var written []string
		for _, d := range r.UDPPorts[0].Transport.Written {
			written = append(written, string(d.Data)+" to "+d.Addr.String())
		}
		tr := &braidtest.StringTransport{}
		r.UNIXServers[0].MakeConnection(tr).DataReceived([]byte("?"))
		want := []string{"1 to 192.0.2.1:9", "2 to 192.0.2.1:9"}
		if diff := cmp.Diff(want, written); diff != "" || string(tr.Value()) != "2" {
			t.Errorf("written (-want +got):\n%s; UNIX client got %q", diff, tr.Value())
		}
	})
}

type replyCollector struct {
	protocol.BaseDatagramProtocol
	onReply func([]byte)
}

func (c *replyCollector) DatagramReceived(data []byte, addr net.Addr) { c.onReply(data) }
