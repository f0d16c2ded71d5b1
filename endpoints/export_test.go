package endpoints

import (
	"context"
	"net/netip"
)

// SetLookupIP6 replaces the resolver TCP6ClientEndpoint uses for host names
// until the returned function restores it.
func SetLookupIP6(f func(ctx context.Context, host string) ([]netip.Addr, error)) (restore func()) {
	old := lookupIP6
	lookupIP6 = f
	return func() { lookupIP6 = old }
}
