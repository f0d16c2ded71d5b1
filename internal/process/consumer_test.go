//go:build unix

package process

import (
	"strconv"
	"strings"
	"testing"

	"github.com/braid-go/braid/protocol"
)

// pumpProducer writes chunks to a process's stdin whenever it is resumed,
// until it has written total bytes, then closes stdin. It records the
// largest queue it ever saw and how often it was paused.
type pumpProducer struct {
	tr              *Process
	chunk, total    int
	written         int
	paused, resumed int
	peakQueued      int
	stopped         bool
	running         bool
}

func (p *pumpProducer) PauseProducing() { p.paused++; p.running = false }
func (p *pumpProducer) StopProducing()  { p.stopped = true }

func (p *pumpProducer) ResumeProducing() {
	p.resumed++
	p.running = true
	for p.running && p.written < p.total {
		n := min(p.chunk, p.total-p.written)
		p.tr.Write(make([]byte, n))
		p.written += n
		if q := p.queued(); q > p.peakQueued {
			p.peakQueued = q
		}
	}
	if p.written == p.total && p.running {
		p.running = false
		p.tr.UnregisterProducer()
		p.tr.CloseStdin()
	}
}

func (p *pumpProducer) queued() int {
	pp := p.tr.pipeFor(0)
	if pp == nil {
		return 0
	}
	return pp.queue.size
}

// P-16, W-08: the process transport is a consumer, as Twisted's is: a
// streaming producer writing to a child that reads slowly is paused while
// more than 64 KiB waits and resumed as the child drains it, so memory
// stays bounded however much is sent; every byte arrives.
func TestProcess_StdinBackPressure_P16(t *testing.T) {
	t.Parallel()
	const total, chunk = 8 << 20, 16 << 10
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var out strings.Builder
	p.onOut = func(_ *traceProto, b []byte) { out.Write(b) }
	pump := &pumpProducer{chunk: chunk, total: total}
	p.onMade = func(tp *traceProto) {
		pump.tr = tp.Transport.(*Process)
		if err := pump.tr.RegisterProducer(pump, true); err != nil {
			t.Errorf("RegisterProducer: %v", err)
			return
		}
		pump.ResumeProducing()
	}
	// The child starts reading late, then counts what it is given.
	h.run(procTimeout, func() {
		h.spawn(p, "/bin/sh", []string{"sh", "-c", "sleep 0.2; wc -c"}, inheritPath)
	})
	if got := strings.TrimSpace(out.String()); got != strconv.Itoa(total) {
		t.Errorf("the child counted %q bytes, want %d", got, total)
	}
	if pump.paused == 0 || pump.resumed < 2 {
		t.Errorf("producer paused %d times, resumed %d: no back-pressure", pump.paused, pump.resumed)
	}
	if limit := procHighWater + chunk; pump.peakQueued > limit {
		t.Errorf("up to %d bytes queued, want at most %d", pump.peakQueued, limit)
	}
	h.noErrors()
}

// A consumer's errors: a second producer, a streaming one that cannot be
// paused, and a child without a stdin pipe.
func TestProcess_RegisterProducerErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stopOnEnd(newTrace())
	var errs []error
	p.onMade = func(tp *traceProto) {
		tr := tp.Transport.(*Process)
		errs = append(errs, tr.RegisterProducer(pullOnly{}, true))
		errs = append(errs, tr.RegisterProducer(pullOnly{}, false))
		errs = append(errs, tr.RegisterProducer(pullOnly{}, false))
		tr.UnregisterProducer()
		tr.CloseStdin()
	}
	h.run(procTimeout, func() { h.spawn(p, "/bin/cat", []string{"cat"}, protocol.SpawnOptions{}) })
	if len(errs) != 3 || errs[0] != protocol.ErrNotPushProducer || errs[1] != nil || errs[2] != protocol.ErrProducerRegistered {
		t.Errorf("errors %v, want ErrNotPushProducer, nil, ErrProducerRegistered", errs)
	}
	h2 := newHarness(t)
	p2 := h2.stopOnEnd(newTrace())
	var noStdin error
	p2.onMade = func(tp *traceProto) { noStdin = tp.Transport.(*Process).RegisterProducer(pullOnly{}, false) }
	h2.run(procTimeout, func() {
		h2.spawn(p2, "/bin/true", []string{"true"}, protocol.SpawnOptions{ChildFDs: map[int]protocol.ChildFD{1: protocol.ChildFDRead}})
	})
	if !strings.Contains(errString(noStdin), protocol.ErrUnknownChildFD.Error()) {
		t.Errorf("RegisterProducer without a stdin pipe = %v, want ErrUnknownChildFD", noStdin)
	}
}

type pullOnly struct{}

func (pullOnly) ResumeProducing() {}
func (pullOnly) StopProducing()   {}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
