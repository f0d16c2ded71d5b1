package conchtest

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/braid-go/braid/protocol"
	"github.com/braid-go/braid/reactor"
)

// OpenSSHProcess ports Conch's ConchTestOpenSSHProcess: the ProcessProtocol
// for an `ssh host command` run. It collects the child's stdout and stderr,
// and when the process has ended fires Deferred with stdout ("\r\n" turned
// into "\n"), or fails it with a *ConchError when ssh did not exit 0 — also
// when a signal killed it (C-10).
type OpenSSHProcess struct {
	protocol.BaseProcessProtocol

	// Deferred fires once, when the process has ended; set it before
	// spawning (Execute does, when it is nil).
	Deferred *reactor.Deferred
	// Output is what ssh wrote to stdout (Conch's buf).
	Output []byte
	// Problems is what ssh wrote to stderr (Conch's problems).
	Problems []byte
}

// OutReceived collects stdout.
func (p *OpenSSHProcess) OutReceived(data []byte) { p.Output = append(p.Output, data...) }

// ErrReceived collects stderr.
func (p *OpenSSHProcess) ErrReceived(data []byte) { p.Problems = append(p.Problems, data...) }

// ProcessEnded fires Deferred: stdout on exit 0, a *ConchError otherwise.
func (p *OpenSSHProcess) ProcessEnded(reason *reactor.Failure) {
	d := p.Deferred
	p.Deferred = nil
	if d == nil {
		return
	}
	if t, ok := errors.AsType[*protocol.ProcessTerminated](reason); ok {
		code := "signal " + fmt.Sprint(int(t.Signal))
		if t.Signal == 0 {
			code = fmt.Sprint(t.ExitCode)
		}
		_ = d.Errback(&ConchError{Message: fmt.Sprintf("exit code was not 0: %s (%s)", code, p.Problems), Reason: reason})
		return
	}
	_ = d.Callback(bytes.ReplaceAll(p.Output, []byte("\r\n"), []byte("\n")))
}

// ConchError ports twisted.conch.error.ConchError as the OpenSSH helpers
// raise it: Message says what went wrong; Reason is the process's exit
// reason when there is one.
type ConchError struct {
	Message string
	Reason  *reactor.Failure
}

func (e *ConchError) Error() string { return e.Message }

// Unwrap returns the exit reason.
func (e *ConchError) Unwrap() error {
	if e.Reason == nil {
		return nil
	}
	return e.Reason
}
