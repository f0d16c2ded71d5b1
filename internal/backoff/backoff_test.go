package backoff

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		waited, initial, most time.Duration
		growth                float64
		want                  time.Duration
	}{
		{"defaults, just spawned", 0, 0, 0, 0, time.Millisecond},
		{"defaults, one second in", time.Second, 0, 0, 0, 5 * time.Millisecond},
		{"defaults, capped", time.Hour, 0, 0, 0, 100 * time.Millisecond},
		{"own knobs", 10 * time.Second, 2 * time.Millisecond, time.Second, 0.01, 100 * time.Millisecond},
		{"negative knobs take defaults", time.Second, -1, -1, -1, 5 * time.Millisecond},
	} {
		if got := Next(tc.waited, tc.initial, tc.most, tc.growth); got != tc.want {
			t.Errorf("%s: Next = %v, want %v", tc.name, got, tc.want)
		}
	}
}
