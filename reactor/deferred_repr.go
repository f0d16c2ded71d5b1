package reactor

import (
	"fmt"
	"reflect"
)

// WaitingOn returns the Deferred d waits on, or nil (Twisted's _chainedTo):
// the unfired Deferred a step of d returned (D-09), or the Deferred whose
// ChainDeferred made d its target, until d's chain runs.
//
// As in Twisted, it answers what d was last told it waits on: ChainDeferred
// and a wait set it, and it is cleared whenever d's chain runs (so a
// Deferred that an unmatched Unpause let run while its result was a
// Deferred waits on nothing).
func (d *Deferred) WaitingOn() *Deferred {
	if d.aux != nil && d.aux.chainedTo != nil {
		return d.aux.chainedTo
	}
	if w := d.waitingOn(); w != nil && !d.hasFlag(notWaiting) {
		return w
	}
	return nil
}

// clearChainedTo is called as d's chain starts a pass (Twisted clears
// _chainedTo there). It must stay small: every pass pays it.
func (d *Deferred) clearChainedTo() {
	if d.aux != nil {
		d.aux.chainedTo = nil
		d.dropDebugSites() // and a Failure it holds is no longer unhandled
	}
	if _, ok := d.result.(*Deferred); ok {
		d.setFlag(notWaiting)
	}
}

// waitsOnResult records that d now waits on the Deferred in its result,
// which replaces what ChainDeferred recorded, as in Twisted.
func (d *Deferred) waitsOnResult() {
	d.clearFlag(notWaiting)
	if d.aux != nil {
		d.aux.chainedTo = nil
	}
}

// keepWaitingOn is called before d's result changes while d stays paused:
// what d says it waits on must not change with it (see WaitingOn).
func (d *Deferred) keepWaitingOn() {
	w := d.WaitingOn()
	if w == nil {
		return
	}
	if d.aux == nil {
		d.aux = &deferredAux{}
	}
	d.aux.chainedTo = w
}

// String ports repr(d) (D-20), in Twisted's shape:
//
//	<Deferred at 0xc000010000>
//	<Deferred at 0xc000010000 current result: "orange">
//	<Deferred at 0xc000010000 waiting on Deferred at 0xc000010030>
//
// The result is written as Go source would write it, as Twisted writes
// Python's repr: a string or []byte quoted (%q); nil as nil; a number or
// bool as %v (so a time.Duration reads 1.5s); a *Failure as its String,
// <Failure type: message>; another error as its type and quoted message,
// *errors.errorString("boom"); anything else as %#v.
func (d *Deferred) String() string {
	switch w := d.WaitingOn(); {
	case w != nil:
		return fmt.Sprintf("<Deferred at %p waiting on Deferred at %p>", d, w)
	case d.called:
		return fmt.Sprintf("<Deferred at %p current result: %s>", d, resultRepr(d.result))
	default:
		return fmt.Sprintf("<Deferred at %p>", d)
	}
}

// Format implements fmt.Formatter: %v and %s give String, %q quotes it,
// and %+v adds, for a Deferred made under a reactor [WithDebugging], where
// it was made and first fired (Twisted's DebugInfo).
func (d *Deferred) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'q':
		_, _ = fmt.Fprintf(s, "%q", d.String())
	case verb == 'v' && s.Flag('+'):
		_, _ = fmt.Fprint(s, d.String())
		if sites := d.debugSites(); sites != "" {
			_, _ = fmt.Fprint(s, "\n", sites)
		}
	default:
		_, _ = fmt.Fprint(s, d.String())
	}
}

// debugSites describes where d was made and first fired, when it records
// them ([WithDebugging]); "" otherwise.
func (d *Deferred) debugSites() string {
	if d.aux == nil || !d.aux.debug {
		return ""
	}
	s := "Deferred created at:\n" + d.aux.creator
	if d.aux.invoker != "" {
		s += "Deferred first fired at:\n" + d.aux.invoker
	}
	return s
}

// resultRepr writes a current result for String (see there).
func resultRepr(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case *Failure:
		return v.String()
	case string, []byte:
		return fmt.Sprintf("%q", v)
	case error:
		return fmt.Sprintf("%T(%q)", v, safeMessage(v))
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return fmt.Sprintf("%v", v)
	case reflect.String:
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%#v", v)
}

// safeMessage is err.Error(), or a note when that panics (a typed nil).
func safeMessage(err error) string {
	return (&Failure{value: err}).ErrorMessage()
}
