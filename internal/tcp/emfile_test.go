//go:build linux

package tcp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// emfileChildEnv makes TestAccept_OutOfDescriptors_Child the process under
// test: descriptors are process-wide, so the exhaustion is staged in a
// child of its own.
const emfileChildEnv = "BRAID_EMFILE_CHILD"

// Running out of descriptors while connections wait, with another
// goroutine grabbing every descriptor that comes free (so the reserve is
// lost at once): the port must not spin — the reactor's thread stays
// nearly idle and the log gets a bounded summary, not a line per try — and
// once descriptors are free again it accepts and serves.
func TestAccept_OutOfDescriptorsNeverSpins(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestAccept_OutOfDescriptors_Child$", "-test.v")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	expect := func(prefix string) string {
		t.Helper()
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				return rest
			}
		}
		t.Fatalf("the child ended before saying %q", prefix)
		return ""
	}
	port := expect("port ")
	expect("exhausted")
	// Connections arrive while the child has no descriptor to spare.
	var clients []net.Conn
	for range 20 {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		clients = append(clients, c)
	}
	report := expect("report ")
	for _, c := range clients {
		_ = c.Close()
	}
	var cpu float64
	var logged int
	if _, err := fmt.Sscanf(report, "cpu=%g logged=%d", &cpu, &logged); err != nil {
		t.Fatalf("child report %q: %v", report, err)
	}
	t.Logf("while exhausted for 1 s: reactor thread CPU %.0f%%, %d log entries", cpu*100, logged)
	if cpu > 0.25 {
		t.Errorf("the reactor's thread used %.0f%% of a CPU while out of descriptors: it spins", cpu*100)
	}
	if logged > 5 {
		t.Errorf("%d log entries in 1 s: want a rate-limited summary", logged)
	}
	// Descriptors free again: the port accepts and serves.
	_, _ = io.WriteString(stdin, "release\n")
	expect("released")
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
	if err != nil {
		t.Fatalf("dial after the release: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo after the release: %q, %v", buf, err)
	}
	_, _ = io.WriteString(stdin, "quit\n")
	if !strings.Contains(expect("done"), "") {
		t.Fatal("no end")
	}
}

// TestAccept_OutOfDescriptors_Child is the child of
// TestAccept_OutOfDescriptorsNeverSpins; it does nothing otherwise.
func TestAccept_OutOfDescriptors_Child(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "" {
		t.Skip("the child of TestAccept_OutOfDescriptorsNeverSpins")
	}
	// The Go runtime opens its own poller at the first timer: before the
	// descriptors run out.
	time.Sleep(time.Millisecond)
	var logged atomic.Int32
	r, err := reactor.New(reactor.WithErrorObserver(func(reactor.ErrorEvent) { logged.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	port, err := Listen(r, 0, protocol.FactoryFor(func() protocol.Protocol { return &tcpEcho{} }), protocol.ListenTCPOptions{Interface: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("port %d\n", tcpPortOf(port))

	// A hoarder takes every descriptor, and keeps taking each that comes
	// free — the reserve's among them — until told to release.
	var hoard []int
	var mu sync.Mutex
	release := make(chan struct{})
	exhausted := make(chan struct{})
	var rl unix.Rlimit
	_ = unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: 256, Max: rl.Max})
	go func() {
		signalled := false
		for {
			select {
			case <-release:
				return
			default:
			}
			fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err == nil {
				mu.Lock()
				hoard = append(hoard, fd)
				mu.Unlock()
				continue
			}
			if !signalled {
				signalled = true
				close(exhausted)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	<-exhausted
	// The race that loses the reserve, made certain: it comes free, and
	// the hoarder takes its number before the port can take it back.
	reserveFD.Lock()
	lost := reserveFD.fd
	reserveFD.fd = -1
	reserveFD.Unlock()
	if lost >= 0 {
		_ = unix.Close(lost)
	}
	for range 1000 {
		if _, err := unix.FcntlInt(uintptr(lost), unix.F_GETFD, 0); err == nil {
			break // the hoarder has it
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Println("exhausted")

	// Measure the reactor's own thread while connections wait.
	runtime.LockOSThread()
	var start, end unix.Rusage
	var startWall time.Time
	r.CallLater(200*time.Millisecond, func() { // the parent dials meanwhile
		_ = unix.Getrusage(unix.RUSAGE_THREAD, &start)
		startWall = time.Now()
		logged.Store(0)
	})
	r.CallLater(1200*time.Millisecond, func() {
		_ = unix.Getrusage(unix.RUSAGE_THREAD, &end)
		busy := time.Duration(end.Utime.Nano()+end.Stime.Nano()-start.Utime.Nano()-start.Stime.Nano()) * time.Nanosecond
		fmt.Printf("report cpu=%.3f logged=%d\n", busy.Seconds()/time.Since(startWall).Seconds(), logged.Load())
		go func() {
			in := bufio.NewScanner(os.Stdin)
			for in.Scan() {
				switch in.Text() {
				case "release":
					close(release)
					mu.Lock()
					for _, fd := range hoard {
						_ = unix.Close(fd)
					}
					hoard = nil
					mu.Unlock()
					fmt.Println("released")
				case "quit":
					r.CallFromThread(func() { _ = r.Stop() })
					return
				}
			}
		}()
	})
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("done " + strconv.Itoa(int(logged.Load())))
}
