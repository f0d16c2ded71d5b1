package processutil_test

import (
	"context"
	"fmt"
	"log"

	"github.com/braid-go/braid"
	"github.com/braid-go/braid/processutil"
	"github.com/braid-go/braid/reactor"
)

// runMain runs a reactor until the Deferred main returns has fired, as
// Twisted's task.react does.
func runMain(main func(r *braid.Reactor) *reactor.Deferred) {
	r, err := braid.New()
	if err != nil {
		log.Fatal(err)
	}
	r.CallWhenRunning(func() {
		main(r).AddBoth(func(v any) (any, error) {
			if f, ok := v.(*reactor.Failure); ok {
				fmt.Println("failed:", f)
			}
			return nil, r.Stop()
		})
	})
	if err := r.Run(); err != nil {
		log.Fatal(err)
	}
}

// GetProcessOutput fires with the child's stdout once it has ended. The
// environment is empty unless Options says otherwise.
func ExampleGetProcessOutput() {
	runMain(func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutput(r, "/bin/sh", []string{"-c", `echo "hello [$HOME]"`}, processutil.Options{})
		return reactor.AddCallbackAs(d, func(out []byte) (any, error) {
			fmt.Printf("%q\n", out)
			return nil, nil
		})
	})
	// Output:
	// "hello []\n"
}

// Without ErrorToo, output on stderr fails the Deferred at once; the
// error's ProcessEnded tells how the child ended.
func ExampleUnexpectedErrorOutputError() {
	runMain(func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutput(r, "/bin/sh", []string{"-c", "echo oops >&2; exit 2"}, processutil.Options{})
		return reactor.AddErrbackAs(d, func(e *processutil.UnexpectedErrorOutputError) (any, error) {
			fmt.Println(e)
			return e.ProcessEnded.AddErrback(func(f *reactor.Failure) (any, error) {
				fmt.Println("then:", f)
				return nil, nil
			}), nil
		})
	})
	// Output:
	// processutil: /bin/sh: got stderr: "oops\n"
	// then: a process has ended with a probable error condition: process ended with exit code 2
}

// ErrorToo merges stderr into the output instead.
func ExampleOptions_errorToo() {
	runMain(func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutput(r, "/bin/sh", []string{"-c", "echo out; sleep 0.1; echo err >&2"},
			processutil.Options{ErrorToo: true})
		return reactor.AddCallbackAs(d, func(out []byte) (any, error) {
			fmt.Printf("%q\n", out)
			return nil, nil
		})
	})
	// Output:
	// "out\nerr\n"
}

// GetProcessValue fires with the exit status.
func ExampleGetProcessValue() {
	runMain(func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessValue(r, "false", nil, processutil.Options{})
		return reactor.AddCallbackAs(d, func(code int) (any, error) {
			fmt.Println("exit status", code)
			return nil, nil
		})
	})
	// Output:
	// exit status 1
}

// GetProcessOutputAndValue gives both outputs and the status, and fails
// with a *SignalError when a signal killed the child.
func ExampleGetProcessOutputAndValue() {
	runMain(func(r *braid.Reactor) *reactor.Deferred {
		d := processutil.GetProcessOutputAndValue(r, "tr", []string{"a-z", "A-Z"},
			processutil.Options{Stdin: []byte("shout\n")})
		reactor.AddCallbackAs(d, func(o processutil.Output) (any, error) {
			fmt.Printf("%q %q %d\n", o.Stdout, o.Stderr, o.ExitCode)
			return processutil.GetProcessOutputAndValue(r, "/bin/sh", []string{"-c", "echo bye; kill -9 $$"}, processutil.Options{}), nil
		})
		return reactor.AddErrbackAs(d, func(e *processutil.SignalError) (any, error) {
			fmt.Printf("%v; stdout %q\n", e, e.Stdout)
			return nil, nil
		})
	})
	// Output:
	// "SHOUT\n" "" 0
	// processutil: /bin/sh: ended by signal 9 (killed); stdout "bye\n"
}

// From ordinary Go code on another goroutine, the bridges of package
// reactor wait for the result with a context.
func ExampleGetProcessOutput_fromGoroutine() {
	r, err := braid.New()
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		defer r.CallFromThread(func() { _ = r.Stop() })
		d := make(chan *reactor.Deferred, 1)
		r.CallFromThread(func() {
			d <- processutil.GetProcessOutput(r, "echo", []string{"from a goroutine"}, processutil.Options{})
		})
		out, err := reactor.WaitAs[[]byte](context.Background(), r, <-d)
		fmt.Printf("%q %v\n", out, err)
	}()
	if err := r.Run(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// "from a goroutine\n" <nil>
}
