package trial

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"

	"github.com/braid-go/braid/reactor"
)

// Logged errors (TR-07). During Run, the reactor logs to a
// reactor.LogCapture: everything it logs (panics in timed calls and protocol
// methods, errors transports log, Deferreds collected with an unhandled
// error) and every unhandled error in the test's Deferreds is kept; at the
// end of the test each error still kept fails it. FlushLoggedErrors takes
// the expected ones out first. Records without an error (what code logs
// through the reactor's Logger) are shown with t.Log, as Twisted's trial
// writes them to test.log.

// whyUnhandled is the ErrorEvent.Why of an unhandled error in a Deferred,
// as Twisted logs it.
const whyUnhandled = "Unhandled error in Deferred"

// flushUnhandled takes the test's Deferreds' unhandled Failures that match.
func (ru *testRun) flushUnhandled(match func(*reactor.Failure) bool) []*reactor.Failure {
	var out []*reactor.Failure
	for _, err := range ru.scope.Flush(func(err error) bool { return match(err.(*reactor.Failure)) }) {
		out = append(out, err.(*reactor.Failure))
	}
	return out
}

// FlushLoggedErrors ports flushLoggedErrors (TR-07): it removes from the
// running test's record the logged errors matching kinds (all of them when
// kinds is empty) and returns their Failures, oldest first, so that they no
// longer fail the test. Failures that live Deferreds still hold unhandled
// are taken too when they match: what Twisted would log once such a
// Deferred is collected (the `del d; gc.collect()` before flushLoggedErrors
// in Twisted's tests is not needed). A kind matches as errors.Is does;
// [OfType] matches by type. t must be the test given to the Run in progress.
func FlushLoggedErrors(t TB, kinds ...error) []*reactor.Failure {
	t.Helper()
	ru := runFor(t)
	if ru == nil {
		t.Errorf("trial.FlushLoggedErrors: no trial.Run in progress for %s", t.Name())
		return nil
	}
	match := func(f *reactor.Failure) bool { return matches(f, kinds) }
	var out []*reactor.Failure
	for _, rec := range ru.capture.Take(func(rec slog.Record) bool {
		ev, ok := reactor.ErrorEventOf(rec)
		return ok && match(ev.Failure)
	}) {
		ev, _ := reactor.ErrorEventOf(rec)
		out = append(out, ev.Failure)
	}
	return append(out, ru.flushUnhandled(match)...)
}

// reportLogged fails the test with every error still recorded, after
// collecting the unhandled errors Deferreds still hold (D-15), and shows
// the other records with t.Log.
func (ru *testRun) reportLogged() {
	recs := ru.capture.Take(func(slog.Record) bool { return true })
	var errs []reactor.ErrorEvent
	for _, rec := range recs {
		if ev, ok := reactor.ErrorEventOf(rec); ok {
			errs = append(errs, ev)
		} else {
			ru.t.Logf("trial: logged: %s", reactor.RecordText(rec))
		}
	}
	for _, f := range ru.flushUnhandled(func(*reactor.Failure) bool { return true }) {
		errs = append(errs, reactor.ErrorEvent{Failure: f, Why: whyUnhandled})
	}
	for _, ev := range errs {
		ru.t.Errorf("trial: logged error (%s), not flushed with trial.FlushLoggedErrors:\n%s", ev.Why, ev.Failure.Traceback())
	}
}

// kindMatcher is a kind that matches by something other than errors.Is.
type kindMatcher interface {
	matchFailure(f *reactor.Failure) bool
}

// matches reports whether f matches one of kinds; no kinds match anything.
func matches(f *reactor.Failure, kinds []error) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if m, ok := k.(kindMatcher); ok {
			if m.matchFailure(f) {
				return true
			}
		} else if errors.Is(f, k) {
			return true
		}
	}
	return false
}

// OfType returns a kind for [FailureResultOf], [AssertFailure] and
// [FlushLoggedErrors] that matches any error of type T in the chain (as
// errors.As does): the Go spelling of passing an exception class to trial,
// for error types that are not sentinels, such as *reactor.FirstError.
func OfType[T error]() error { return typeKind[T]{} }

type typeKind[T error] struct{}

func (typeKind[T]) Error() string { return "error of type " + reflect.TypeFor[T]().String() }

func (typeKind[T]) matchFailure(f *reactor.Failure) bool {
	_, ok := errors.AsType[T](f)
	return ok
}

// describeKinds prints kinds for a failure message: the type for [OfType],
// the quoted message for a sentinel.
func describeKinds(kinds []error) string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		if _, ok := k.(kindMatcher); ok {
			parts[i] = k.Error()
		} else {
			parts[i] = fmt.Sprintf("%q", k.Error())
		}
	}
	return "(" + strings.Join(parts, " or ") + ")"
}
