package monitor

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestConcurrentSteps runs steps on many goroutines at once, each on its
// own monitor, with expressions and zones shared and not (run with -race:
// the caches must be safe).
func TestConcurrentSteps(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			m := daily("*/" + strconv.Itoa(5+g%3) + " * * * *")
			m.TimeZone = []string{"Europe/Oslo", "America/New_York", "UTC"}[g%3]
			m.MaxRuntime = 2 * time.Minute
			m.Window = prikke.Window{Cron: "0 " + strconv.Itoa(g) + " * * *", TimeZone: m.TimeZone, Duration: time.Hour}
			now := base
			for i := range 200 {
				now = now.Add(time.Duration(i%7) * time.Minute)
				kind := []prikke.PingKind{prikke.PingStart, prikke.PingSuccess, prikke.PingFail}[i%3]
				OnPing(m, &prikke.Ping{Kind: kind, CreatedAt: now})
				if m.DeadlineAt != nil && !m.DeadlineAt.After(now) {
					OnDeadline(m, now, Outage{})
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkOnPing is the cost of one success ping on a cron monitor with
// a maintenance window (the store holds the monitor's lock meanwhile).
func BenchmarkOnPing(b *testing.B) {
	m := daily("*/5 * * * *")
	m.Window = prikke.Window{Cron: "0 3 * * *", TimeZone: "Europe/Oslo", Duration: time.Hour}
	p := &prikke.Ping{Kind: prikke.PingSuccess}
	now := base
	for b.Loop() {
		now = now.Add(time.Minute)
		p.CreatedAt = now
		OnPing(m, p)
	}
}

// BenchmarkOnDeadline is the cost of one missed-ping deadline (down and
// back up on each round).
func BenchmarkOnDeadline(b *testing.B) {
	m := every(time.Minute, time.Minute)
	now := base
	for b.Loop() {
		OnPing(m, &prikke.Ping{Kind: prikke.PingSuccess, CreatedAt: now})
		now = *m.DeadlineAt
		OnDeadline(m, now, Outage{})
	}
}
