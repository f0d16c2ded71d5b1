package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// childEnv, set in a child's environment to "listenPort:targetPort", makes
// this program the embedded forwarder instead of the demo.
const childEnv = "BRAID_FORWARD_CHILD"

// runForwarderChild is the embedded forwarder: braid's port forwarder on
// 127.0.0.1:listenPort to 127.0.0.1:targetPort, in a process of its own. It
// stops as a terminal program would: on Ctrl-C ("\x03", which Conch's
// helper writes to its stdin) or end of input, and on SIGINT or SIGTERM.
// It returns the exit status.
func runForwarderChild(spec string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "forward child:", err)
		return 2
	}
	listen, target, ok := strings.Cut(spec, ":")
	lp, err1 := strconv.Atoi(listen)
	tp, err2 := strconv.Atoi(target)
	if !ok || err1 != nil || err2 != nil {
		return fail(fmt.Errorf("%s=%q: want listenPort:targetPort", childEnv, spec))
	}
	r, err := braid.New(reactor.WithSignalHandlers())
	if err != nil {
		return fail(err)
	}
	if _, err := protocol.ListenForward(r, lp, "127.0.0.1", tp, protocol.ListenTCPOptions{Interface: "127.0.0.1"}); err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "forward child: listening on 127.0.0.1:%d, forwarding to 127.0.0.1:%d\n", lp, tp)
	go func() {
		waitForCtrlC(os.Stdin)
		r.CallFromThread(func() { _ = r.Stop() })
	}()
	if err := r.Run(); err != nil {
		return fail(err)
	}
	return 0
}

// waitForCtrlC returns at the first Ctrl-C byte or at the end of input.
func waitForCtrlC(in io.Reader) {
	buf := make([]byte, 512)
	for {
		n, err := in.Read(buf)
		if bytes.IndexByte(buf[:n], 0x03) >= 0 || err != nil {
			return
		}
	}
}
