//go:build unix

package tcp

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/internal/testkit"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// The 10,000-connection test needs 10,000 descriptors for the accepted ends
// alone; the client ends live in a second process (this test binary run
// again, see init) because the hard RLIMIT_NOFILE here is 20,000 and a
// test may not be able to raise it.

const tcpIdleEnv = "BRAID_TCP_IDLE_CLIENTS" // "port,count" in the helper process

func init() {
	if spec := os.Getenv(tcpIdleEnv); spec != "" {
		os.Exit(tcpIdleClientsMain(spec))
	}
}

// tcpIdleClientsMain connects count idle clients to 127.0.0.1:port in
// batches, prints "ready", echoes whatever it receives, and exits once the
// server has closed every connection (or stdin closes).
func tcpIdleClientsMain(spec string) int {
	var port, count int
	if _, err := fmt.Sscanf(spec, "%d,%d", &port, &count); err != nil {
		fmt.Fprintln(os.Stderr, "bad spec:", err)
		return 2
	}
	if err := tcpRaiseLimit(uint64(count) + 100); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r, err := reactor.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	made, lost, failed := 0, 0, 0
	cf := &tcpIdleClientFactory{}
	cf.Protocol = func() protocol.Protocol {
		return &tcpRecorder{
			onMade: func(*tcpRecorder) { made++ },
			onData: func(p *tcpRecorder, b []byte) { p.Transport.Write(b) },
			onLost: func(*tcpRecorder) {
				lost++
				if lost == count {
					_ = r.Stop()
				}
			},
		}
	}
	cf.onFail = func(reason *reactor.Failure) {
		failed++
		fmt.Fprintln(os.Stderr, "connect failed:", reason)
		_ = r.Stop()
	}
	attempted := 0
	var next func()
	next = func() {
		if made < attempted {
			r.CallLater(time.Millisecond, next)
			return
		}
		if attempted < count {
			n := min(1000, count-attempted) // below the backlog: no SYN dropped
			for i := 0; i < n; i++ {
				Connect(r, "127.0.0.1", port, cf, protocol.ConnectTCPOptions{})
			}
			attempted += n
			r.CallLater(time.Millisecond, next)
			return
		}
		fmt.Println("ready")
	}
	r.CallWhenRunning(next)
	go func() { // the parent closing stdin means: give up
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		r.CallFromThread(func() { _ = r.Stop() })
	}()
	_ = r.Run()
	if failed > 0 || lost < count {
		return 1
	}
	return 0
}

type tcpIdleClientFactory struct {
	protocol.BaseClientFactory
	onFail func(*reactor.Failure)
}

func (f *tcpIdleClientFactory) ClientConnectionFailed(c protocol.Connector, reason *reactor.Failure) {
	f.onFail(reason)
}

// tcpRaiseLimit raises the soft RLIMIT_NOFILE to need (within the hard
// limit, or beyond it where the process may).
func tcpRaiseLimit(need uint64) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if uint64(lim.Cur) >= need {
		return nil
	}
	want := lim
	setRlimit(&want.Cur, need)
	setRlimit(&want.Max, max(uint64(lim.Max), need))
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE from %d (hard %d) to %d: %w", lim.Cur, lim.Max, need, err)
	}
	return nil
}

// 10,000 concurrent idle connections on one reactor: they are all accepted,
// the reactor still answers promptly on one of them, closing them gives
// every descriptor back, and each costs a bounded amount of heap (logged).
func TestTCP_TenThousandIdleConnections(t *testing.T) {
	const conns = 10_000
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if err := tcpRaiseLimit(conns + 200); err != nil {
		t.Fatalf("%v: this test needs %d descriptors", err, conns+200)
	}
	defer func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Errorf("restore RLIMIT_NOFILE: %v", err)
		}
	}()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	reserveDescriptor() // opened once per process by the first Listen
	fds := tcpOpenFDs(t)
	r := tcpReactor(t)
	var ms0, ms1 runtime.MemStats
	var servers []*tcpRecorder
	lost := 0
	var echoRTT time.Duration
	var helperErr error
	var cmd *exec.Cmd
	var stdin io.WriteCloser
	testkit.RunUntil(t, r, 3*time.Minute, func(stop func()) {
		port, err := Listen(r, 0, protocol.FactoryFor(func() protocol.Protocol {
			p := &tcpRecorder{onLost: func(*tcpRecorder) { lost++ }}
			servers = append(servers, p)
			return p
		}), protocol.ListenTCPOptions{Interface: "127.0.0.1", Backlog: 4096})
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		cmd = exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), tcpIdleEnv+"="+strconv.Itoa(tcpPortOf(port))+","+strconv.Itoa(conns))
		cmd.Stderr = os.Stderr
		stdin, _ = cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		helperDone := false
		finish := func() {
			if helperDone && lost == conns {
				port.StopListening()
				stop()
			}
		}
		go func() {
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			ready := strings.TrimSpace(line) == "ready"
			err := cmd.Wait()
			r.CallFromThread(func() {
				helperErr, helperDone = err, true
				if !ready {
					if helperErr == nil {
						helperErr = fmt.Errorf("client process ended without connecting")
					}
					stop()
					return
				}
				finish()
			})
		}()
		var check func()
		check = func() {
			if len(servers) < conns {
				r.CallLater(5*time.Millisecond, check)
				return
			}
			runtime.GC()
			runtime.ReadMemStats(&ms1)
			p := servers[conns/2]
			start := time.Now()
			p.onData = func(p *tcpRecorder, _ []byte) {
				echoRTT = time.Since(start)
				for _, s := range servers {
					s.onLost = func(*tcpRecorder) { lost++; finish() }
					s.Transport.LoseConnection()
				}
			}
			p.Transport.Write([]byte("ping"))
		}
		check()
	})
	stdin.Close() // the helper has exited; this is our end of its stdin
	if helperErr != nil {
		t.Errorf("client process: %v", helperErr)
	}
	perConn := (int64(ms1.HeapAlloc) - int64(ms0.HeapAlloc)) / conns
	t.Logf("%d idle connections on one reactor: %d bytes of heap per connection; echo round trip on one of them %v",
		conns, perConn, echoRTT)
	if len(servers) != conns || lost != conns {
		t.Errorf("accepted %d, lost %d; want %d each", len(servers), lost, conns)
	}
	if perConn > 4096 {
		t.Errorf("%d bytes of heap per idle connection, want under 4 KiB", perConn)
	}
	if after := tcpOpenFDs(t); after != fds {
		t.Errorf("open descriptors: %d before, %d after closing every connection", fds, after)
	}
}

// setRlimit stores v in an rlimit field, which is a uint64 on Linux and
// macOS and an int64 on FreeBSD.
func setRlimit[T int64 | uint64](field *T, v uint64) { *field = T(v) }
