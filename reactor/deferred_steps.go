package reactor

import "sync"

// stepKind says what a step does. Branching on it, rather than on which
// func field is set or on a type switch over an any, keeps the per-step work
// to one compare and a direct call.
type stepKind uint8

const (
	stepNone  stepKind = iota // an empty slot
	stepPair                  // cb on success, eb on failure; a nil half passes the result through (D-04)
	stepBoth                  // cb on either path (AddBoth)
	stepCont                  // hand the result to target, which waits on this Deferred (D-09)
	stepChain                 // fire target with the result (ChainDeferred)
)

// step is one link of a chain: a (callback, errback) pair, an AddBoth
// function, or one of the two internal steps that pass the result to
// another Deferred (target).
type step struct {
	cb     Callback // the callback, or the AddBoth function
	eb     Errback
	target *Deferred // stepCont and stepChain only
	kind   stepKind
}

// A Deferred keeps the steps waiting to run in stepBlocks borrowed from
// stepBlocks (the pool) and gives each back once its steps have run. The
// Deferred itself then holds a single pointer for them and stays at 48
// bytes: a Deferred is allocated for every operation, while its steps
// live only from the first AddCallback until the chain has run, which in
// most programs is soon. The pool keeps the block memory warm in the cache,
// where a fresh allocation would touch memory the GC last swept (on the
// machines braid was measured on, each new cache line allocated costs more
// than running a whole ten-step chain).
//
// A chain longer than a block continues in further blocks linked by next;
// the first block knows the last, so adding a step is O(1).
const stepBlockLen = 15 // a stepBlock is then 504 bytes, in the 512-byte size class

type stepBlock struct {
	steps   [stepBlockLen]step
	head, n int32      // steps[head:n] wait to run; steps[:head] ran (cleared when the block goes back, or on a wait)
	next    *stepBlock // the next block of the chain
	last    *stepBlock // in a chain's first block, its last block
}

// stepBlocks holds empty *stepBlocks for reuse.
var stepBlocks sync.Pool

func getStepBlock() *stepBlock {
	if b, ok := stepBlocks.Get().(*stepBlock); ok {
		return b
	}
	return new(stepBlock)
}

// putStepBlock gives back a block whose steps have all run, clearing them
// so that the pool holds no callback (and nothing a callback holds) alive.
// The chain runner leaves the slots it has taken for this one clear, which
// costs less than clearing each as it runs.
func putStepBlock(b *stepBlock) {
	clear(b.steps[:b.n])
	b.head, b.n, b.next, b.last = 0, 0, nil, nil
	stepBlocks.Put(b)
}

// pushStep appends s to d's chain.
func (d *Deferred) pushStep(s step) {
	if b := d.steps; b != nil {
		if t := b.last; t.n < stepBlockLen {
			t.steps[t.n] = s
			t.n++
			return
		}
	}
	d.pushStepInNewBlock(s)
}

// pushStepInNewBlock appends s to d's chain in a new block: the first, or
// one after a full block.
func (d *Deferred) pushStepInNewBlock(s step) {
	nb := getStepBlock()
	if first := d.steps; first == nil {
		d.steps = nb
	} else {
		first.last.next = nb
	}
	d.steps.last = nb
	nb.steps[0] = s
	nb.n = 1
}

// releaseRunSteps clears the slots of d's first block whose steps have
// run, so that a Deferred waiting on another (D-09) does not keep their
// callbacks alive meanwhile: Twisted drops each callback as it runs it.
func (d *Deferred) releaseRunSteps() {
	if b := d.steps; b != nil {
		clear(b.steps[:b.head])
	}
}

// dropFirstBlock gives back b, d's first block, all of whose steps have been
// taken (the chain runner takes steps from the first block); the next
// block, if any, becomes the first. A Deferred whose steps
// have all been taken so holds no block.
func (d *Deferred) dropFirstBlock(b *stepBlock) {
	d.steps = b.next
	if b.next != nil {
		b.next.last = b.last
	}
	putStepBlock(b)
}
