package reactor

import "fmt"

// DLOptions are [DeferredList]'s keyword arguments.
type DLOptions struct {
	// FireOnOneCallback fires the list with DLFirst{value, index} as soon as
	// one member succeeds. With no members the list then never fires (D-18).
	FireOnOneCallback bool
	// FireOnOneErrback errbacks the list with a *FirstError as soon as one
	// member fails.
	FireOnOneErrback bool
	// ConsumeErrors turns each failing member's result into nil for the steps
	// added to it afterwards, so its Failure is not reported as unhandled.
	ConsumeErrors bool
}

// DLResult is one member's outcome in a [DeferredList] result (Twisted's
// (success, result) tuple). Value is the *Failure when OK is false.
type DLResult struct {
	OK    bool
	Value any
}

// DLFirst is the result of a [DeferredList] with FireOnOneCallback: the first
// successful member's value and its index (Twisted's (result, index)).
type DLFirst struct {
	Value any
	Index int
}

// DeferredList ports defer.DeferredList (D-18). It adds one pair to every
// member (so steps added to a member before the list see nothing different,
// and steps added before it change what the list sees) and returns a
// Deferred that fires with []DLResult, in member order, once all have fired;
// an empty list fires at once with an empty slice. Cancelling it cancels
// every member that has not fired; the list then fires with what they
// produced. Once the list has fired, Cancel does nothing, even while a
// callback of the list waits on another Deferred (as in Twisted, whose
// DeferredList overrides cancel). A nil member is a programming error:
// DeferredList panics naming its index.
func DeferredList(ds []*Deferred, opts DLOptions) *Deferred {
	for i, m := range ds {
		if m == nil {
			panic(fmt.Sprintf("reactor: DeferredList: member %d of %d is a nil *Deferred", i, len(ds)))
		}
	}
	results := make([]DLResult, len(ds))
	list := NewDeferred(func(*Deferred) {
		for _, m := range ds {
			m.Cancel()
		}
	})
	list.setFlag(cancelOnly | cancelUnfiredOnly)
	if len(ds) == 0 && !opts.FireOnOneCallback {
		_ = list.Callback(results)
		return list
	}
	finished := 0
	for i, m := range ds {
		m.AddCallbacks(func(v any) (any, error) {
			results[i] = DLResult{OK: true, Value: v}
			finished++
			if !list.called {
				if opts.FireOnOneCallback {
					_ = list.Callback(DLFirst{Value: v, Index: i})
				} else if finished == len(ds) {
					_ = list.Callback(results)
				}
			}
			return v, nil
		}, func(f *Failure) (any, error) {
			results[i] = DLResult{OK: false, Value: f}
			finished++
			if !list.called {
				if opts.FireOnOneErrback {
					_ = list.Errback(failureWithoutStack(&FirstError{Sub: f, Index: i}))
				} else if finished == len(ds) {
					_ = list.Callback(results)
				}
			}
			if opts.ConsumeErrors {
				return nil, nil
			}
			return nil, f
		})
	}
	return list
}

// GatherOptions are gatherResults's keyword arguments; the zero value is
// Twisted's default.
type GatherOptions struct {
	// ConsumeErrors is as in DLOptions: a failing member's Failure is
	// handled by the gathering (it does not stay unhandled in the member).
	ConsumeErrors bool
}

// GatherResults ports defer.gatherResults (D-19): a Deferred firing with the
// members' values as []any, or failing with a *FirstError on the first
// failure while the other members keep running. A nil member panics, as in
// DeferredList.
func GatherResults(ds []*Deferred, opts GatherOptions) *Deferred {
	d := DeferredList(ds, DLOptions{FireOnOneErrback: true, ConsumeErrors: opts.ConsumeErrors})
	return d.AddCallback(func(v any) (any, error) {
		rs := v.([]DLResult)
		out := make([]any, len(rs))
		for i, r := range rs {
			out[i] = r.Value
		}
		return out, nil
	})
}
