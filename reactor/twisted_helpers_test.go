package reactor

import (
	"encoding/json"
	"time"
)

// What the tests that compare braid with Twisted itself (*_twisted_test.go,
// through internal/twistedtest) share in this package.

// twistedModule is what a Python must import to play these programs.
const twistedModule = "twisted.internet.defer"

// twistedTimeout bounds one run of a testdata script.
const twistedTimeout = 2 * time.Minute

// jsonMarshal is json.Marshal, for String methods of test programs.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
