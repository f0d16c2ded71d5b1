package reactor

import (
	"fmt"
	"strings"
)

// A small language of operations on a few Deferreds, decoded from fuzz
// input. FuzzDeferredChain runs each program twice: on real Deferreds and on
// the reference model in deferred_model_test.go, and compares the traces.

const progDeferreds = 4 // Deferreds d0..d3 in every program

// Operation kinds.
const (
	opAddCallback = iota
	opAddErrback
	opAddBoth
	opPause
	opUnpause
	opCallback
	opErrback
	opCancel
	opChain
	numOps
)

// What a callback or errback does when it runs.
const (
	fnValue    = iota // returns arg
	fnError           // returns the error arg
	fnPanic           // panics with the error arg
	fnDeferred        // returns Deferred d[arg]
	fnFailure         // error path: returns the Failure it got; success path: returns a new *Failure as a value
	fnNested          // runs a nested operation, then returns arg
	fnNil             // a nil function: the step passes the result through
	numFns
)

// Canceller kinds, one per Deferred.
const (
	cancNone     = iota // no canceller
	cancNoop            // a canceller that does nothing
	cancCallback        // fires the Deferred with 100+index
	cancErrback         // errbacks it with error 60+index
	cancPanic           // panics with error 70+index
	numCancellers
)

type progOp struct {
	kind   int
	d, j   int // target Deferred; j is the other one for opChain
	fn     int
	arg    int
	id     int // step id, for the trace
	nested *progOp
}

type program struct {
	cancellers [progDeferreds]int
	ops        []*progOp
}

// fuzzErr is the error the programs return, panic with and errback with.
type fuzzErr int

func (e fuzzErr) Error() string { return fmt.Sprintf("fuzz error %d", int(e)) }

type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) next() int {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return int(r.b[r.i-1])
}

func (r *byteReader) done() bool { return r.i >= len(r.b) }

const maxProgOps = 48

// decodeProgram turns any byte string into a valid program: four canceller
// bytes, then three bytes per operation.
func decodeProgram(data []byte) *program {
	r := &byteReader{b: data}
	p := &program{}
	for i := range p.cancellers {
		p.cancellers[i] = r.next() % numCancellers
	}
	ids := 0
	for !r.done() && len(p.ops) < maxProgOps {
		p.ops = append(p.ops, decodeOp(r, &ids, 0))
	}
	return p
}

func decodeOp(r *byteReader, ids *int, depth int) *progOp {
	b0, b1, b2 := r.next(), r.next(), r.next()
	o := &progOp{kind: b0 % numOps, d: (b0 / numOps) % progDeferreds}
	o.fn = b1 % numFns
	o.arg = b2 % 8
	o.j = b2 % progDeferreds
	*ids++
	o.id = *ids
	if o.fn == fnDeferred {
		o.arg = b2 % progDeferreds
	}
	if o.fn == fnNested {
		if depth >= 2 {
			o.fn = fnValue
		} else {
			o.nested = decodeOp(r, ids, depth+1)
		}
	}
	return o
}

// bytes encodes p as decodeProgram reads it, for turning a program found
// by a test into a fuzz seed.
func (p *program) bytes() []byte {
	var b []byte
	for _, c := range p.cancellers {
		b = append(b, byte(c))
	}
	for _, o := range p.ops {
		b = o.appendBytes(b)
	}
	return b
}

func (o *progOp) appendBytes(b []byte) []byte {
	last := o.arg
	if o.kind == opChain {
		last = o.j
	}
	b = append(b, byte(o.d*numOps+o.kind), byte(o.fn), byte(last))
	if o.nested != nil {
		b = o.nested.appendBytes(b)
	}
	return b
}

func (p *program) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cancellers %v\n", p.cancellers)
	for _, o := range p.ops {
		b.WriteString(o.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func (o *progOp) String() string {
	names := []string{"addCallback", "addErrback", "addBoth", "pause", "unpause", "callback", "errback", "cancel", "chain"}
	fns := []string{"value", "error", "panic", "deferred", "failure", "nested", "nil"}
	s := fmt.Sprintf("s%d %s d%d", o.id, names[o.kind], o.d)
	switch o.kind {
	case opAddCallback, opAddErrback, opAddBoth:
		s += fmt.Sprintf(" fn=%s arg=%d", fns[o.fn], o.arg)
		if o.nested != nil {
			s += " {" + o.nested.String() + "}"
		}
	case opCallback, opErrback:
		s += fmt.Sprintf(" arg=%d", o.arg)
	case opChain:
		s += fmt.Sprintf(" -> d%d", o.j)
	}
	return s
}

func halfName(kind int, onFailure bool) string {
	switch {
	case kind == opAddBoth:
		return "both"
	case onFailure:
		return "eb"
	}
	return "cb"
}
