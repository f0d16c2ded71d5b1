//go:build unix

package tcp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/internal/twistedtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// TestUNIXLockingAgainstTwisted runs the lock-file scenario of
// testdata/twisted_unix.py on Twisted and on braid, each in a directory of
// its own, and compares the traces: which listens and connects succeed,
// and what is left on disk (the socket file, the lock and whose pid it
// names) after each step.
func TestUNIXLockingAgainstTwisted(t *testing.T) {
	twistedtest.Require(t, "twisted.internet.reactor")
	dead := deadPID(t)
	var twisted []string
	twistedtest.Run(t, "testdata/twisted_unix.py", map[string]any{"dir": t.TempDir(), "dead": dead}, &twisted, 30*time.Second)
	if diff := cmp.Diff(twisted, runUNIXLockingOnBraid(t, t.TempDir(), dead)); diff != "" {
		t.Errorf("(-twisted +braid):\n%s", diff)
	}
}

func runUNIXLockingOnBraid(t *testing.T, dir string, dead int) []string {
	r := tcpReactor(t)
	path := filepath.Join(dir, "sock")
	lock := path + ".lock"
	var trace []string
	state := func(what string) {
		lk := "none"
		if target, err := os.Readlink(lock); err == nil {
			lk = "pid other"
			if target == strconv.Itoa(os.Getpid()) {
				lk = "pid ours"
			}
		}
		f := "none"
		if fi, err := os.Lstat(path); err == nil {
			f = "file"
			if fi.Mode().Type() == fs.ModeSocket {
				f = "socket"
			}
		}
		trace = append(trace, fmt.Sprintf("%s: file %s, lock %s", what, f, lk))
	}
	listen := func(what string, wantPID bool) *Port {
		p, err := ListenUNIX(r, path, protocol.FactoryFor(nil), protocol.ListenUNIXOptions{WantPID: wantPID})
		if err != nil {
			if _, ok := errors.AsType[*protocol.CannotListenError](err); ok {
				trace = append(trace, what+": CannotListenError")
			} else {
				trace = append(trace, what+": "+err.Error())
			}
			return nil
		}
		trace = append(trace, what+": listening")
		return p
	}
	connect := func(what string, checkPID bool, next func()) {
		cc := protocol.NewClientCreator(unixReactor{tcpReactorTCP{r}}, func() protocol.Protocol { return &protocol.BaseProtocol{} })
		cc.ConnectUNIX(path, protocol.ConnectUNIXOptions{CheckPID: checkPID}).AddCallbacks(func(p any) (any, error) {
			trace = append(trace, what+": connected")
			p.(protocol.Protocol).(*protocol.BaseProtocol).Transport.LoseConnection()
			next()
			return nil, nil
		}, func(f *reactor.Failure) (any, error) {
			name := f.ErrorMessage()
			if _, ok := errors.AsType[*protocol.BadFileError](f); ok {
				name = "BadFileError"
			}
			trace = append(trace, what+": "+name)
			next()
			return nil, nil
		})
	}
	leaveStale := func() {
		if err := os.Symlink(strconv.Itoa(dead), lock); err != nil {
			t.Fatal(err)
		}
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
			t.Fatal(err)
		}
		syscall.Close(fd)
	}
	islink := func() bool { _, err := os.Readlink(lock); return err == nil }
	stopThen := func(p *Port, next func()) {
		p.StopListening().AddCallback(func(any) (any, error) { next(); return nil, nil })
	}

	testkit.RunUntil(t, r, 20*time.Second, func(stop func()) {
		p := listen("listen with wantPID", true)
		state("while listening")
		listen("second listen with wantPID", true)
		listen("second listen without wantPID", false)
		connect("connect with checkPID", true, func() {
			stopThen(p, func() {
				state("after stopListening")
				leaveStale()
				state("left by a dead process")
				connect("connect with checkPID to the dead process's socket", true, func() {
					state("after that connect")
					_ = os.Remove(path)
					if !islink() {
						leaveStale()
					}
					p := listen("listen with wantPID over a stale lock and socket", true)
					state("while listening")
					stopThen(p, func() {
						if islink() {
							_ = os.Remove(lock)
						}
						leaveStale()
						listen("listen without wantPID over a stale socket", false)
						state("after that listen")
						_ = os.Remove(path)
						connect("connect with checkPID and no lock", true, stop)
					})
				})
			})
		})
	})
	return trace
}
