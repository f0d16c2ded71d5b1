package braid_test

import (
	"fmt"
	"log"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// wordCounter embeds BaseProcessProtocol and overrides only what it needs;
// the base's dispatch delivers stdout to its OutReceived.
type wordCounter struct {
	protocol.BaseProcessProtocol
	r   *braid.Reactor
	out []byte
}

func (w *wordCounter) ConnectionMade() {
	// Feed the child, then close its stdin so that it finishes.
	w.Transport.Write([]byte("one two three\n"))
	w.Transport.CloseStdin()
}

func (w *wordCounter) OutReceived(data []byte) { w.out = append(w.out, data...) }

func (w *wordCounter) ProcessEnded(reason *reactor.Failure) {
	fmt.Printf("wc said %q\n", w.out)
	fmt.Println("ended:", reason)
	_ = w.r.Stop()
}

// ExampleReactor_SpawnProcess runs `wc -w` with stdin fed by the parent.
// Note SpawnOptions{}: as in Twisted, the child's environment is empty
// unless InheritEnv is set, and `wc` is found in /bin:/usr/bin.
func ExampleReactor_SpawnProcess() {
	r, err := braid.New()
	if err != nil {
		log.Fatal(err)
	}
	w := &wordCounter{r: r}
	r.CallWhenRunning(func() {
		if _, err := r.SpawnProcess(w, "wc", []string{"wc", "-w"}, protocol.SpawnOptions{}); err != nil {
			fmt.Println(err)
			_ = r.Stop()
		}
	})
	if err := r.Run(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// wc said "3\n"
	// ended: a process has ended without apparent errors: process finished with exit code 0
}

// ExampleReactor_SpawnProcess_missingExecutable shows the error SpawnProcess
// returns where Twisted would start a child that exits 1.
func ExampleReactor_SpawnProcess_missingExecutable() {
	r, err := braid.New()
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	_, err = r.SpawnProcess(nil, "/nonexistent/server", []string{"server"}, protocol.SpawnOptions{})
	fmt.Println(err)
	// Output:
	// protocol: spawn "/nonexistent/server": exec /nonexistent/server: no such file or directory
}
