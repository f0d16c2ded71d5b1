package procmon_test

import (
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/procmon"
	"github.com/braid-go/braid/reactor"
)

// ExampleProcessMonitor monitors a process that greets and dies at once:
// the monitor restarts it after MinRestartDelay. On its second greeting the
// example stops the monitor, whose Deferred fires when nothing runs any
// more, and then the reactor.
func ExampleProcessMonitor() {
	r, err := braid.New()
	if err != nil {
		log.Fatal(err)
	}
	pm := procmon.New(r)
	pm.MinRestartDelay = 10 * time.Millisecond // Twisted's default is 1 s
	greetings := 0
	pm.LogLine = func(name, stream, line string) {
		fmt.Printf("[%s] %s: %s\n", name, stream, line)
		if greetings++; greetings == 2 {
			pm.StopService().AddCallback(func(any) (any, error) {
				fmt.Println("all stopped; next restart would wait", pm.Delay(name))
				return nil, r.Stop()
			})
		}
	}
	if err := pm.AddProcess("greeter", []string{"/bin/sh", "-c", "echo hello; exit 1"}, procmon.ProcessOptions{}); err != nil {
		log.Fatal(err)
	}
	r.CallWhenRunning(pm.StartService)
	if err := r.Run(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// [greeter] stdout: hello
	// [greeter] stdout: hello
	// all stopped; next restart would wait 40ms
}

// ExampleProcessMonitor_Ready starts a server with a readiness check and
// goes on only once its port accepts connections. The server here is this
// program itself, run again with an environment variable that makes it
// listen after a pause (see TestMain); a real one would be, say,
// []string{"/usr/sbin/sshd", "-D", "-f", config}.
func ExampleProcessMonitor_Ready() {
	r, err := braid.New()
	if err != nil {
		log.Fatal(err)
	}
	port, err := conchtest.FreePort()
	if err != nil {
		log.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	pm := procmon.New(r)
	pm.LogLine = func(name, stream, line string) {} // the server's chatter is not part of the output
	err = pm.AddProcess("server", []string{self}, procmon.ProcessOptions{
		Env:   []string{serverEnv + "=" + strconv.Itoa(port) + ":100ms"},
		Ready: procmon.Readiness{Port: port, Deadline: 30 * time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	r.CallWhenRunning(func() {
		pm.StartService()
		pm.Ready("server").AddCallback(func(v any) (any, error) {
			fmt.Printf("%s accepts connections\n", v.(*procmon.LoggingProtocol).Name)
			return pm.StopService(), nil
		}).AddBoth(func(v any) (any, error) {
			if f, ok := v.(*reactor.Failure); ok {
				fmt.Println("failed:", f)
			}
			fmt.Println("stopped")
			return nil, r.Stop()
		})
	})
	if err := r.Run(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// server accepts connections
	// stopped
}
