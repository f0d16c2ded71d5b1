//go:build unix

package tcp

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// fdRecorder is a tcpRecorder that also receives descriptors, noting each
// in its events.
type fdRecorder struct {
	tcpRecorder
	fds []int
}

func (p *fdRecorder) FileDescriptorReceived(fd int) {
	p.fds = append(p.fds, fd)
	p.events = append(p.events, "fd")
}

// untilData cuts events after the first "data" (the reactor's shutdown
// then ends the connection).
func untilData(events []string) []string {
	for i, e := range events {
		if e == "data" {
			return events[:i+1]
		}
	}
	return events
}

// sameFile reports whether two descriptors are the same open file.
func sameFile(t *testing.T, a, b int) bool {
	t.Helper()
	var sa, sb unix.Stat_t
	if err := unix.Fstat(a, &sa); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(b, &sb); err != nil {
		t.Fatal(err)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// runFDServer listens on a fresh path with server as the protocol and
// calls client with the path once listening; stop ends the run.
func runFDServer(t *testing.T, r *reactor.Reactor, server protocol.Protocol, client func(path string, stop func())) {
	t.Helper()
	path := unixPath(t)
	testkit.RunUntil(t, r, 10*time.Second, func(stop func()) {
		p, err := ListenUNIX(r, path, protocol.FactoryFor(func() protocol.Protocol { return server }), protocol.ListenUNIXOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.ConnectionLost(nil) })
		client(path, stop)
	})
}

// rawClient connects a blocking socket to path, for sending by hand.
func rawClient(t *testing.T, path string) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	return fd
}

// Ports test_sendFileDescriptor and test_descriptorDeliveredBeforeBytes:
// a descriptor sent with SendFileDescriptor arrives as the same open file,
// before the bytes it came with.
func TestUNIX_SendFileDescriptor(t *testing.T) {
	r := tcpReactor(t)
	f, err := os.CreateTemp(t.TempDir(), "passed")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sender := &tcpRecorder{onMade: func(p *tcpRecorder) {
		if err := p.Transport.(protocol.UNIXTransport).SendFileDescriptor(int(f.Fd())); err != nil {
			t.Error(err)
		}
		p.Transport.Write([]byte("x"))
	}}
	receiver := &fdRecorder{}
	runFDServer(t, r, sender, func(path string, stop func()) {
		receiver.onData = func(*tcpRecorder, []byte) { stop() }
		cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return receiver })
		cc.ConnectUNIX(path, protocol.ConnectUNIXOptions{})
	})
	if diff := cmp.Diff([]string{"made", "fd", "data"}, untilData(receiver.events)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(receiver.fds) != 1 || !sameFile(t, receiver.fds[0], int(f.Fd())) {
		t.Fatalf("received %v, not the file sent", receiver.fds)
	}
	unix.Close(receiver.fds[0])
}

// Ports test_fileDescriptorOverrun: a descriptor with no byte to carry it
// ends the connection with ErrFileDescriptorOverrun.
func TestUNIX_FileDescriptorOverrun(t *testing.T) {
	r := tcpReactor(t)
	var reason *reactor.Failure
	sender := &tcpRecorder{}
	sender.onMade = func(p *tcpRecorder) {
		_ = p.Transport.(protocol.UNIXTransport).SendFileDescriptor(0)
	}
	runFDServer(t, r, sender, func(path string, stop func()) {
		sender.onLost = func(p *tcpRecorder) { reason = p.reason; stop() }
		rawClient(t, path)
	})
	if !errors.Is(reason, protocol.ErrFileDescriptorOverrun) {
		t.Errorf("ConnectionLost(%v), want ErrFileDescriptorOverrun", reason)
	}
}

// Ports test_sendFileDescriptorTriggersPauseProducing: more descriptors
// queued than the limit pause a streaming producer.
func TestUNIX_QueuedDescriptorsPauseProducer(t *testing.T) {
	r := tcpReactor(t)
	prod := &pauseCounter{}
	sender := &tcpRecorder{}
	sender.onMade = func(p *tcpRecorder) {
		ut := p.Transport.(protocol.UNIXTransport)
		if err := ut.RegisterProducer(prod, true); err != nil {
			t.Fatal(err)
		}
		for range maxQueuedFDs {
			_ = ut.SendFileDescriptor(0)
		}
		if prod.paused != 0 {
			t.Errorf("paused at %d descriptors", maxQueuedFDs)
		}
		_ = ut.SendFileDescriptor(0)
		if prod.paused != 1 {
			t.Errorf("not paused at %d descriptors", maxQueuedFDs+1)
		}
		ut.UnregisterProducer()
		ut.AbortConnection()
	}
	runFDServer(t, r, sender, func(path string, stop func()) {
		sender.onLost = func(*tcpRecorder) { stop() }
		rawClient(t, path)
	})
}

type pauseCounter struct{ paused int }

func (p *pauseCounter) PauseProducing()  { p.paused++ }
func (p *pauseCounter) ResumeProducing() {}
func (p *pauseCounter) StopProducing()   {}

// Ports test_multiFileDescriptorReceivedPerRecvmsgOneCMSG and …TwoCMSGs:
// several descriptors in one message, in one or two control messages,
// each reach FileDescriptorReceived, in order, before the bytes.
func TestUNIX_SeveralDescriptorsInOneMessage(t *testing.T) {
	for _, c := range []struct {
		name string
		oob  func(a, b int) []byte
	}{
		{"one control message", func(a, b int) []byte { return unix.UnixRights(a, b) }},
		{"two control messages", func(a, b int) []byte { return append(unix.UnixRights(a), unix.UnixRights(b)...) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := tcpReactor(t)
			var pipe [2]int
			if err := unix.Pipe(pipe[:]); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(pipe[0])
			defer unix.Close(pipe[1])
			receiver := &fdRecorder{}
			runFDServer(t, r, receiver, func(path string, stop func()) {
				receiver.onData = func(*tcpRecorder, []byte) { stop() }
				fd := rawClient(t, path)
				if err := unix.Sendmsg(fd, []byte("x"), c.oob(pipe[0], pipe[1]), nil, 0); err != nil {
					t.Fatal(err)
				}
			})
			if diff := cmp.Diff([]string{"made", "fd", "fd", "data"}, untilData(receiver.events)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for i, fd := range receiver.fds {
				if !sameFile(t, fd, pipe[i]) {
					t.Errorf("descriptor %d is not pipe end %d", fd, i)
				}
				unix.Close(fd)
			}
		})
	}
}

// Ports test_avoidLeakingFileDescriptors: a protocol that takes no
// descriptors has them closed for it.
func TestUNIX_UnwantedDescriptorsAreClosed(t *testing.T) {
	logs := reactor.NewLogCapture()
	r, err := reactor.New(logs.Option())
	if err != nil {
		t.Fatal(err)
	}
	var pipe [2]int
	if err := unix.Pipe(pipe[:]); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer unix.Close(pipe[0])
	receiver := &tcpRecorder{}
	runFDServer(t, r, receiver, func(path string, stop func()) {
		receiver.onData = func(*tcpRecorder, []byte) { stop() }
		fd := rawClient(t, path)
		if err := unix.Sendmsg(fd, []byte("x"), unix.UnixRights(pipe[1]), nil, 0); err != nil {
			t.Fatal(err)
		}
		unix.Close(pipe[1]) // ours; only the received copy is left
	})
	if texts := logs.Texts(); len(texts) != 1 || !tcpContains(texts[0], "closing the descriptors") {
		t.Errorf("logged %q, want one line saying the descriptor was closed", texts)
	}
	// With every write end closed, the read end sees EOF at once.
	if err := unix.SetNonblock(pipe[0], true); err != nil {
		t.Fatal(err)
	}
	n, err := unix.Read(pipe[0], make([]byte, 1))
	if n != 0 || err != nil {
		t.Errorf("read from the pipe = %d, %v; want EOF: the received descriptor was kept open", n, err)
	}
}
