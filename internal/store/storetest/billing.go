package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testBilling(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(t *testing.T, open Opener, cov *coverage){
		"Record":              testBillingRecord,
		"RecordOrgDeleted":    testBillingRecordOrgDeleted,
		"SubscriptionList":    testSubscriptionList,
		"SubscriptionClaim":   testSubscriptionClaim,
		"EventList":           testBillingEventList,
		"BaseTier":            testOrganizationBaseTier,
		"PauseReasonColumns":  testPauseReasonColumns,
		"PlanChange":          testPlanChange,
		"PlanChangeEnforce":   testPlanChangeEnforce,
		"OccurrencePriority":  testOccurrencePriority,
		"CreateWithin":        testCreateWithin,
		"CreateWithinMixed":   testCreateWithinMixed,
		"CreateWithinNoLimit": testCreateWithinNoLimit,
		"CreateWithinStored":  testCreateWithinStoredTier,
		"JobPauseFor":         testJobPauseFor,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

// newSubscription returns an active Pro subscription of org (nil:
// unclaimed), last updated at updated.
func newSubscription(id string, org *prikke.ID, updated time.Time) *prikke.Subscription {
	renews := updated.Add(30 * 24 * time.Hour)
	return &prikke.Subscription{ID: id, OrganizationID: org, StoreID: "1", CustomerID: "c" + id, OrderID: "o" + id, ProductID: "p1",
		VariantID: "v-pro", Status: prikke.SubscriptionActive, CustomerEmail: "Buyer@Example.com", CustomerName: "Buyer",
		CardBrand: "visa", CardLastFour: "4242", RenewsAt: &renews, CreatedAt: T0, UpdatedAt: updated, SyncedAt: updated.Add(time.Second)}
}

// newBillingEvent returns a delivery received at at.
func newBillingEvent(name, subID string, org *prikke.ID, at time.Time) *prikke.BillingEvent {
	return &prikke.BillingEvent{Hash: fmt.Sprintf("%064x", seq.Add(1)), Name: name, SubscriptionID: subID, OrganizationID: org, ReceivedAt: at}
}

func idp(id prikke.ID) *prikke.ID { return &id }

// wantSubscription fails t unless the stored subscription id is want.
func wantSubscription(t *testing.T, s store.Store, want *prikke.Subscription) {
	t.Helper()
	got, err := s.SubscriptionGet(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("SubscriptionGet(%s): %v", want.ID, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored subscription:\n%+v\nwant:\n%+v", got, want)
	}
}

func record(t *testing.T, s store.Store, ev *prikke.BillingEvent, sub *prikke.Subscription, want string) {
	t.Helper()
	got, err := s.BillingRecord(context.Background(), ev, sub)
	if err != nil || got != want {
		t.Fatalf("BillingRecord(%v) = %q, %v; want %q", ev, got, err, want)
	}
	if ev != nil && want != store.BillingDuplicate && ev.Outcome != want {
		t.Fatalf("ev.Outcome = %q, want %q", ev.Outcome, want)
	}
}

func testBillingRecord(t *testing.T, open Opener, cov *coverage) {
	cov.covers("BillingRecord", "SubscriptionGet")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierFree)
	org := idp(tn.Org.ID)

	_, err := s.SubscriptionGet(ctx, "nope")
	Errcode(t, err, prikke.ENOTFOUND)

	// Applied: written as it came, and the delivery recorded.
	sub := newSubscription("101", org, T0.Add(time.Minute))
	ev := newBillingEvent("subscription_created", sub.ID, org, T0.Add(time.Minute))
	record(t, s, ev, sub, prikke.BillingApplied)
	wantSubscription(t, s, sub)

	// A replay changes nothing, even carrying a newer copy.
	replay := *ev
	replay.Outcome = ""
	newer := *sub
	newer.Status, newer.UpdatedAt = prikke.SubscriptionCancelled, T0.Add(time.Hour)
	record(t, s, &replay, &newer, store.BillingDuplicate)
	wantSubscription(t, s, sub)
	if evs, err := s.BillingEventList(ctx, tn.Org.ID, 10); err != nil || len(evs) != 1 || evs[0].Outcome != prikke.BillingApplied {
		t.Fatalf("events after a replay = %+v, %v; want the first delivery alone", evs, err)
	}

	// An older copy, or one as old, is stale: recorded, nothing written.
	for _, at := range []time.Time{T0, T0.Add(time.Minute)} {
		old := *sub
		old.Status, old.UpdatedAt = prikke.SubscriptionExpired, at
		ev := newBillingEvent("subscription_expired", sub.ID, org, T0.Add(2*time.Minute))
		record(t, s, ev, &old, prikke.BillingStale)
		wantSubscription(t, s, sub)
	}

	// updated delivered before created: created (older) is stale, the
	// updated copy stays.
	upd := newSubscription("102", org, T0.Add(2*time.Minute))
	upd.Status = prikke.SubscriptionPastDue
	record(t, s, newBillingEvent("subscription_updated", upd.ID, org, T0.Add(3*time.Minute)), upd, prikke.BillingApplied)
	record(t, s, newBillingEvent("subscription_created", upd.ID, org, T0.Add(4*time.Minute)), newSubscription("102", org, T0.Add(time.Minute)), prikke.BillingStale)
	wantSubscription(t, s, upd)

	// Naming no known organization: kept, unclaimed.
	ghost := idp(prikke.NewID())
	un := newSubscription("103", ghost, T0.Add(time.Minute))
	unEv := newBillingEvent("subscription_created", un.ID, ghost, T0.Add(5*time.Minute))
	record(t, s, unEv, un, prikke.BillingUnclaimed)
	stored := *un
	stored.OrganizationID = nil
	wantSubscription(t, s, &stored)
	if un.OrganizationID != ghost {
		t.Error("BillingRecord changed the caller's subscription")
	}

	// A claimed subscription keeps its organization when a newer copy
	// names none.
	noOrg := newSubscription("101", nil, T0.Add(10*time.Minute))
	noOrg.Status = prikke.SubscriptionCancelled
	ends := T0.Add(40 * 24 * time.Hour)
	noOrg.EndsAt = &ends
	record(t, s, newBillingEvent("subscription_cancelled", noOrg.ID, nil, T0.Add(6*time.Minute)), noOrg, prikke.BillingApplied)
	kept := *noOrg
	kept.OrganizationID = org
	wantSubscription(t, s, &kept)

	// A re-sync (no event) writes on the same newer-only rule.
	resync := kept
	resync.Status, resync.UpdatedAt, resync.SyncedAt = prikke.SubscriptionActive, T0.Add(20*time.Minute), T0.Add(21*time.Minute)
	resync.EndsAt = nil
	record(t, s, nil, &resync, prikke.BillingApplied)
	wantSubscription(t, s, &resync)
	stale := resync
	stale.Status, stale.UpdatedAt = prikke.SubscriptionExpired, T0.Add(15*time.Minute)
	record(t, s, nil, &stale, prikke.BillingStale)
	wantSubscription(t, s, &resync)

	// A payment event keeps the outcome the caller set and leaves the
	// subscription alone; it belongs to its subscription's organization.
	pay := newBillingEvent("subscription_payment_failed", "101", nil, T0.Add(30*time.Minute))
	pay.Outcome, pay.InvoiceStatus, pay.InvoiceTotal, pay.TestMode = prikke.BillingPayment, "failed", "900", true
	record(t, s, pay, nil, prikke.BillingPayment)
	wantSubscription(t, s, &resync)
	ignored := newBillingEvent("order_created", "", org, T0.Add(31*time.Minute))
	record(t, s, ignored, nil, prikke.BillingIgnored)
	if _, err := s.BillingRecord(ctx, nil, nil); err == nil {
		t.Error("BillingRecord(nil, nil) succeeded")
	}

	evs, err := s.BillingEventList(ctx, tn.Org.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Name+" "+e.Outcome)
	}
	want := []string{"order_created ignored", "subscription_payment_failed payment", "subscription_cancelled applied",
		"subscription_created stale", "subscription_updated applied",
		"subscription_expired stale", "subscription_expired stale", "subscription_created applied"}
	if !slices.Equal(got, want) {
		t.Fatalf("the organization's deliveries, newest first:\n%q\nwant:\n%q", got, want)
	}
	p := evs[1]
	if p.Hash != pay.Hash || p.SubscriptionID != "101" || p.InvoiceStatus != "failed" || p.InvoiceTotal != "900" || !p.TestMode ||
		!p.ReceivedAt.Equal(pay.ReceivedAt) || p.ReceivedAt.Location() != time.UTC || p.OrganizationID == nil || *p.OrganizationID != tn.Org.ID {
		t.Errorf("stored payment event = %+v, want %+v with the subscription's organization", p, pay)
	}
	// The unclaimed delivery belongs to no organization.
	for _, e := range evs {
		if e.Hash == unEv.Hash {
			t.Errorf("the unclaimed delivery is listed under %s", tn.Org.ID)
		}
	}
}

func testBillingRecordOrgDeleted(t *testing.T, open Opener, cov *coverage) {
	cov.covers("BillingRecord", "OrganizationDelete")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	org := idp(tn.Org.ID)
	sub := newSubscription("201", org, T0.Add(time.Minute))
	ev := newBillingEvent("subscription_created", sub.ID, org, T0.Add(time.Minute))
	record(t, s, ev, sub, prikke.BillingApplied)
	if err := s.OrganizationDelete(ctx, tn.Org.ID); err != nil {
		t.Fatal(err)
	}
	// The subscription is kept, unclaimed; the delivery too (the replay
	// guard outlives the organization).
	unclaimed := *sub
	unclaimed.OrganizationID = nil
	wantSubscription(t, s, &unclaimed)
	record(t, s, ev, sub, store.BillingDuplicate)
	// A later delivery naming the deleted organization is unclaimed.
	next := newSubscription("201", org, T0.Add(time.Hour))
	record(t, s, newBillingEvent("subscription_updated", sub.ID, org, T0.Add(time.Hour)), next, prikke.BillingUnclaimed)
	next.OrganizationID = nil
	wantSubscription(t, s, next)
	if evs, err := s.BillingEventList(ctx, tn.Org.ID, 10); err != nil || len(evs) != 0 {
		t.Errorf("deliveries of a deleted organization = %+v, %v", evs, err)
	}
}

func testSubscriptionList(t *testing.T, open Opener, cov *coverage) {
	cov.covers("SubscriptionList")
	s := open(t)
	ctx := context.Background()
	a, b := NewTenant(t, s, prikke.TierFree), NewTenant(t, s, prikke.TierFree)
	subs := []*prikke.Subscription{
		newSubscription("301", idp(a.Org.ID), T0.Add(1*time.Minute)),
		newSubscription("302", idp(b.Org.ID), T0.Add(2*time.Minute)),
		newSubscription("303", nil, T0.Add(3*time.Minute)),
		newSubscription("304", idp(a.Org.ID), T0.Add(4*time.Minute)),
		newSubscription("305", nil, T0.Add(5*time.Minute)),
	}
	subs[2].CustomerEmail = "other@example.com"
	for _, sub := range subs {
		want := prikke.BillingApplied
		if sub.OrganizationID == nil {
			want = prikke.BillingUnclaimed
		}
		record(t, s, nil, sub, want)
	}
	for _, c := range []struct {
		name string
		f    store.SubscriptionFilter
		want []string
	}{
		{"all", store.SubscriptionFilter{}, []string{"305", "304", "303", "302", "301"}},
		{"organization", store.SubscriptionFilter{OrganizationID: idp(a.Org.ID)}, []string{"304", "301"}},
		{"unclaimed", store.SubscriptionFilter{Unclaimed: true}, []string{"305", "303"}},
		{"email", store.SubscriptionFilter{Email: "BUYER@example.COM"}, []string{"305", "304", "302", "301"}},
		{"unclaimed email", store.SubscriptionFilter{Unclaimed: true, Email: "other@EXAMPLE.com"}, []string{"303"}},
		{"none", store.SubscriptionFilter{Email: "nobody@example.com"}, nil},
	} {
		got, err := s.SubscriptionList(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got == nil {
			t.Errorf("%s: nil list, want an empty one", c.name)
		}
		var ids []string
		for _, sub := range got {
			ids = append(ids, sub.ID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("%s: %v, want %v", c.name, ids, c.want)
		}
	}
}

func testSubscriptionClaim(t *testing.T, open Opener, cov *coverage) {
	cov.covers("SubscriptionClaim")
	s := open(t)
	ctx := context.Background()
	a, b := NewTenant(t, s, prikke.TierFree), NewTenant(t, s, prikke.TierFree)
	sub := newSubscription("401", nil, T0)
	record(t, s, nil, sub, prikke.BillingUnclaimed)
	Errcode(t, s.SubscriptionClaim(ctx, "401", prikke.NewID()), prikke.ENOTFOUND)
	Errcode(t, s.SubscriptionClaim(ctx, "nope", a.Org.ID), prikke.ENOTFOUND)
	if err := s.SubscriptionClaim(ctx, "401", a.Org.ID); err != nil {
		t.Fatal(err)
	}
	claimed := *sub
	claimed.OrganizationID = idp(a.Org.ID)
	wantSubscription(t, s, &claimed)
	Errcode(t, s.SubscriptionClaim(ctx, "401", b.Org.ID), prikke.ECONFLICT)
	Errcode(t, s.SubscriptionClaim(ctx, "401", a.Org.ID), prikke.ECONFLICT)
	wantSubscription(t, s, &claimed)
}

func testBillingEventList(t *testing.T, open Opener, cov *coverage) {
	cov.covers("BillingEventList")
	s := open(t)
	ctx := context.Background()
	a, b := NewTenant(t, s, prikke.TierFree), NewTenant(t, s, prikke.TierFree)
	var hashes []string
	for i, at := range []time.Duration{2, 1, 3} { // received out of order
		ev := newBillingEvent(fmt.Sprintf("e%d", i), "", idp(a.Org.ID), T0.Add(at*time.Minute))
		ev.Outcome = prikke.BillingIgnored
		record(t, s, ev, nil, prikke.BillingIgnored)
		hashes = append(hashes, ev.Hash)
	}
	other := newBillingEvent("other", "", idp(b.Org.ID), T0.Add(10*time.Minute))
	record(t, s, other, nil, prikke.BillingIgnored)

	got, err := s.BillingEventList(ctx, a.Org.ID, 2)
	if err != nil || len(got) != 2 || got[0].Hash != hashes[2] || got[1].Hash != hashes[0] {
		t.Fatalf("BillingEventList(a, 2) = %+v, %v; want e2 then e0", got, err)
	}
	if got, err := s.BillingEventList(ctx, a.Org.ID, 0); err != nil || len(got) != 3 || got[2].Hash != hashes[1] {
		t.Errorf("BillingEventList(a, 0) = %+v, %v; want all three, e1 last", got, err)
	}
	if got, err := s.BillingEventList(ctx, b.Org.ID, 10); err != nil || len(got) != 1 || got[0].Hash != other.Hash {
		t.Errorf("BillingEventList(b) = %+v, %v; want b's alone", got, err)
	}
	if got, err := s.BillingEventList(ctx, prikke.NewID(), 10); err != nil || got == nil || len(got) != 0 {
		t.Errorf("BillingEventList(unknown) = %+v, %v; want an empty list", got, err)
	}
}

func testOrganizationBaseTier(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OrganizationSetBaseTier", "OrganizationCreate", "OrganizationGet")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	if tn.Org.BaseTier != prikke.TierPro {
		t.Errorf("created organization's BaseTier = %q, want its tier", tn.Org.BaseTier)
	}
	if o, err := s.OrganizationGet(ctx, tn.Org.ID); err != nil || o.BaseTier != prikke.TierPro {
		t.Fatalf("OrganizationGet = %+v, %v; want base tier pro", o, err)
	}
	// An organization made Pro by a subscription, Free underneath.
	o := &prikke.Organization{ID: prikke.NewID(), Name: "subscribed", Tier: prikke.TierPro, BaseTier: prikke.TierFree, CreatedAt: T0, UpdatedAt: T0}
	if err := s.OrganizationCreate(ctx, o, tn.User.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OrganizationGet(ctx, o.ID); err != nil || got.Tier != prikke.TierPro || got.BaseTier != prikke.TierFree {
		t.Fatalf("OrganizationGet = %+v, %v; want tier pro, base free", got, err)
	}
	now := T0.Add(time.Hour)
	if err := s.OrganizationSetBaseTier(ctx, o.ID, prikke.TierPro, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.OrganizationGet(ctx, o.ID)
	if err != nil || got.BaseTier != prikke.TierPro || got.Tier != prikke.TierPro || !got.UpdatedAt.Equal(now) {
		t.Fatalf("after OrganizationSetBaseTier = %+v, %v", got, err)
	}
	if err := s.OrganizationSetBaseTier(ctx, tn.Org.ID, prikke.TierFree, now); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OrganizationGet(ctx, tn.Org.ID); err != nil || got.BaseTier != prikke.TierFree || got.Tier != prikke.TierPro {
		t.Fatalf("base tier set alone = %+v, %v; want the tier untouched", got, err)
	}
	Errcode(t, s.OrganizationSetBaseTier(ctx, prikke.NewID(), prikke.TierPro, now), prikke.ENOTFOUND)
}

func testPauseReasonColumns(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobUpdate", "JobGet", "JobSetEnabled", "MonitorModify", "MonitorGet")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, tn, func(j *prikke.Job) { j.Enabled, j.PauseReason, j.NextRunAt = false, prikke.PauseForPlan, nil })
	if got, err := s.JobGet(ctx, j.ID); err != nil || got.PauseReason != prikke.PauseForPlan {
		t.Fatalf("created job = %+v, %v; want its pause reason", got, err)
	}
	// A copy read before the plan paused it (enabled, no reason) renames
	// the job and leaves it paused for the plan.
	next := T0.Add(time.Hour)
	j.Name, j.Enabled, j.PauseReason, j.NextRunAt = "renamed", true, "", &next
	if err := s.JobUpdate(ctx, j); err != nil {
		t.Fatal(err)
	}
	if got, err := s.JobGet(ctx, j.ID); err != nil || got.Name != "renamed" || got.Enabled || got.PauseReason != prikke.PauseForPlan || got.NextRunAt != nil {
		t.Fatalf("updated with a copy read before the plan pause = %+v, %v; want renamed, still paused for the plan", got, err)
	}
	// A copy read paused for the plan, written after an upgrade resumed
	// the job, leaves it running.
	if err := s.JobSetEnabled(ctx, j.ID, true, &next); err != nil {
		t.Fatal(err)
	}
	j.Name, j.Enabled, j.PauseReason, j.NextRunAt = "renamed again", false, prikke.PauseForPlan, nil
	if err := s.JobUpdate(ctx, j); err != nil {
		t.Fatal(err)
	}
	if got, err := s.JobGet(ctx, j.ID); err != nil || got.Name != "renamed again" || !got.Enabled || got.PauseReason != "" || got.NextRunAt == nil || !got.NextRunAt.Equal(next) {
		t.Fatalf("updated with a copy read before the resume = %+v, %v; want renamed, still running", got, err)
	}
	if err := s.JobSetEnabled(ctx, j.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.JobGet(ctx, j.ID); err != nil || got.PauseReason != "" {
		t.Fatalf("a user's pause = %+v, %v; want no pause reason", got, err)
	}

	m := NewMonitor(t, s, tn, nil)
	if _, err := s.MonitorModify(ctx, m.ID, func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		m.Status, m.PauseReason = prikke.MonitorPaused, prikke.PauseForPlan
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.MonitorGet(ctx, m.ID); err != nil || got.PauseReason != prikke.PauseForPlan || got.Status != prikke.MonitorPaused {
		t.Fatalf("modified monitor = %+v, %v; want paused for the plan", got, err)
	}
}

// planPause and planResume are the monitor steps of the plan change
// tests: a pause clears the deadline and records a flip, a resume sets
// the monitor new.
func planPause(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
	f := &prikke.MonitorFlip{ID: prikke.NewID(), Event: prikke.EventMonitorDown, From: m.Status, To: prikke.MonitorPaused, Detail: "plan", CreatedAt: now}
	m.Status, m.DeadlineAt, m.DueAt = prikke.MonitorPaused, nil, nil
	return []*prikke.MonitorFlip{f}
}

func planResume(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
	m.Status = prikke.MonitorNew
	return nil
}

// planNextRun is the plan change tests' NextRun: a cron job's interval
// after now, a one-time job's RunAt.
func planNextRun(j *prikke.Job, now time.Time) *time.Time {
	if j.Kind == prikke.JobKindOnce {
		return j.RunAt
	}
	t := now.Add(time.Duration(j.IntervalMinutes) * time.Minute)
	return &t
}

func testPlanChange(t *testing.T, open Opener, cov *coverage) {
	cov.covers("PlanChange", "ExecutionGet", "ExecutionClaim", "MonitorFlipClaim", "JobList", "MonitorList")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	other := NewTenant(t, s, prikke.TierPro)

	// What the Pro organization has, in creation order: hourly crons,
	// one-time jobs, minute crons (every 1, 5 and 15 minutes), monitors
	// and a job its user paused. A downgrade to Free (5, hourly at most)
	// pauses the minute crons and, of the other 13 active, the 8 newest.
	type item struct {
		what   string // hourly, once, minute, monitor, user-paused
		every  int
		paused bool
	}
	spec := []item{
		{"hourly", 60, false}, {"minute", 1, true}, {"monitor", 0, false}, {"once", 0, false}, {"minute", 5, true},
		{"hourly", 120, false}, {"user-paused", 60, false}, {"monitor", 0, false}, {"hourly", 60, true}, {"minute", 15, true},
		{"monitor", 0, true}, {"once", 0, true}, {"hourly", 60, true}, {"hourly", 1440, true}, {"once", 0, true},
		{"hourly", 60, true}, {"monitor", 0, true},
	}
	var jobs []*prikke.Job
	var monitors []*prikke.Monitor
	var wantJobs, wantMonitors []prikke.ID
	var userPaused *prikke.Job
	pending := map[prikke.ID]*prikke.Execution{}
	for i, it := range spec {
		at := T0.Add(time.Duration(i) * time.Minute)
		if it.what == "monitor" {
			m := NewMonitor(t, s, tn, func(m *prikke.Monitor) {
				m.CreatedAt, m.UpdatedAt = at, at
				due, deadline := at.Add(m.Period), at.Add(m.Period+m.Grace)
				m.Status, m.DueAt, m.DeadlineAt = prikke.MonitorUp, &due, &deadline
			})
			monitors = append(monitors, m)
			if it.paused {
				wantMonitors = append(wantMonitors, m.ID)
			}
			continue
		}
		j := NewJob(t, s, tn, func(j *prikke.Job) {
			switch it.what {
			case "once":
				Once(T0.Add(48 * time.Hour))(j)
			case "minute":
				j.CronExpression = fmt.Sprintf("*/%d * * * *", it.every)
			default:
				j.CronExpression = "0 * * * *"
			}
			if it.what != "once" {
				j.IntervalMinutes = it.every
			}
			if it.what == "user-paused" {
				j.Enabled, j.NextRunAt = false, nil
			}
			j.CreatedAt, j.UpdatedAt = at, at
		})
		jobs = append(jobs, j)
		if it.paused {
			wantJobs = append(wantJobs, j.ID)
		}
		if it.what == "user-paused" {
			userPaused = j
			continue
		}
		pending[j.ID] = NewExecution(t, s, j, prikke.TierPro, T0)
	}
	if len(jobs) != 13 || len(monitors) != 4 || len(wantJobs) != 9 || len(wantMonitors) != 2 {
		t.Fatalf("fixture: %d jobs, %d monitors, %d+%d to pause", len(jobs), len(monitors), len(wantJobs), len(wantMonitors))
	}
	// Another organization's execution, due after all of these.
	otherJob := NewJob(t, s, other, Once(T0.Add(time.Second)))
	otherFirst := NewExecution(t, s, otherJob, prikke.TierPro, T0.Add(time.Second))

	down := &store.PlanChange{OrganizationID: tn.Org.ID, To: prikke.TierFree, At: T0.Add(time.Hour),
		NextRun: planNextRun, PauseMonitor: planPause, ResumeMonitor: planResume}
	res, err := s.PlanChange(ctx, down)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != prikke.TierPro || res.To != prikke.TierFree {
		t.Errorf("downgrade = %s → %s", res.From, res.To)
	}
	if got := jobIDs(res.Jobs); !slices.Equal(got, wantJobs) {
		t.Errorf("downgrade paused jobs\n%v\nwant (creation order)\n%v", got, wantJobs)
	}
	if got := monitorIDs(res.Monitors); !slices.Equal(got, wantMonitors) {
		t.Errorf("downgrade paused monitors\n%v\nwant\n%v", got, wantMonitors)
	}
	if o, err := s.OrganizationGet(ctx, tn.Org.ID); err != nil || o.Tier != prikke.TierFree || !o.UpdatedAt.Equal(down.At) || o.BaseTier != prikke.TierPro {
		t.Errorf("organization after the downgrade = %+v, %v; want tier free (the base tier untouched)", o, err)
	}
	for _, j := range jobs {
		got, err := s.JobGet(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		paused := slices.Contains(wantJobs, j.ID)
		switch {
		case j == userPaused:
			if got.Enabled || got.PauseReason != "" {
				t.Errorf("the user's paused job = enabled %v, reason %q", got.Enabled, got.PauseReason)
			}
		case paused:
			if got.Enabled || got.PauseReason != prikke.PauseForPlan || got.NextRunAt != nil {
				t.Errorf("paused job %s = enabled %v, reason %q, next %v", j.Name, got.Enabled, got.PauseReason, got.NextRunAt)
			}
			_, err := s.ExecutionGet(ctx, pending[j.ID].ID)
			Errcode(t, err, prikke.ENOTFOUND)
		default:
			if !got.Enabled || got.PauseReason != "" {
				t.Errorf("kept job %s = enabled %v, reason %q", j.Name, got.Enabled, got.PauseReason)
			}
			e, err := s.ExecutionGet(ctx, pending[j.ID].ID)
			if err != nil || e.Priority != prikke.Priority(prikke.TierFree, j.Kind, j.IntervalMinutes) {
				t.Errorf("kept job %s's pending execution = %+v, %v; want Free's priority", j.Name, e, err)
			}
		}
	}
	for _, m := range monitors {
		got, err := s.MonitorGet(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(wantMonitors, m.ID) {
			if got.Status != prikke.MonitorPaused || got.PauseReason != prikke.PauseForPlan || got.DeadlineAt != nil || got.Version != m.Version+1 {
				t.Errorf("paused monitor %s = %s, reason %q, deadline %v, version %d", m.Name, got.Status, got.PauseReason, got.DeadlineAt, got.Version)
			}
		} else if got.Status != prikke.MonitorUp || got.PauseReason != "" {
			t.Errorf("kept monitor %s = %s, reason %q", m.Name, got.Status, got.PauseReason)
		}
	}
	flips, err := s.MonitorFlipClaim(ctx, down.At, 100)
	if err != nil || len(flips) != len(wantMonitors) {
		t.Errorf("flips of the downgrade = %+v, %v; want one a paused monitor", flips, err)
	}
	// The claim order follows: the other (Pro) organization's execution
	// goes first, though the downgraded one's are more overdue.
	if c := claimOne(t, s, "n1", T0.Add(time.Hour)); c.Execution.ID != otherFirst.ID {
		t.Errorf("claimed %s (job %s) first after the downgrade; want the Pro organization's", c.Execution.ID, c.Job.Name)
	}

	// Already Free: nothing happens.
	if res, err := s.PlanChange(ctx, down); err != nil || res != nil {
		t.Fatalf("second downgrade = %+v, %v; want nil, nil", res, err)
	}

	up := &store.PlanChange{OrganizationID: tn.Org.ID, To: prikke.TierPro, At: T0.Add(2 * time.Hour),
		NextRun: planNextRun, PauseMonitor: planPause, ResumeMonitor: planResume}
	res, err = s.PlanChange(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if res.From != prikke.TierFree || res.To != prikke.TierPro {
		t.Errorf("upgrade = %s → %s", res.From, res.To)
	}
	if got := jobIDs(res.Jobs); !slices.Equal(got, wantJobs) {
		t.Errorf("upgrade resumed jobs\n%v\nwant\n%v", got, wantJobs)
	}
	if got := monitorIDs(res.Monitors); !slices.Equal(got, wantMonitors) {
		t.Errorf("upgrade resumed monitors\n%v\nwant\n%v", got, wantMonitors)
	}
	for _, j := range jobs {
		got, err := s.JobGet(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case j == userPaused:
			if got.Enabled || got.PauseReason != "" {
				t.Errorf("the user's paused job after the upgrade = enabled %v, reason %q; want it still paused", got.Enabled, got.PauseReason)
			}
		case slices.Contains(wantJobs, j.ID):
			want := planNextRun(j, up.At)
			if !got.Enabled || got.PauseReason != "" || got.NextRunAt == nil || !got.NextRunAt.Equal(*want) {
				t.Errorf("resumed job %s = enabled %v, reason %q, next %v; want next %v", j.Name, got.Enabled, got.PauseReason, got.NextRunAt, want)
			}
		default:
			if !got.Enabled {
				t.Errorf("kept job %s is disabled", j.Name)
			}
			e, err := s.ExecutionGet(ctx, pending[j.ID].ID)
			if err != nil || e.Priority != prikke.Priority(prikke.TierPro, j.Kind, j.IntervalMinutes) {
				t.Errorf("kept job %s's pending execution = %+v, %v; want Pro's priority", j.Name, e, err)
			}
		}
	}
	for _, m := range monitors {
		got, err := s.MonitorGet(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PauseReason != "" || (slices.Contains(wantMonitors, m.ID) && got.Status != prikke.MonitorNew) {
			t.Errorf("monitor %s after the upgrade = %s, reason %q", m.Name, got.Status, got.PauseReason)
		}
	}
	// Pro again: the organization's most overdue goes before the other's.
	otherJob2 := NewJob(t, s, other, Once(T0.Add(time.Second)))
	NewExecution(t, s, otherJob2, prikke.TierPro, T0.Add(time.Second))
	if c := claimOne(t, s, "n1", T0.Add(2*time.Hour)); c.Execution.OrganizationID != tn.Org.ID {
		t.Errorf("claimed job %s first after the upgrade; want the upgraded organization's", c.Job.Name)
	}
	if res, err := s.PlanChange(ctx, up); err != nil || res != nil {
		t.Fatalf("second upgrade = %+v, %v; want nil, nil", res, err)
	}
	_, err = s.PlanChange(ctx, &store.PlanChange{OrganizationID: prikke.NewID(), To: prikke.TierPro, At: up.At})
	Errcode(t, err, prikke.ENOTFOUND)
}

func jobIDs(js []*prikke.Job) []prikke.ID {
	var out []prikke.ID
	for _, j := range js {
		out = append(out, j.ID)
	}
	return out
}

func monitorIDs(ms []*prikke.Monitor) []prikke.ID {
	var out []prikke.ID
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// createAtOnce runs n creates at once (create(i)) and returns how many
// succeeded; every other must be a *store.LimitError at max.
func createAtOnce(t *testing.T, n, max int, create func(i int) error) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = create(i)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var le *store.LimitError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &le):
			if le.Jobs+le.Monitors != max || le.Max != max {
				t.Errorf("LimitError = %+v; want %d in all at a max of %d", le, max, max)
			}
		default:
			t.Errorf("create: %v", err)
		}
	}
	return ok
}

func testCreateWithin(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobCreateWithin", "JobCountByOrganization")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierFree)
	max := prikke.TierFree.Limits().MaxJobs
	ok := createAtOnce(t, 50, max, func(i int) error {
		j := newUnsavedJob(tn, T0.Add(time.Duration(i)*time.Second))
		return s.JobCreateWithin(ctx, j, max)
	})
	n, err := s.JobCountByOrganization(ctx, tn.Org.ID)
	if err != nil || n != max || ok != max {
		t.Fatalf("50 creates at once at a limit of %d: %d succeeded, %d jobs (%v)", max, ok, n, err)
	}
	// An unknown organization is ENOTFOUND.
	j := newUnsavedJob(tn, T0)
	j.OrganizationID = prikke.NewID()
	Errcode(t, s.JobCreateWithin(ctx, j, max), prikke.ENOTFOUND)
}

func testCreateWithinMixed(t *testing.T, open Opener, cov *coverage) {
	cov.covers("MonitorCreateWithin", "MonitorCountByOrganization")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierFree)
	max := prikke.TierFree.Limits().MaxJobs
	ok := createAtOnce(t, 50, max, func(i int) error {
		if i%2 == 0 {
			return s.JobCreateWithin(ctx, newUnsavedJob(tn, T0), max)
		}
		return s.MonitorCreateWithin(ctx, newUnsavedMonitor(tn), max)
	})
	jobs, err := s.JobCountByOrganization(ctx, tn.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	monitors, err := s.MonitorCountByOrganization(ctx, tn.Org.ID)
	if err != nil || ok != max || jobs+monitors != max {
		t.Fatalf("50 mixed creates at once at a limit of %d: %d succeeded, %d jobs and %d monitors (%v)", max, ok, jobs, monitors, err)
	}
	m := newUnsavedMonitor(tn)
	m.ProjectID = prikke.NewID()
	Errcode(t, s.MonitorCreateWithin(ctx, m, max), prikke.ENOTFOUND)
}

func testCreateWithinNoLimit(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobCreateWithin", "MonitorCreateWithin")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	for range 7 {
		if err := s.JobCreateWithin(ctx, newUnsavedJob(tn, T0), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.MonitorCreateWithin(ctx, newUnsavedMonitor(tn), 0); err != nil {
			t.Fatal(err)
		}
	}
	// A limit counts jobs and monitors together: 14 are over 10.
	err := s.JobCreateWithin(ctx, newUnsavedJob(tn, T0), 10)
	var le *store.LimitError
	if !errors.As(err, &le) || le.Jobs != 7 || le.Monitors != 7 || le.Max != 10 {
		t.Fatalf("JobCreateWithin over the limit = %v; want a LimitError of 7 jobs and 7 monitors", err)
	}
	if got, err := s.JobList(ctx, store.JobFilter{OrganizationID: &tn.Org.ID}); err != nil || len(got) != 7 {
		t.Errorf("jobs = %d, %v; want 7", len(got), err)
	}
}

// newUnsavedJob returns NewJob's job without creating it.
func newUnsavedJob(tn *Tenant, created time.Time) *prikke.Job {
	next := T0.Add(time.Hour)
	return &prikke.Job{
		ID: prikke.NewID(), ProjectID: tn.Project.ID, OrganizationID: tn.Org.ID, Kind: prikke.JobKindCron,
		Name: fmt.Sprintf("job %d", seq.Add(1)), URL: "https://example.com/hook", Method: "POST",
		TimeoutMS: 30000, Enabled: true, CronExpression: "0 * * * *", TimeZone: "UTC",
		CatchUp: prikke.CatchUpLatest, Overlap: prikke.OverlapAllow, IntervalMinutes: 60,
		NotifyMode: prikke.NotifyProject, NextRunAt: &next, Health: prikke.JobHealthy, CreatedAt: created, UpdatedAt: created,
	}
}

// newUnsavedMonitor returns NewMonitor's monitor without creating it.
func newUnsavedMonitor(tn *Tenant) *prikke.Monitor {
	n := seq.Add(1)
	return &prikke.Monitor{
		ID: prikke.NewID(), ProjectID: tn.Project.ID, Name: fmt.Sprintf("monitor %d", n), Slug: fmt.Sprintf("monitor-%d", n),
		PingToken: prikke.NewID().String(), BadgeToken: randomToken(), Period: 10 * time.Minute, Grace: 5 * time.Minute, TimeZone: "UTC",
		AlertPolicy: prikke.AlertPolicy{FailThreshold: 1, RecoveryThreshold: 1},
		NotifyMode:  prikke.NotifyProject, MonitorState: prikke.MonitorState{Status: prikke.MonitorNew},
		CreatedAt: T0, UpdatedAt: T0,
	}
}

// testPlanChangeEnforce: a Free organization running more than Free
// allows (written before limits were enforced) is left alone by a plan
// change to Free, and brought within its limits by an enforcing one.
func testPlanChangeEnforce(t *testing.T, open Opener, cov *coverage) {
	cov.covers("PlanChange")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierFree)
	var jobs []*prikke.Job
	for i := range 7 {
		at := T0.Add(time.Duration(i) * time.Minute)
		jobs = append(jobs, NewJob(t, s, tn, func(j *prikke.Job) {
			j.CronExpression, j.IntervalMinutes, j.CreatedAt, j.UpdatedAt = "0 * * * *", 60, at, at
		}))
	}
	c := &store.PlanChange{OrganizationID: tn.Org.ID, To: prikke.TierFree, At: T0.Add(time.Hour), PauseMonitor: planPause, ResumeMonitor: planResume}
	if res, err := s.PlanChange(ctx, c); err != nil || res != nil {
		t.Fatalf("plan change to the tier it has = %+v, %v; want nothing", res, err)
	}
	c.Enforce = true
	res, err := s.PlanChange(ctx, c)
	if err != nil || res == nil || res.From != prikke.TierFree || res.To != prikke.TierFree || len(res.Jobs) != 2 ||
		res.Jobs[0].ID != jobs[5].ID || res.Jobs[1].ID != jobs[6].ID {
		t.Fatalf("enforcing = %+v, %v; want the 2 newest jobs paused", res, err)
	}
	for i, j := range jobs {
		got, err := s.JobGet(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := i < 5; got.Enabled != want || (got.PauseReason == prikke.PauseForPlan) == want {
			t.Errorf("job %d after enforcing: enabled %v, reason %q", i, got.Enabled, got.PauseReason)
		}
	}
	if o, err := s.OrganizationGet(ctx, tn.Org.ID); err != nil || o.Tier != prikke.TierFree {
		t.Fatalf("tier after enforcing = %v, %v", o.Tier, err)
	}
	if res, err := s.PlanChange(ctx, c); err != nil || res != nil {
		t.Fatalf("enforcing again = %+v, %v; want nothing", res, err)
	}
}

// testOccurrencePriority: occurrences the scheduler planned with the tier
// it read before a plan change get the organization's tier now when they
// are written (the change's reprioritize could not see them).
func testOccurrencePriority(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OccurrencesWrite", "PlanChange")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierFree)
	next := T0.Add(time.Hour)
	j := NewJob(t, s, tn, func(j *prikke.Job) {
		j.CronExpression, j.IntervalMinutes, j.NextRunAt = "0 * * * *", 60, &next
	})
	// The scheduler read the job while the organization was Free.
	stale := prikke.Priority(prikke.TierFree, j.Kind, j.IntervalMinutes)
	e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: next, DueAt: next, Attempt: 1, Status: prikke.ExecutionStatusPending, Priority: stale, CreatedAt: T0}
	if _, err := s.PlanChange(ctx, &store.PlanChange{OrganizationID: tn.Org.ID, To: prikke.TierPro, At: T0, NextRun: func(*prikke.Job, time.Time) *time.Time { return nil }}); err != nil {
		t.Fatal(err)
	}
	after := next.Add(time.Hour)
	if n, err := s.OccurrencesWrite(ctx, []*store.OccurrenceWrite{{JobID: j.ID, PrevNextRunAt: next, NextRunAt: &after, Executions: []*prikke.Execution{e}}}); err != nil || n != 1 {
		t.Fatalf("OccurrencesWrite = %d, %v", n, err)
	}
	got, err := s.ExecutionGet(ctx, e.ID)
	if want := prikke.Priority(prikke.TierPro, j.Kind, j.IntervalMinutes); err != nil || got.Priority != want || want == stale {
		t.Fatalf("written priority = %d (%v), want Pro's %d (stale %d)", got.Priority, err, want, stale)
	}
}

// testCreateWithinStoredTier: a caller that read Pro (no limit) just
// before a downgrade committed is still held to the Free limit the row
// holds when it is locked.
func testCreateWithinStoredTier(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobCreateWithin", "MonitorCreateWithin")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierFree)
	max := prikke.TierFree.Limits().MaxJobs
	for range max {
		if err := s.JobCreateWithin(ctx, newUnsavedJob(tn, T0), 0); err != nil {
			t.Fatal(err)
		}
	}
	var le *store.LimitError
	if err := s.JobCreateWithin(ctx, newUnsavedJob(tn, T0), 0); !errors.As(err, &le) || le.Max != max {
		t.Errorf("a job past the stored Free tier's limit with max 0 = %v; want a LimitError at %d", err, max)
	}
	if err := s.MonitorCreateWithin(ctx, newUnsavedMonitor(tn), 0); !errors.As(err, &le) || le.Max != max {
		t.Errorf("a monitor past the stored Free tier's limit with max 0 = %v; want a LimitError at %d", err, max)
	}
}

// testJobPauseFor: the job is paused with the reason given (the plan's
// survives, for an upgrade to resume), its pending executions go.
func testJobPauseFor(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobPauseFor")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierFree)
	for _, reason := range []string{prikke.PauseForPlan, ""} {
		j := newUnsavedJob(tn, T0)
		if err := s.JobCreate(ctx, j); err != nil {
			t.Fatal(err)
		}
		e := NewExecution(t, s, j, prikke.TierFree, T0.Add(time.Minute))
		if err := s.JobPauseFor(ctx, j.ID, reason); err != nil {
			t.Fatal(err)
		}
		got, err := s.JobGet(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Enabled || got.PauseReason != reason {
			t.Errorf("after JobPauseFor(%q): enabled %v, reason %q", reason, got.Enabled, got.PauseReason)
		}
		if _, err := s.ExecutionGet(ctx, e.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("the pending execution is still there after the pause (%v)", err)
		}
	}
	Errcode(t, s.JobPauseFor(ctx, prikke.NewID(), ""), prikke.ENOTFOUND)
}
