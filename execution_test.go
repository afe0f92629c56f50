package prikke_test

import (
	"testing"
	"time"

	"github.com/prikke/prikke"
)

func TestRetryDelay(t *testing.T) {
	zero := func() float64 { return 0 }
	most := func() float64 { return 0.999999 }
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		rnd        func() float64
		want       time.Duration
	}{
		{"first retry", 1, 0, zero, 10 * time.Second},
		{"second", 2, 0, zero, 20 * time.Second},
		{"third", 3, 0, zero, 40 * time.Second},
		{"tenth", 10, 0, zero, 5120 * time.Second},
		{"capped at six hours", 20, 0, zero, 6 * time.Hour},
		{"huge attempt stays capped", 1 << 30, 0, zero, 6 * time.Hour},
		{"jitter adds up to a fifth", 1, 0, most, 12*time.Second - 2*time.Microsecond},
		{"jitter on the cap", 20, 0, most, 6*time.Hour + 72*time.Minute - 4320*time.Microsecond},
		{"longer Retry-After wins", 1, 2 * time.Minute, most, 2 * time.Minute},
		{"shorter Retry-After does not shorten the backoff", 3, 5 * time.Second, zero, 40 * time.Second},
		{"Retry-After capped at a day", 1, 72 * time.Hour, zero, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := prikke.RetryDelay(tt.attempt, tt.retryAfter, tt.rnd)
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("RetryDelay(%d, %s) = %s, want %s", tt.attempt, tt.retryAfter, got, tt.want)
			}
		})
	}

	// With the real random source every delay lies in [base, 1.2×base].
	for attempt := 1; attempt <= 12; attempt++ {
		base := prikke.RetryDelay(attempt, 0, zero)
		for range 200 {
			if d := prikke.RetryDelay(attempt, 0, nil); d < base || d > base+base/5 {
				t.Fatalf("attempt %d: delay %s outside [%s, %s]", attempt, d, base, base+base/5)
			}
		}
	}
}

// TestFormatInstant: instants shown to clients are UTC RFC 3339, to the
// millisecond when they have a fractional second (the due_at of a queued
// request and its Prikke-Scheduled-For are written with it).
func TestFormatInstant(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC), "2026-11-27T08:30:00Z"},
		{time.Date(2026, 11, 27, 8, 30, 0, 250_000_000, time.UTC), "2026-11-27T08:30:00.250Z"},
		{time.Date(2026, 11, 27, 8, 30, 0, 250_999_999, time.UTC), "2026-11-27T08:30:00.250Z"},
		{time.Date(2026, 11, 27, 8, 30, 0, 999_999, time.UTC), "2026-11-27T08:30:00Z"},
		{time.Date(2026, 11, 27, 9, 30, 0, 7_000_000, time.FixedZone("CET", 3600)), "2026-11-27T08:30:00.007Z"},
	} {
		if got := prikke.FormatInstant(tc.at); got != tc.want {
			t.Errorf("prikke.FormatInstant(%s) = %q, want %q", tc.at, got, tc.want)
		}
	}
}
