package protocol_test

import (
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// fakeTransport is the smallest protocol.Transport, for driving a protocol
// by hand.
type fakeTransport struct{ written []byte }

func (f *fakeTransport) Write(b []byte) { f.written = append(f.written, b...) }
func (f *fakeTransport) WriteSequence(bs [][]byte) {
	f.Write(nil)
	f.written = append(f.written, join(bs)...)
}
func (f *fakeTransport) LoseConnection()   {}
func (f *fakeTransport) GetHost() net.Addr { return nil }
func (f *fakeTransport) GetPeer() net.Addr { return nil }

func join(bs [][]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// fakeProcessTransport is the smallest protocol.ProcessTransport.
type fakeProcessTransport struct{ events []string }

func (f *fakeProcessTransport) Pid() int                           { return 42 }
func (f *fakeProcessTransport) Write(b []byte)                     { f.events = append(f.events, "write "+string(b)) }
func (f *fakeProcessTransport) WriteSequence(bs [][]byte)          { f.Write(join(bs)) }
func (f *fakeProcessTransport) WriteToChild(int, []byte) error     { return nil }
func (f *fakeProcessTransport) CloseChildFD(fd int)                {}
func (f *fakeProcessTransport) CloseStdin()                        { f.events = append(f.events, "closeStdin") }
func (f *fakeProcessTransport) CloseStdout()                       {}
func (f *fakeProcessTransport) CloseStderr()                       {}
func (f *fakeProcessTransport) LoseConnection()                    {}
func (f *fakeProcessTransport) SignalProcess(syscall.Signal) error { return nil }
func (f *fakeProcessTransport) PauseProducing()                    {}
func (f *fakeProcessTransport) ResumeProducing()                   {}

// handProto is a user protocol on BaseProtocol, driven by hand in a test.
type handProto struct {
	protocol.BaseProtocol
	events []string
}

func (p *handProto) ConnectionMade() {
	p.events = append(p.events, "made")
	p.Transport.Write([]byte("hi"))
}
func (p *handProto) DataReceived(b []byte) { p.events = append(p.events, "data "+string(b)) }

// handProcess is a user process protocol on BaseProcessProtocol, with the
// per-descriptor conveniences Twisted's ProcessProtocol dispatches to.
type handProcess struct {
	protocol.BaseProcessProtocol
	events []string
}

func (p *handProcess) ConnectionMade()               { p.events = append(p.events, "made") }
func (p *handProcess) OutReceived(b []byte)          { p.events = append(p.events, "out "+string(b)) }
func (p *handProcess) ErrReceived(b []byte)          { p.events = append(p.events, "err "+string(b)) }
func (p *handProcess) InConnectionLost()             { p.events = append(p.events, "inLost") }
func (p *handProcess) OutConnectionLost()            { p.events = append(p.events, "outLost") }
func (p *handProcess) ErrConnectionLost()            { p.events = append(p.events, "errLost") }
func (p *handProcess) ProcessEnded(*reactor.Failure) { p.events = append(p.events, "ended") }

// A protocol driven by hand with a fake transport reaches its own methods
// through the base's defaults once bound, as a Twisted subclass does.
func TestBind_HandDrivenProtocolsReachTheirOverrides(t *testing.T) {
	t.Run("BaseProtocol", func(t *testing.T) {
		p := &handProto{}
		ft := &fakeTransport{}
		protocol.Bind(p)
		p.MakeConnection(ft)
		p.DataReceived([]byte("x"))
		if diff := cmp.Diff([]string{"made", "data x"}, p.events); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if !p.Connected || p.Transport != ft || string(ft.written) != "hi" {
			t.Errorf("Connected %v, Transport %v, written %q", p.Connected, p.Transport, ft.written)
		}
	})
	t.Run("BaseProcessProtocol", func(t *testing.T) {
		p := &handProcess{}
		ft := &fakeProcessTransport{}
		protocol.Bind(p)
		p.MakeConnection(ft)
		p.ChildDataReceived(1, []byte("o"))
		p.ChildDataReceived(2, []byte("e"))
		p.ChildDataReceived(3, []byte("dropped"))
		for fd := range 4 {
			p.ChildConnectionLost(fd)
		}
		p.ProcessEnded(nil)
		want := []string{"made", "out o", "err e", "inLost", "outLost", "errLost", "ended"}
		if diff := cmp.Diff(want, p.events); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if p.Transport != ft || !p.Connected {
			t.Errorf("Transport %v, Connected %v", p.Transport, p.Connected)
		}
	})
	t.Run("optional methods may be missing", func(t *testing.T) {
		p := &struct{ protocol.BaseProcessProtocol }{}
		protocol.Bind(p)
		p.MakeConnection(&fakeProcessTransport{})
		p.ChildDataReceived(1, []byte("nobody listens"))
		p.ChildConnectionLost(0)
	})
}

// An embedding type whose base was never bound would silently skip its
// overrides; the base panics instead, naming the fix.
func TestBind_UnboundBasePanicsNamingTheFix(t *testing.T) {
	cases := []struct {
		name string
		call func()
	}{
		{"BaseProtocol.MakeConnection", func() { (&handProto{}).MakeConnection(&fakeTransport{}) }},
		{"BaseProcessProtocol.MakeConnection", func() { (&handProcess{}).MakeConnection(&fakeProcessTransport{}) }},
		{"BaseProcessProtocol.ChildDataReceived", func() { (&handProcess{}).ChildDataReceived(1, nil) }},
		{"BaseProcessProtocol.ChildConnectionLost", func() { (&handProcess{}).ChildConnectionLost(1) }},
		{"BaseFactory.DoStart", func() { (&struct{ protocol.BaseFactory }{}).DoStart() }},
		{"BaseFactory.BuildProtocol", func() { (&struct{ protocol.BaseFactory }{}).BuildProtocol(nil) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				v := recover()
				msg, _ := v.(string)
				if !strings.Contains(msg, c.name) || !strings.Contains(msg, "protocol.Bind") {
					t.Errorf("panic %v; want one naming %s and protocol.Bind", v, c.name)
				}
			}()
			c.call()
		})
	}
}

// startCounter is a user factory on BaseFactory with Twisted's hooks.
type startCounter struct {
	protocol.BaseFactory
	events []string
}

func (f *startCounter) StartFactory() { f.events = append(f.events, "start") }
func (f *startCounter) StopFactory()  { f.events = append(f.events, "stop") }

// T-03: a bound BaseFactory reaches the embedding type's StartFactory and
// StopFactory, and BuildProtocol sets the protocol's Factory to the
// embedding value.
func TestBind_FactoryHooksAndBuildProtocol_T03(t *testing.T) {
	f := &startCounter{}
	f.Protocol = func() protocol.Protocol { return &handProto{} }
	protocol.Bind(f)
	f.DoStart()
	f.DoStart()
	p := f.BuildProtocol(nil).(*handProto)
	f.DoStop()
	f.DoStop()
	f.DoStop() // extra: ignored
	if diff := cmp.Diff([]string{"start", "stop"}, f.events); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
	if p.Factory != protocol.Factory(f) {
		t.Errorf("protocol's Factory = %v, want the embedding factory", p.Factory)
	}
	// FactoryFor is bound already.
	g := protocol.FactoryFor(func() protocol.Protocol { return &handProto{} })
	if q := g.BuildProtocol(nil).(*handProto); q.Factory != protocol.Factory(g) {
		t.Errorf("FactoryFor's protocol has Factory %v", q.Factory)
	}
}

// lineReceiver is a base of the user's own, built on BaseProtocol: it
// splits data into lines and hands each to the embedding type's
// LineReceived, which it finds through BaseProtocol.Outer.
type lineReceiver struct {
	protocol.BaseProtocol
	buf []byte
}

func (l *lineReceiver) DataReceived(b []byte) {
	l.buf = append(l.buf, b...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			return
		}
		line := l.buf[:i]
		l.buf = l.buf[i+1:]
		if h, ok := l.Outer().(interface{ LineReceived([]byte) }); ok {
			h.LineReceived(line)
		}
	}
}

type greeter struct {
	lineReceiver
	lines []string
}

func (g *greeter) ConnectionMade()          { g.lines = append(g.lines, "(made)") }
func (g *greeter) LineReceived(line []byte) { g.lines = append(g.lines, string(line)) }

// A user's own base reaches the methods of the type embedding it through
// the one binding BaseProtocol holds.
func TestBind_UsersOwnBaseReachesItsEmbedder(t *testing.T) {
	g := &greeter{}
	protocol.Bind(g)
	g.MakeConnection(&fakeTransport{})
	g.DataReceived([]byte("hello\nwor"))
	g.DataReceived([]byte("ld\n"))
	if diff := cmp.Diff([]string{"(made)", "hello", "world"}, g.lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}
