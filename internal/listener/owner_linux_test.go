package listener

import (
	"net"
	"os"
	"testing"
)

// A listener of this process is found, and is ours when the child named is
// this process, another's when it is not.
func TestOwner_FindsThisProcessListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	for _, tc := range []struct {
		name  string
		child int
		ours  bool
	}{
		{"child is this process", os.Getpid(), true},
		{"child is init, outside our tree", 1, false},
	} {
		owner, ours, found, err := Owner(port, 0, tc.child)
		if err != nil || !found || owner != os.Getpid() || ours != tc.ours {
			t.Errorf("%s: Owner = (%d, ours=%v, found=%v, %v), want (%d, ours=%v, found=true, nil)",
				tc.name, owner, ours, found, err, os.Getpid(), tc.ours)
		}
	}
}

// A port nobody listens on has no owner, and that is not an error.
func TestOwner_NobodyListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if owner, ours, found, err := Owner(port, 0, os.Getpid()); err != nil || found || ours || owner != 0 {
		t.Errorf("Owner of a closed port = (%d, %v, %v, %v), want nothing found", owner, ours, found, err)
	}
}
