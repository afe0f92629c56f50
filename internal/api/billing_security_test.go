package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing/billingtest"
	"github.com/prikke/prikke/internal/monitor"
)

// downgraded returns a Free organization that was Pro: 5 hourly jobs keep
// running and its monitor (the newest item) is paused for the plan.
func downgraded(t *testing.T, s *server, subID string) (*tenant, string) {
	t.Helper()
	tn := s.newTenant(prikke.TierFree)
	org := tn.org.ID.String()
	at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
	sub := billingtest.ProSubscription(subID, at)
	s.deliverSub(t, "subscription_created", sub, org, prikke.BillingApplied)
	for i := range 5 {
		s.storeOldJob(t, tn, func(j *prikke.Job) { j.Name = fmt.Sprint("hourly ", i) })
	}
	r := s.withKey(tn.key).do("POST", "/api/v1/monitors", map[string]any{"project_id": tn.project.ID.String(), "name": "backup",
		"slug": "backup", "period": "10m", "grace": "5m"})
	if r.Status != 201 {
		t.Fatalf("create monitor = %d %s", r.Status, r.Body)
	}
	var mon struct{ ID string }
	r.json(t, &mon)
	exp := *sub
	exp.Status, exp.EndsAt, exp.UpdatedAt = prikke.SubscriptionExpired, &at, at.Add(time.Minute)
	s.deliverSub(t, "subscription_expired", &exp, org, prikke.BillingApplied)
	if st := monitorState(t, s, tn, mon.ID); st != "paused plan" {
		t.Fatalf("after the downgrade the monitor is %q; want paused plan", st)
	}
	return tn, mon.ID
}

// monitorState is a monitor's status and pause reason, as the API shows
// them ("paused plan").
func monitorState(t *testing.T, s *server, tn *tenant, id string) string {
	t.Helper()
	var m struct {
		Status      string
		PauseReason *string `json:"pause_reason"`
	}
	s.withKey(tn.key).do("GET", "/api/v1/monitors/"+id, nil).json(t, &m)
	if m.PauseReason != nil {
		return m.Status + " " + *m.PauseReason
	}
	return m.Status
}

// A ping resumes a monitor its user paused, but not one a downgrade
// paused: otherwise every monitor still pinged would run again on Free at
// its next ping, past the plan's limit.
func TestBillingPlanPausedMonitorIgnoresPings(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		tn, id := downgraded(t, s, "9401")
		mid, _ := prikke.ParseID(id)
		ping := &prikke.Ping{ID: prikke.NewID(), MonitorID: mid, ProjectID: tn.project.ID, Kind: prikke.PingSuccess,
			Method: "POST", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		if _, err := s.store.PingsRecord(context.Background(), []*prikke.Ping{ping}, monitor.OnPing); err != nil {
			t.Fatal(err)
		}
		if st := monitorState(t, s, tn, id); st != "paused plan" {
			t.Errorf("after a ping the plan-paused monitor is %q; want paused plan", st)
		}
	})
}

// tenantWithEmail is newTenant with a confirmed user of this email.
func (s *server) tenantWithEmail(t *testing.T, email string) *tenant {
	t.Helper()
	ctx := context.Background()
	pw := "a long and unusual passphrase"
	u, err := s.svc.CreateConfirmedUser(ctx, email, pw, prikke.TierFree)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.store.OrganizationGetPersonal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := s.store.ProjectListByOrganization(ctx, o.ID)
	full, k, err := s.svc.CreateAPIKeyForUser(ctx, u.Email, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &tenant{user: u, org: o, project: ps[0], key: full, keyRow: k, pw: pw}
}

// A subscription is claimed by the exact address it was bought with (up
// to ASCII case): Unicode case folding would let "ſam@…" (long s, which
// folds to s) claim what sam@… bought, though mail to the two goes to
// different mailboxes.
func TestBillingClaimEmailExact(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		n := time.Now().UnixNano()
		victim := fmt.Sprintf("sam.%d@example.com", n)
		mallory := s.tenantWithEmail(t, fmt.Sprintf("ſam.%d@example.com", n))
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		sub := billingtest.ProSubscription("9501", at)
		sub.CustomerEmail = victim
		s.deliverSub(t, "subscription_created", sub, "", prikke.BillingUnclaimed)

		malloryS := s.login(mallory)
		r := malloryS.do("POST", "/api/v1/organizations/"+mallory.org.ID.String()+"/billing/claim", map[string]string{"subscription_id": "9501"})
		if r.Status != 404 {
			t.Errorf("%s claims %s's subscription = %d %s; want 404", mallory.user.Email, victim, r.Status, truncate(r.Body))
		}
		if got := s.tierOf(t, mallory); got != "free" {
			t.Errorf("mallory's tier %s; want free", got)
		}

		// The buyer with the address in another ASCII case still claims it.
		owner := s.tenantWithEmail(t, strings.ToUpper(victim))
		r = s.login(owner).do("POST", "/api/v1/organizations/"+owner.org.ID.String()+"/billing/claim", map[string]string{"subscription_id": "9501"})
		if r.Status != 200 {
			t.Errorf("the buyer claims = %d %s; want 200", r.Status, truncate(r.Body))
		}
	})
}

// Resuming counts what runs and writes in separate steps: concurrent
// resumes of plan-paused jobs must still leave at most Free's 5 running.
func TestBillingConcurrentResumeCap(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		tn := s.newTenant(prikke.TierFree)
		org := tn.org.ID.String()
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		sub := billingtest.ProSubscription("9601", at)
		s.deliverSub(t, "subscription_created", sub, org, prikke.BillingApplied)
		var ids []string
		for i := range 15 {
			j := s.storeOldJob(t, tn, func(j *prikke.Job) { j.Name = fmt.Sprint("hourly ", i) })
			ids = append(ids, j.ID.String())
		}
		c := s.withKey(tn.key)
		var mons []string
		for i := range 4 {
			r := c.do("POST", "/api/v1/monitors", map[string]any{"project_id": tn.project.ID.String(), "name": fmt.Sprint("m", i),
				"slug": fmt.Sprint("m", i), "period": "10m", "grace": "5m"})
			var m struct{ ID string }
			r.json(t, &m)
			mons = append(mons, m.ID)
		}
		exp := *sub
		exp.Status, exp.EndsAt, exp.UpdatedAt = prikke.SubscriptionExpired, &at, at.Add(time.Minute)
		s.deliverSub(t, "subscription_expired", &exp, org, prikke.BillingApplied)
		// Free runs the 5 oldest; pause one so 4 run and one more may resume.
		if r := c.do("POST", "/api/v1/jobs/"+ids[0]+"/pause", nil); r.Status != 200 {
			t.Fatalf("pause = %d %s", r.Status, truncate(r.Body))
		}
		var wg sync.WaitGroup
		for _, id := range ids[5:] {
			wg.Go(func() { c.do("POST", "/api/v1/jobs/"+id+"/resume", nil) })
		}
		for _, id := range mons {
			wg.Go(func() { c.do("POST", "/api/v1/monitors/"+id+"/resume", nil) })
		}
		wg.Wait()
		running := 0
		for _, id := range mons {
			if st := monitorState(t, s, tn, id); !strings.HasPrefix(st, "paused") {
				running++
			}
		}
		for _, id := range ids {
			var j struct{ Enabled bool }
			c.do("GET", "/api/v1/jobs/"+id, nil).json(t, &j)
			if j.Enabled {
				running++
			}
		}
		if running > 5 {
			t.Errorf("%d jobs run on Free after concurrent resumes; want at most 5", running)
		}
	})
}
