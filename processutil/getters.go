package processutil

import "github.com/braid-go/braid/reactor"

// The three process protocols, Twisted's _BackRelay, _ValueGetter and
// _EverythingGetter. Each fires child.d once, when the child has ended —
// or, for outputGetter without errorToo, at the first output on stderr —
// and ignores what follows a cancellation.

// outputGetter collects stdout (and stderr with errorToo) for
// GetProcessOutput.
type outputGetter struct {
	child
	errorToo bool
	out      []byte
	// ended is the UnexpectedErrorOutputError's ProcessEnded, once stderr
	// has failed d.
	ended *reactor.Deferred
}

func (p *outputGetter) OutReceived(data []byte) {
	if p.waiting() {
		p.out = append(p.out, data...)
	}
}

func (p *outputGetter) ErrReceived(data []byte) {
	switch {
	case !p.waiting():
	case p.errorToo:
		p.out = append(p.out, data...)
	default:
		p.ended = reactor.NewDeferred(p.kill)
		err := &UnexpectedErrorOutputError{Executable: p.executable, Text: data, ProcessEnded: p.ended}
		p.out = nil
		_ = p.d.Errback(err)
		p.Transport.LoseConnection()
	}
}

func (p *outputGetter) ProcessEnded(reason *reactor.Failure) {
	switch {
	case p.ended != nil:
		if !p.ended.Called() {
			_ = p.ended.Errback(reason)
		}
	case p.waiting():
		_ = p.d.Callback(nonNil(p.out))
	}
}

// valueGetter gives GetProcessValue the exit status.
type valueGetter struct{ child }

func (p *valueGetter) ProcessEnded(reason *reactor.Failure) {
	if p.waiting() {
		code, _, _ := exitOf(reason)
		_ = p.d.Callback(code)
	}
}

// everythingGetter collects stdout and stderr apart for
// GetProcessOutputAndValue.
type everythingGetter struct {
	child
	out, err []byte
}

func (p *everythingGetter) OutReceived(data []byte) { p.out = append(p.out, data...) }

func (p *everythingGetter) ErrReceived(data []byte) { p.err = append(p.err, data...) }

func (p *everythingGetter) ProcessEnded(reason *reactor.Failure) {
	if !p.waiting() {
		return
	}
	out, errOut := nonNil(p.out), nonNil(p.err)
	code, sig, terminated := exitOf(reason)
	if sig != 0 {
		_ = p.d.Errback(&SignalError{Executable: p.executable, Stdout: out, Stderr: errOut, Signal: sig, Reason: terminated})
		return
	}
	_ = p.d.Callback(Output{Stdout: out, Stderr: errOut, ExitCode: code})
}

// nonNil returns b, or an empty slice for nil, so that "no output" reads
// as []byte{} and compares equal to []byte("") in tests.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
