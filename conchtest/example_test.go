//go:build unix

package conchtest_test

import (
	"fmt"
	"strconv"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/conchtest"
	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// A ForwardingProcess drives a third-party forwarder — here socat, in front
// of an echo server — until its port accepts, sends a line through it, and
// fires with what came back once socat has been stopped.
func ExampleForwardingProcess() {
	socat, err := conchtest.FindProgram("socat", "socat")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := braid.New()
	r.CallWhenRunning(func() {
		echo, _ := conchtest.ListenEcho(r, "127.0.0.1")
		port, _ := conchtest.FreePort()
		proc := conchtest.NewForwardingProcess(r, port, []byte("test\n"))
		proc.Hardening = conchtest.Hardened() // omit for Conch's exact behaviour
		argv := []string{"socat", "TCP-LISTEN:" + strconv.Itoa(port) + ",bind=127.0.0.1,reuseaddr",
			"TCP:127.0.0.1:" + strconv.Itoa(conchtest.PortNumber(echo))}
		// Hardened's StopGroup signals socat's process group: give it one.
		opts := protocol.SpawnOptions{NewProcessGroup: proc.Hardening.StopGroup}
		if _, err := r.SpawnProcess(proc, socat, argv, opts); err != nil {
			fmt.Println(err)
			_ = r.Stop()
			return
		}
		proc.Deferred.AddBoth(func(v any) (any, error) {
			fmt.Printf("came back: %q\n", v)
			echo.StopListening().AddBoth(func(any) (any, error) { return nil, r.Stop() })
			return nil, nil
		})
	})
	_ = r.Run()
	// Output: came back: "test\n"
}

// OpenSSHProcess collects a command's stdout and fails on a non-zero exit;
// Conch uses it for `ssh host command`, but it works for any child.
func ExampleOpenSSHProcess() {
	r, _ := braid.New()
	r.CallWhenRunning(func() {
		p := &conchtest.OpenSSHProcess{Deferred: reactor.NewDeferred(nil)}
		p.Deferred.AddBoth(func(v any) (any, error) {
			fmt.Printf("%q\n", v)
			return nil, r.Stop()
		})
		if _, err := r.SpawnProcess(p, "/bin/sh", []string{"sh", "-c", "printf 'goodbye\\r\\n'"}, protocol.SpawnOptions{}); err != nil {
			fmt.Println(err)
			_ = r.Stop()
		}
	})
	_ = r.Run()
	// Output: "goodbye\n"
}
