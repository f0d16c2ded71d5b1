package reactor

import (
	"runtime"
	"strings"
)

// How a Failure's traceback follows it through InlineCallbacks bodies, as
// Twisted's does through generators (test_forwardTracebacks): the body
// that failed is named, and so is each body that awaited it, at the line
// of its await, outermost last. The coroutine machinery in between
// (iter.Pull, inlineState) is left out, as Twisted leaves out
// throwExceptionIntoGenerator.

// bodyFailure is the Failure for an error a body returned. The body's own
// frame is gone by then, so the Failure names the body's function (at the
// line where it is declared) instead of the coroutine that ran it. A
// *Failure, such as one an await returned, is kept as it is, with the
// frames it gathered.
func bodyFailure(err error, body func(Await) (any, error)) *Failure {
	if isNilError(err) {
		return newFailure(err, 3)
	}
	if f, ok := err.(*Failure); ok {
		return f
	}
	// Frames treats each pc as a return address and looks up pc-1, so
	// entry+1 lands on the function's first instruction.
	return &Failure{value: err, pcs: []uintptr{funcPC(body) + 1}}
}

// maxAwaitFrames bounds the awaits a Failure's frames record beyond its
// own stack: Twisted makes a new Failure at each hop, braid adds a frame
// to the one it has, which a Failure kept and failed afresh in a loop
// would otherwise grow without end.
const maxAwaitFrames = 64

// passedThrough records that f reached a body through an await: site is
// the await's call stack (innermost first), and the first frame outside
// the coroutine machinery, the awaiting body's own line, is appended to
// f's frames as the next outer one.
func (f *Failure) passedThrough(site []uintptr) {
	if len(f.pcs) >= maxFailureFrames+maxAwaitFrames {
		return // a Failure awaited over and over (kept and failed afresh)
	}
	for _, pc := range site {
		if name := funcNameForPC(pc); name != "" && !isInlineMachinery(name) {
			f.pcs = append(f.pcs, pc)
			return
		}
	}
}

// isInlineMachinery reports frames of InlineCallbacks' own coroutine
// plumbing, which tracebacks leave out.
func isInlineMachinery(function string) bool {
	return strings.HasPrefix(function, inlinePkg+".(*inlineState)") ||
		strings.HasPrefix(function, "iter.Pull") ||
		strings.HasPrefix(function, inlinePkg+".InlineCallbacks")
}

// funcNameForPC names the function a return address pc lies in.
func funcNameForPC(pc uintptr) string {
	if fn := runtime.FuncForPC(pc - 1); fn != nil {
		return fn.Name()
	}
	return ""
}
