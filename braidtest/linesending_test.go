package braidtest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/braidtest"
	"github.com/braid-go/braid/protocol"
)

func lines(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// LineSendingProtocol sends its lines when connected, or in answer to the
// first line it receives (once), records what it receives, and notes the
// end of the connection.
func TestLineSendingProtocol(t *testing.T) {
	cases := []struct {
		name                  string
		start                 bool
		sentAtConnect, sentAt string // what the transport holds after connecting, after the input
	}{
		{"start", true, "USER a\r\nPASS b\r\n", "USER a\r\nPASS b\r\n"},
		{"start=False", false, "", "USER a\r\nPASS b\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := braidtest.NewLineSendingProtocol(lines("USER a", "PASS b"), c.start)
			tr := &braidtest.StringTransportWithDisconnection{Protocol: p}
			protocol.Bind(p)
			p.MakeConnection(tr)
			if got := string(tr.Value()); got != c.sentAtConnect {
				t.Errorf("after connecting the transport holds %q, want %q", got, c.sentAtConnect)
			}
			p.DataReceived([]byte("+OK hello\r\n+OK user\r\n+OK pa"))
			if got := string(tr.Value()); got != c.sentAt {
				t.Errorf("after the answers the transport holds %q, want %q", got, c.sentAt)
			}
			if diff := cmp.Diff(lines("+OK hello", "+OK user"), p.Response); diff != "" {
				t.Errorf("Response (-want +got):\n%s", diff)
			}
			if p.Disconnected() {
				t.Error("LostConn before the connection ended")
			}
			tr.LoseConnection()
			if !p.LostConn {
				t.Error("LostConn still false after the connection ended")
			}
		})
	}
}

// The lines given to NewLineSendingProtocol are copied, as Twisted's
// lines[:] does.
func TestLineSendingProtocol_CopiesLines(t *testing.T) {
	in := lines("a")
	p := braidtest.NewLineSendingProtocol(in, true)
	in[0] = []byte("changed")
	tr := &braidtest.StringTransport{}
	protocol.Bind(p)
	p.MakeConnection(tr)
	if got := string(tr.Value()); got != "a\r\n" {
		t.Errorf("sent %q", got)
	}
}
