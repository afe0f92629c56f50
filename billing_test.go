package prikke_test

import (
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestSubscriptionTier is the status → tier table, with the EndsAt
// boundary to the microsecond and the variant check.
func TestSubscriptionTier(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	before, after := now.Add(time.Microsecond), now
	for _, c := range []struct {
		name    string
		status  prikke.SubscriptionStatus
		pause   string
		endsAt  *time.Time
		variant string
		want    prikke.Tier
	}{
		{"on trial", prikke.SubscriptionOnTrial, "", nil, "pro", prikke.TierPro},
		{"active", prikke.SubscriptionActive, "", nil, "pro", prikke.TierPro},
		{"past due", prikke.SubscriptionPastDue, "", nil, "pro", prikke.TierPro},
		{"cancelled before ends_at", prikke.SubscriptionCancelled, "", &before, "pro", prikke.TierPro},
		{"cancelled at ends_at", prikke.SubscriptionCancelled, "", &after, "pro", prikke.TierFree},
		{"cancelled without ends_at", prikke.SubscriptionCancelled, "", nil, "pro", prikke.TierFree},
		{"active past its ends_at", prikke.SubscriptionActive, "", &after, "pro", prikke.TierFree},
		{"paused free", prikke.SubscriptionPaused, prikke.PauseModeFree, nil, "pro", prikke.TierPro},
		{"paused void", prikke.SubscriptionPaused, prikke.PauseModeVoid, nil, "pro", prikke.TierFree},
		{"unpaid", prikke.SubscriptionUnpaid, "", nil, "pro", prikke.TierFree},
		{"expired", prikke.SubscriptionExpired, "", nil, "pro", prikke.TierFree},
		{"unknown status", "strange", "", nil, "pro", prikke.TierFree},
		{"active, another variant", prikke.SubscriptionActive, "", nil, "other", prikke.TierFree},
	} {
		s := &prikke.Subscription{Status: c.status, PauseMode: c.pause, EndsAt: c.endsAt, VariantID: c.variant}
		if got := s.Tier(now, "pro"); got != c.want {
			t.Errorf("%s: tier %s, want %s", c.name, got, c.want)
		}
	}
}

func TestTierOfAndNextChange(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ends := now.Add(time.Hour)
	cancelled := &prikke.Subscription{Status: prikke.SubscriptionCancelled, EndsAt: &ends, VariantID: "v"}
	expired := &prikke.Subscription{Status: prikke.SubscriptionExpired, VariantID: "v"}
	if got := prikke.TierOf(prikke.TierFree, []*prikke.Subscription{expired, cancelled}, now, "v"); got != prikke.TierPro {
		t.Errorf("one subscription granting Pro: %s", got)
	}
	if got := prikke.TierOf(prikke.TierFree, []*prikke.Subscription{expired, cancelled}, ends, "v"); got != prikke.TierFree {
		t.Errorf("at ends_at: %s", got)
	}
	if got := prikke.TierOf(prikke.TierPro, []*prikke.Subscription{expired}, now, "v"); got != prikke.TierPro {
		t.Errorf("an operator's Pro base tier: %s", got)
	}
	if n := cancelled.NextChange(now); n == nil || !n.Equal(ends) {
		t.Errorf("NextChange before ends_at: %v", n)
	}
	if n := cancelled.NextChange(ends); n != nil {
		t.Errorf("NextChange at ends_at: %v", n)
	}
}

// TestPlanPauses: minute-level crons pause first, then everything beyond
// the limit, newest first, jobs and monitors together.
func TestPlanPauses(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var jobs []*prikke.Job
	var monitors []*prikke.Monitor
	at := 0
	job := func(interval int) *prikke.Job {
		at++
		j := &prikke.Job{ID: prikke.NewID(), Kind: prikke.JobKindCron, IntervalMinutes: interval, CreatedAt: t0.Add(time.Duration(at) * time.Minute)}
		jobs = append(jobs, j)
		return j
	}
	monitor := func() *prikke.Monitor {
		at++
		m := &prikke.Monitor{ID: prikke.NewID(), CreatedAt: t0.Add(time.Duration(at) * time.Minute)}
		monitors = append(monitors, m)
		return m
	}
	minute := job(1)   // paused: every minute
	job(60)            // oldest: kept
	monitor()          // kept
	fifteen := job(15) // paused: every 15 minutes
	job(1440)          // kept
	once := &prikke.Job{ID: prikke.NewID(), Kind: prikke.JobKindOnce, CreatedAt: t0.Add(10 * time.Minute)}
	jobs = append(jobs, once) // kept (5th)
	at = 10
	monitor()         // kept (4th, created before once)
	late1 := job(120) // beyond 5
	m3 := monitor()   // beyond 5
	// Reverse the inputs: the order they come in must not matter.
	for i, j := 0, len(jobs)-1; i < j; i, j = i+1, j-1 {
		jobs[i], jobs[j] = jobs[j], jobs[i]
	}
	pj, pm := prikke.PlanPauses(prikke.TierFree.Limits(), jobs, monitors)
	wantJobs := []*prikke.Job{minute, fifteen, late1}
	if len(pj) != len(wantJobs) {
		t.Fatalf("paused %d jobs, want %d", len(pj), len(wantJobs))
	}
	for i := range pj {
		if pj[i] != wantJobs[i] {
			t.Errorf("paused job %d: created %s, want created %s", i, pj[i].CreatedAt, wantJobs[i].CreatedAt)
		}
	}
	if len(pm) != 1 || pm[0] != m3 {
		t.Errorf("paused monitors %v, want only the newest", pm)
	}
	if pj, pm := prikke.PlanPauses(prikke.TierPro.Limits(), jobs, monitors); len(pj) != 0 || len(pm) != 0 {
		t.Errorf("Pro pauses %d jobs and %d monitors", len(pj), len(pm))
	}
}
