//go:build unix

package trial_test

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/braid-go/braid/reactor"
)

func closeFD(fd int) error { return syscall.Close(fd) }

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/dev/fd") // Linux, macOS and the BSDs
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// pipeReader is a bare ReadDescriptor on one end of an os pipe, standing
// for any descriptor a test might leave registered.
type pipeReader struct {
	fd, peer int // the read end, watched; the write end, kept open
	closed   bool
}

func (p *pipeReader) Fileno() int    { return p.fd }
func (p *pipeReader) DoRead() error  { return nil }
func (p *pipeReader) String() string { return fmt.Sprintf("<test pipe fd=%d>", p.fd) }
func (p *pipeReader) ConnectionLost(*reactor.Failure) {
	if !p.closed {
		p.closed = true
		_ = closeFD(p.fd)
		_ = closeFD(p.peer)
		p.fd = -1
	}
}
