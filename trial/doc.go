// Package trial ports the parts of Twisted's trial test runner that ported
// test suites rely on, to plain `go test`: a test returns a Deferred and
// trial.Run runs a fresh reactor until it fires (failing the test with the
// Failure's traceback if it errbacks, or after a timeout); after every test
// a dirty-reactor check reports and cleans up what the test left behind
// (pending calls, open descriptors, live children, suspended
// InlineCallbacks bodies); errors logged during the test fail it unless
// flushed with [FlushLoggedErrors]; and [SuccessResultOf], [FailureResultOf],
// [AssertNoResult] and [AssertFailure] are trial's synchronous helpers.
//
// It differs from trial where Go or safety asks for it: child processes a
// test leaves running are killed and reaped, not leaked (W-04); descriptors
// left registered are told ConnectionLost so they close; unhandled errors
// in Deferreds are reported at the end of the test that left them, not when
// the garbage collector gets to them (D-15); cleanups have a timeout too;
// and tests marked t.Parallel run in parallel, each with its own reactor
// and its own reports (see Run). PORTING.md, at the root of the module,
// maps trial idioms to this package; docs/SEMANTICS.md explains the rule
// ids.
//
// A test function looks like this:
//
//	func TestEcho(t *testing.T) {
//		trial.Run(t, func(r *braid.Reactor) *reactor.Deferred {
//			d := startSomething(r)
//			d.AddCallback(func(v any) (any, error) {
//				if v != "expected" {
//					t.Errorf("got %v", v)
//				}
//				return nil, nil
//			})
//			return d
//		})
//	}
package trial
