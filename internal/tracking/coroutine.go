package tracking

import (
	"bytes"
	"runtime"
	"strconv"
)

// OnGoroutine reports whether the calling goroutine is the one that made or
// last ran s's reactor, or a coroutine (iter.Pull: an InlineCallbacks body,
// a Cooperator's iterator) that such a goroutine made, directly or through
// other coroutines: code the reactor waits on while it runs, so that
// waiting for the reactor there would never end. It reads stacks, which
// costs microseconds, or milliseconds for a coroutine; only a blocking
// call's check uses it.
func (s *Scope) OnGoroutine() bool { return runsFor(s.goid.Load()) }

// runsFor reports whether the calling goroutine is owner, or a coroutine
// that owner made, directly or through other coroutines.
func runsFor(owner uint64) bool {
	if owner == 0 {
		return false
	}
	if goid() == owner {
		return true
	}
	creator, ok := pullCreator(stackOf(false))
	if !ok {
		return false
	}
	// A coroutine: follow the creators through the other goroutines' stacks.
	creators := pullCreators(stackOf(true))
	for seen := 0; seen < 1000; seen++ {
		if creator == owner {
			return true
		}
		if creator, ok = creators[creator]; !ok {
			return false
		}
	}
	return false
}

// stackOf returns the calling goroutine's stack, or every goroutine's.
func stackOf(all bool) []byte {
	buf := make([]byte, 8<<10)
	for {
		n := runtime.Stack(buf, all)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

var createdByPull = []byte("\ncreated by iter.Pull[")

// pullCreator returns, for the stack of one goroutine, the id of the
// goroutine that made it with iter.Pull.
func pullCreator(stack []byte) (uint64, bool) {
	i := bytes.Index(stack, createdByPull)
	if i < 0 {
		return 0, false
	}
	line := stack[i+1:]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	const in = " in goroutine "
	k := bytes.LastIndex(line, []byte(in))
	if k < 0 {
		return 0, false
	}
	id, err := strconv.ParseUint(string(line[k+len(in):]), 10, 64)
	return id, err == nil
}

// pullCreators maps each coroutine in an all-goroutines dump to the
// goroutine that made it.
func pullCreators(dump []byte) map[uint64]uint64 {
	out := make(map[uint64]uint64)
	for _, block := range bytes.Split(dump, []byte("\n\n")) {
		const head = "goroutine "
		if !bytes.HasPrefix(block, []byte(head)) {
			continue
		}
		rest := block[len(head):]
		end := bytes.IndexByte(rest, ' ')
		if end < 0 {
			continue
		}
		id, err := strconv.ParseUint(string(rest[:end]), 10, 64)
		if err != nil {
			continue
		}
		if creator, ok := pullCreator(block); ok {
			out[id] = creator
		}
	}
	return out
}
