package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/billing/billingtest"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// clock is a settable clock for Service.NowFunc.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// planFixture is a service with billing on (against the Lemon Squeezy
// fake), its mailbox and its clock.
type planFixture struct {
	st    store.Store
	svc   *service.Service
	box   *mail.Mailbox
	clock *clock
	fake  *billingtest.Server
}

// onBillingStores runs fn on each store with a service that sells plans.
func onBillingStores(t *testing.T, fn func(t *testing.T, f *planFixture)) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &planFixture{st: open(t), box: mail.NewMailbox(), clock: &clock{t: storetest.T0}, fake: billingtest.New(t)}
			f.svc = service.New(f.st, auth.NewHasher(), f.box, delivery.New(delivery.Options{}),
				service.Config{BaseURL: "http://prikke.test", Billing: service.Billing{Provider: billing.New(f.fake.Config()),
					SigningSecret: billingtest.Secret, ProVariantID: billingtest.ProVariantID}},
				slog.New(slog.DiscardHandler))
			f.svc.NowFunc = f.clock.now
			fn(t, f)
		})
	}
}

// subscribe stores sub for org (as a webhook would) at its UpdatedAt.
func (f *planFixture) subscribe(t *testing.T, sub *prikke.Subscription, org prikke.ID) {
	t.Helper()
	sub.OrganizationID = &org
	if _, err := f.st.BillingRecord(context.Background(), nil, sub); err != nil {
		t.Fatal(err)
	}
}

// planMails returns the plan-paused mails sent so far.
func (f *planFixture) planMails() []mail.Stored {
	var out []mail.Stored
	for _, m := range f.box.List() {
		if strings.Contains(m.Subject, "plan:") {
			out = append(out, m)
		}
	}
	return out
}

func hourly(name string) *service.JobInput {
	return &service.JobInput{Name: ptr(name), URL: ptr("https://example.com/" + name), CronExpression: ptr("0 * * * *")}
}

func everyMinute(name string) *service.JobInput {
	return &service.JobInput{Name: ptr(name), URL: ptr("https://example.com/" + name), CronExpression: ptr("* * * * *")}
}

// tierChanges returns the audit details of an organization's plan
// changes, oldest first.
func tierChanges(t *testing.T, st store.Store, org prikke.ID) []string {
	t.Helper()
	es, err := st.AuditList(context.Background(), store.AuditFilter{OrganizationID: org, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Action == prikke.AuditTierChange {
			if e.ActorUserID != nil || e.ActorAPIKeyID != nil {
				t.Errorf("plan change %q has an actor: the system makes it", e.Detail)
			}
			out = append(out, e.Detail)
		}
	}
	slices.Reverse(out)
	return out
}

// TestPlanRoundTrip: a Pro organization with 12 jobs (3 every minute) and
// 4 monitors whose subscription is cancelled keeps Pro until ends_at, is
// downgraded at that instant by ReconcileTiers (exactly the minute jobs
// and the newest beyond Free's 5 paused for the plan, the owner mailed
// once, the cause audited), and an upgrade resumes exactly those, not
// what the user paused, and raises the priority of pending occurrences.
func TestPlanRoundTrip(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		owner := &service.Actor{User: tn.User}
		t0 := storetest.T0
		f.subscribe(t, billingtest.ProSubscription("sub-1", t0), tn.Org.ID)
		if res, err := f.svc.SyncTier(ctx, tn.Org.ID, "webhook subscription_created: active"); err != nil || res == nil || res.To != prikke.TierPro {
			t.Fatalf("upgrade by the subscription: %+v, %v", res, err)
		}

		// Created a minute apart, in this order: jobs A…L (B, E and I
		// every minute, the others hourly) and monitors M1…M4.
		order := []string{"A", "B", "C", "M1", "D", "E", "F", "M2", "G", "H", "I", "M3", "J", "K", "M4", "L"}
		jobs := map[string]*prikke.Job{}
		monitors := map[string]*prikke.Monitor{}
		for i, name := range order {
			f.clock.set(t0.Add(time.Duration(i+1) * time.Minute))
			var err error
			switch {
			case strings.HasPrefix(name, "M"):
				monitors[name], err = f.svc.CreateMonitor(ctx, owner, &service.MonitorInput{Name: ptr(name), Slug: ptr(strings.ToLower(name)), Period: ptr("1h")})
			case name == "B" || name == "E" || name == "I":
				jobs[name], err = f.svc.CreateJob(ctx, owner, everyMinute(name))
			default:
				jobs[name], err = f.svc.CreateJob(ctx, owner, hourly(name))
			}
			if err != nil {
				t.Fatalf("create %s: %v", name, err)
			}
		}
		if _, err := f.svc.PauseJob(ctx, owner, jobs["F"].ID); err != nil {
			t.Fatal(err)
		}

		// Cancelled: Pro until ends_at T.
		T := t0.Add(24 * time.Hour)
		f.clock.set(t0.Add(2 * time.Hour))
		cancelled := billingtest.ProSubscription("sub-1", t0)
		cancelled.Status, cancelled.EndsAt, cancelled.UpdatedAt = prikke.SubscriptionCancelled, &T, t0.Add(2*time.Hour)
		f.subscribe(t, cancelled, tn.Org.ID)
		if res, err := f.svc.SyncTier(ctx, tn.Org.ID, "webhook subscription_cancelled: cancelled"); err != nil || res != nil {
			t.Fatalf("cancelled before ends_at changed the plan: %+v, %v", res, err)
		}

		f.clock.set(T.Add(-time.Microsecond))
		next, err := f.svc.ReconcileTiers(ctx)
		if err != nil || !next.Equal(T) {
			t.Fatalf("ReconcileTiers at T-1µs = %v, %v; want next %v", next, err, T)
		}
		if o, _, err := f.svc.Organization(ctx, owner, tn.Org.ID); err != nil || o.Tier != prikke.TierPro {
			t.Fatalf("at T-1µs: %v, %v; want pro", o, err)
		}
		for name, j := range jobs {
			if got, _ := f.st.JobGet(ctx, j.ID); got.Enabled != (name != "F") {
				t.Errorf("at T-1µs %s enabled = %v", name, got.Enabled)
			}
		}

		// At T exactly: Free, and exactly these paused for the plan.
		f.clock.set(T)
		if next, err := f.svc.ReconcileTiers(ctx); err != nil || !next.IsZero() {
			t.Fatalf("ReconcileTiers at T = %v, %v", next, err)
		}
		planPausedJobs := []string{"B", "E", "G", "H", "I", "J", "K", "L"}
		planPausedMonitors := []string{"M3", "M4"}
		userPaused := []string{"F"}
		checkPaused := func(when string, wantPlan []string, wantPlanMonitors []string) {
			t.Helper()
			for name, j := range jobs {
				got, err := f.st.JobGet(ctx, j.ID)
				if err != nil {
					t.Fatal(err)
				}
				plan := slices.Contains(wantPlan, name)
				switch {
				case slices.Contains(userPaused, name):
					if got.Enabled || got.PauseReason != "" {
						t.Errorf("%s: the user's paused %s: enabled %v, reason %q", when, name, got.Enabled, got.PauseReason)
					}
				case plan && (got.Enabled || got.PauseReason != prikke.PauseForPlan || got.NextRunAt != nil):
					t.Errorf("%s: %s should be paused for the plan: enabled %v, reason %q, next %v", when, name, got.Enabled, got.PauseReason, got.NextRunAt)
				case !plan && (!got.Enabled || got.PauseReason != "" || got.NextRunAt == nil):
					t.Errorf("%s: %s should run: enabled %v, reason %q, next %v", when, name, got.Enabled, got.PauseReason, got.NextRunAt)
				}
			}
			for name, m := range monitors {
				got, err := f.st.MonitorGet(ctx, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				plan := slices.Contains(wantPlanMonitors, name)
				user := slices.Contains(userPaused, name)
				if (got.Status == prikke.MonitorPaused) != (plan || user) || (got.PauseReason == prikke.PauseForPlan) != plan {
					t.Errorf("%s: monitor %s status %s reason %q; paused for the plan: %v, by the user: %v", when, name, got.Status, got.PauseReason, plan, user)
				}
			}
		}
		checkPaused("at T", planPausedJobs, planPausedMonitors)
		if o, _, err := f.svc.Organization(ctx, owner, tn.Org.ID); err != nil || o.Tier != prikke.TierFree {
			t.Fatalf("at T: %v, %v; want free", o, err)
		}

		// Mailed once, whatever runs again.
		if _, err := f.svc.ReconcileTiers(ctx); err != nil {
			t.Fatal(err)
		}
		if res, err := f.svc.SyncTier(ctx, tn.Org.ID, "again"); err != nil || res != nil {
			t.Fatalf("SyncTier again: %+v, %v", res, err)
		}
		ms := f.planMails()
		if len(ms) != 1 || ms[0].To[0] != tn.User.Email {
			t.Fatalf("plan mails = %d (%v); want one to the owner", len(ms), ms)
		}
		for _, name := range append(append([]string{}, planPausedJobs...), planPausedMonitors...) {
			if !strings.Contains(ms[0].Text, "- "+name+"\n") {
				t.Errorf("the mail does not list %s:\n%s", name, ms[0].Text)
			}
		}
		if strings.Contains(ms[0].Text, "- F\n") || !strings.Contains(ms[0].Text, "http://prikke.test/app/orgs/"+tn.Org.ID.String()+"/billing") {
			t.Errorf("mail:\n%s", ms[0].Text)
		}
		changes := tierChanges(t, f.st, tn.Org.ID)
		if len(changes) != 2 || changes[0] != "free → pro: webhook subscription_created: active" ||
			!strings.HasPrefix(changes[1], "pro → free: ends_at ") || !strings.HasSuffix(changes[1], " passed") {
			t.Errorf("audited plan changes = %q", changes)
		}

		// On Free, resuming what the plan paused says to upgrade.
		if _, err := f.svc.ResumeJob(ctx, owner, jobs["B"].ID); prikke.ErrorCode(err) != prikke.EINVALID || !strings.Contains(prikke.ErrorMessage(err)+fmt.Sprint(prikke.ErrorFields(err)), "upgrade to Pro") {
			t.Errorf("resume a minute job on Free: %v", err)
		}
		if _, err := f.svc.ResumeJob(ctx, owner, jobs["G"].ID); prikke.ErrorCode(err) != prikke.ELIMIT || !strings.Contains(prikke.ErrorMessage(err), "upgrade to Pro") {
			t.Errorf("resume a sixth job on Free: %v", err)
		}
		if _, err := f.svc.ResumeMonitor(ctx, owner, monitors["M3"].ID); prikke.ErrorCode(err) != prikke.ELIMIT {
			t.Errorf("resume a sixth monitor on Free: %v", err)
		}
		if _, err := f.svc.CreateJob(ctx, owner, hourly("N")); prikke.ErrorCode(err) != prikke.ELIMIT {
			t.Errorf("create on Free with 16: %v", err)
		}
		checkPaused("after refused resumes", planPausedJobs, planPausedMonitors)

		// The user pauses B and M4 (paused for the plan already): theirs
		// now, so the upgrade leaves them paused.
		if _, err := f.svc.PauseJob(ctx, owner, jobs["B"].ID); err != nil {
			t.Fatalf("pause B on Free: %v", err)
		}
		if _, err := f.svc.PauseMonitor(ctx, owner, monitors["M4"].ID); err != nil {
			t.Fatal(err)
		}
		userPaused = append(userPaused, "B", "M4")
		planPausedJobs, planPausedMonitors = slices.DeleteFunc(planPausedJobs, func(n string) bool { return n == "B" }), []string{"M3"}
		checkPaused("after the user's pauses", planPausedJobs, planPausedMonitors)

		// A pending occurrence written on Free.
		e, err := f.svc.TriggerJob(ctx, owner, jobs["A"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Priority != prikke.Priority(prikke.TierFree, prikke.JobKindOnce, 0) {
			t.Fatalf("priority on Free = %d", e.Priority)
		}

		// Upgrade: a new subscription resumes exactly the plan's pauses.
		f.clock.set(T.Add(time.Hour))
		f.subscribe(t, billingtest.ProSubscription("sub-2", T.Add(time.Hour)), tn.Org.ID)
		res, err := f.svc.SyncTier(ctx, tn.Org.ID, "webhook subscription_created: active")
		if err != nil || res == nil || res.From != prikke.TierFree || res.To != prikke.TierPro {
			t.Fatalf("upgrade: %+v, %v", res, err)
		}
		var gotJobs, gotMonitors []prikke.ID
		for _, j := range res.Jobs {
			gotJobs = append(gotJobs, j.ID)
		}
		for _, m := range res.Monitors {
			gotMonitors = append(gotMonitors, m.ID)
		}
		var wantJobs, wantMonitors []prikke.ID
		for _, name := range planPausedJobs {
			wantJobs = append(wantJobs, jobs[name].ID)
		}
		for _, name := range planPausedMonitors {
			wantMonitors = append(wantMonitors, monitors[name].ID)
		}
		if !slices.Equal(gotJobs, wantJobs) || !slices.Equal(gotMonitors, wantMonitors) {
			t.Errorf("resumed jobs %v monitors %v; want %v %v", gotJobs, gotMonitors, wantJobs, wantMonitors)
		}
		checkPaused("after the upgrade", nil, nil)
		got, err := f.st.ExecutionGet(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Priority != prikke.Priority(prikke.TierPro, jobs["A"].Kind, jobs["A"].IntervalMinutes) || got.Priority >= e.Priority {
			t.Errorf("pending occurrence's priority after the upgrade = %d (was %d)", got.Priority, e.Priority)
		}
		if len(f.planMails()) != 1 {
			t.Errorf("an upgrade mailed a plan-paused mail")
		}
	})
}

// TestOrganizationAppliesTheComputedTier: reading an organization after
// its subscription ended downgrades it then, with no loop running.
func TestOrganizationAppliesTheComputedTier(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		owner := &service.Actor{User: tn.User}
		end := storetest.T0.Add(time.Hour)
		sub := billingtest.ProSubscription("sub-read", storetest.T0)
		sub.Status, sub.EndsAt = prikke.SubscriptionCancelled, &end
		f.subscribe(t, sub, tn.Org.ID)
		o, _, err := f.svc.Organization(ctx, owner, tn.Org.ID)
		if err != nil || o.Tier != prikke.TierPro {
			t.Fatalf("before ends_at: %v, %v", o, err)
		}
		var newest *prikke.Job
		for i := range 6 {
			f.clock.set(storetest.T0.Add(time.Duration(i+1) * time.Minute))
			if newest, err = f.svc.CreateJob(ctx, owner, hourly(fmt.Sprintf("job-%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		f.clock.set(end)
		// An edit of the newest job at the end: the plan change comes
		// first and pauses it; the edit keeps that.
		j, err := f.svc.UpdateJob(ctx, owner, newest.ID, &service.JobInput{Name: ptr("renamed")})
		if err != nil || j.Name != "renamed" || j.Enabled || j.PauseReason != prikke.PauseForPlan {
			t.Fatalf("edit at the end: %+v, %v", j, err)
		}
		u, err := f.svc.Usage(ctx, owner, tn.Org.ID)
		if err != nil || u.Tier != prikke.TierFree || u.MaxJobs != 5 {
			t.Fatalf("usage at ends_at: %+v, %v", u, err)
		}
		enabled := true
		js, err := f.st.JobList(ctx, store.JobFilter{OrganizationID: &tn.Org.ID, Enabled: &enabled})
		if err != nil || len(js) != 5 {
			t.Errorf("running after the read: %d, %v", len(js), err)
		}
		if len(f.planMails()) != 1 {
			t.Errorf("plan mails = %d", len(f.planMails()))
		}
		if changes := tierChanges(t, f.st, tn.Org.ID); len(changes) != 2 || !strings.Contains(changes[1], "sub-read ended at") {
			t.Errorf("plan changes = %q", changes)
		}
	})
}

// TestConcurrentCreatesHoldTheFreeLimit: 50 creates at once at a Free
// organization make exactly 5 jobs; the others are refused with the
// limit's message.
func TestConcurrentCreatesHoldTheFreeLimit(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, st store.Store, svc *service.Service) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, st, prikke.TierFree)
		owner := &service.Actor{User: tn.User}
		var wg sync.WaitGroup
		errs := make([]error, 50)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = svc.CreateJob(ctx, owner, hourly(fmt.Sprintf("job-%02d", i)))
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case prikke.ErrorCode(err) != prikke.ELIMIT || !strings.HasPrefix(prikke.ErrorMessage(err), "The free tier allows 5 jobs and monitors together and this organization has 5 (5 jobs, 0 monitors); delete one or upgrade to Pro."):
				t.Errorf("refusal: %v", err)
			}
		}
		n, err := st.JobCountByOrganization(ctx, tn.Org.ID)
		if created != 5 || n != 5 || err != nil {
			t.Errorf("created %d, stored %d (%v); want 5", created, n, err)
		}
		if _, err := svc.CreateMonitor(ctx, owner, &service.MonitorInput{Slug: ptr("sixth"), Period: ptr("1h")}); prikke.ErrorCode(err) != prikke.ELIMIT {
			t.Errorf("a monitor past the limit: %v", err)
		}
	})
}

// TestOperatorSetTier: `prikke org set-tier free` on a Pro organization
// (billing off) pauses what Free does not allow, as an ended subscription
// does; back to pro resumes it. An actor may not set a tier.
func TestOperatorSetTier(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, st store.Store, svc *service.Service) {
		ctx := context.Background()
		clk := &clock{t: storetest.T0}
		svc.NowFunc = clk.now
		tn := storetest.NewTenant(t, st, prikke.TierPro)
		owner := &service.Actor{User: tn.User}
		var ids []prikke.ID
		for i := range 7 {
			clk.set(storetest.T0.Add(time.Duration(i+1) * time.Minute))
			j, err := svc.CreateJob(ctx, owner, hourly(fmt.Sprintf("job-%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, j.ID)
		}
		if _, err := svc.SetTier(ctx, owner, tn.Org.ID, prikke.TierPro); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
			t.Errorf("a user set the tier: %v", err)
		}
		o, err := svc.SetTier(ctx, nil, tn.Org.ID, prikke.TierFree)
		if err != nil || o.Tier != prikke.TierFree || o.BaseTier != prikke.TierFree {
			t.Fatalf("set-tier free: %+v, %v", o, err)
		}
		for i, id := range ids {
			j, _ := st.JobGet(ctx, id)
			if want := i < 5; j.Enabled != want || (j.PauseReason == prikke.PauseForPlan) == want {
				t.Errorf("job %d: enabled %v reason %q", i, j.Enabled, j.PauseReason)
			}
		}
		if o, err = svc.SetTier(ctx, nil, tn.Org.ID, prikke.TierPro); err != nil || o.Tier != prikke.TierPro {
			t.Fatalf("set-tier pro: %+v, %v", o, err)
		}
		enabled := true
		if js, _ := st.JobList(ctx, store.JobFilter{OrganizationID: &tn.Org.ID, Enabled: &enabled}); len(js) != 7 {
			t.Errorf("running after set-tier pro: %d", len(js))
		}
		changes := tierChanges(t, st, tn.Org.ID)
		if !slices.Equal(changes, []string{"pro → free: operator set the base tier to free", "free → pro: operator set the base tier to pro"}) {
			t.Errorf("plan changes = %q", changes)
		}
	})
}

// TestDefaultTier: PRIKKE_DEFAULT_TIER=pro makes new sign-ups and new
// organizations Pro (their base tier too).
func TestDefaultTier(t *testing.T) {
	t.Parallel()
	st := storetest.OpenSQLite(t)
	ctx := context.Background()
	for _, tc := range []struct {
		def  prikke.Tier
		want prikke.Tier
	}{{"", prikke.TierFree}, {prikke.TierPro, prikke.TierPro}} {
		svc := service.New(st, auth.NewHasher(), mail.NewMailbox(), delivery.New(delivery.Options{}),
			service.Config{BaseURL: "http://prikke.test", SignupOpen: true, DefaultTier: tc.def}, slog.New(slog.DiscardHandler))
		email := fmt.Sprintf("new-%s@example.com", tc.want)
		if err := svc.Signup(ctx, service.SignupInput{Email: email, Password: "a long and unusual passphrase"}, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		u, err := st.UserGetByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		o, err := st.OrganizationGetPersonal(ctx, u.ID)
		if err != nil || o.Tier != tc.want || o.BaseTier != tc.want {
			t.Errorf("default %q: sign-up's organization %+v, %v", tc.def, o, err)
		}
		team, err := svc.CreateOrganization(ctx, &service.Actor{User: u}, "Team")
		if err != nil || team.Tier != tc.want {
			t.Fatalf("default %q: team %+v, %v", tc.def, team, err)
		}
		if got, _ := st.OrganizationGet(ctx, team.ID); got.Tier != tc.want || got.BaseTier != tc.want {
			t.Errorf("default %q: stored team %+v", tc.def, got)
		}
	}
}

// TestResyncRepairsAMissedWebhook: the subscription expired at Lemon
// Squeezy but its webhook never came; the re-sync reads it through the
// API and the organization is Free.
func TestResyncRepairsAMissedWebhook(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		owner := &service.Actor{User: tn.User}
		f.subscribe(t, billingtest.ProSubscription("77", storetest.T0), tn.Org.ID)
		if o, _, err := f.svc.Organization(ctx, owner, tn.Org.ID); err != nil || o.Tier != prikke.TierPro {
			t.Fatalf("subscribed: %v, %v", o, err)
		}
		f.clock.set(storetest.T0.Add(48 * time.Hour))
		end := storetest.T0.Add(24 * time.Hour)
		expired := billingtest.ProSubscription("77", storetest.T0)
		expired.Status, expired.EndsAt, expired.UpdatedAt = prikke.SubscriptionExpired, &end, end
		f.fake.PutSubscription(expired)
		if err := f.svc.ResyncSubscriptions(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := f.st.SubscriptionGet(ctx, "77")
		if err != nil || got.Status != prikke.SubscriptionExpired || got.OrganizationID == nil || *got.OrganizationID != tn.Org.ID {
			t.Fatalf("stored after the re-sync: %+v, %v", got, err)
		}
		o, err := f.st.OrganizationGet(ctx, tn.Org.ID)
		if err != nil || o.Tier != prikke.TierFree {
			t.Fatalf("after the re-sync: %+v, %v", o, err)
		}
		if changes := tierChanges(t, f.st, tn.Org.ID); len(changes) != 2 || changes[1] != "pro → free: re-sync" {
			t.Errorf("plan changes = %q", changes)
		}
	})
}

// TestOperatorClaim: an unclaimed subscription is listed, an operator
// attaches it to an organization, which is then Pro; claiming it again
// is refused.
func TestOperatorClaim(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		if _, err := f.st.BillingRecord(ctx, nil, billingtest.ProSubscription("88", storetest.T0)); err != nil {
			t.Fatal(err)
		}
		subs, err := f.svc.UnclaimedSubscriptions(ctx)
		if err != nil || len(subs) != 1 || subs[0].ID != "88" {
			t.Fatalf("unclaimed = %v, %v", subs, err)
		}
		o, err := f.svc.ClaimSubscriptionFor(ctx, "88", tn.Org.ID)
		if err != nil || o.Tier != prikke.TierPro {
			t.Fatalf("claim: %+v, %v", o, err)
		}
		if _, err := f.svc.ClaimSubscriptionFor(ctx, "88", tn.Org.ID); prikke.ErrorCode(err) != prikke.ECONFLICT {
			t.Errorf("claim again: %v", err)
		}
		if subs, _ := f.svc.UnclaimedSubscriptions(ctx); len(subs) != 0 {
			t.Errorf("unclaimed after the claim: %v", subs)
		}
		es, _ := f.st.AuditList(ctx, store.AuditFilter{OrganizationID: tn.Org.ID, Limit: 10})
		if !slices.ContainsFunc(es, func(e *prikke.AuditEntry) bool {
			return e.Action == prikke.AuditSubscriptionClaim && e.TargetID == "88"
		}) {
			t.Error("the claim is not audited")
		}
	})
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPlanner: started, the planner re-syncs at once when no re-sync is
// on record (once a day after that, across restarts) and applies the
// ends it finds; with billing off it does nothing.
func TestPlanner(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		f.subscribe(t, billingtest.ProSubscription("66", storetest.T0), tn.Org.ID)
		if _, err := f.svc.SyncTier(ctx, tn.Org.ID, "webhook"); err != nil {
			t.Fatal(err)
		}
		f.clock.set(storetest.T0.Add(2 * time.Hour))
		cancelled := billingtest.ProSubscription("66", storetest.T0)
		end := storetest.T0.Add(time.Hour)
		cancelled.Status, cancelled.EndsAt, cancelled.UpdatedAt = prikke.SubscriptionCancelled, &end, end
		f.fake.PutSubscription(cancelled)

		leading := false
		var mu sync.Mutex
		p := f.svc.NewPlanner(func() bool { mu.Lock(); defer mu.Unlock(); return leading })
		p.Every = 10 * time.Millisecond
		p.Start(ctx)
		defer p.Stop()
		// Not leading: nothing runs.
		time.Sleep(50 * time.Millisecond)
		if sub, _ := f.st.SubscriptionGet(ctx, "66"); sub.Status != prikke.SubscriptionActive {
			t.Fatalf("a node that does not lead re-synced: %s", sub.Status)
		}
		mu.Lock()
		leading = true
		mu.Unlock()
		p.Stop()
		p.Stop()

		// A new planner (as after a restart) that leads: the re-sync
		// writes the cancellation, the tier follows.
		p = f.svc.NewPlanner(nil)
		p.Every = 10 * time.Millisecond
		p.Start(ctx)
		eventually(t, "the re-sync", func() bool {
			_, mark, err := f.st.HeartbeatGet(ctx, "billing:resynced")
			return err == nil && mark == f.clock.now().Format(time.RFC3339Nano)
		})
		p.Stop()
		if o, err := f.st.OrganizationGet(ctx, tn.Org.ID); err != nil || o.Tier != prikke.TierFree {
			t.Fatalf("after the re-sync: %+v, %v", o, err)
		}

		// Within the day, another start re-syncs nothing: Lemon Squeezy
		// now says active again, and the store keeps the cancellation.
		f.fake.PutSubscription(billingtest.ProSubscription("66", storetest.T0.Add(90*time.Minute)))
		p = f.svc.NewPlanner(nil)
		p.Start(ctx)
		time.Sleep(50 * time.Millisecond)
		p.Stop()
		if sub, _ := f.st.SubscriptionGet(ctx, "66"); sub.Status != prikke.SubscriptionCancelled {
			t.Errorf("re-synced again within the day: %s", sub.Status)
		}
	})
}

// TestPlannerWakesAtTheEnd: a subscription written (SyncTier, as after a
// webhook) that ends in a moment wakes the planner, which downgrades at
// its end, long before its hourly round.
func TestPlannerWakesAtTheEnd(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		f.svc.NowFunc = time.Now
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		p := f.svc.NewPlanner(nil)
		p.Every, p.ResyncEvery = time.Hour, 1000*time.Hour
		if err := f.st.HeartbeatPut(ctx, "billing:resynced", time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			t.Fatal(err)
		}
		p.Start(ctx)
		defer p.Stop()
		time.Sleep(20 * time.Millisecond) // its first round, with nothing to do, is over
		now := time.Now().UTC().Truncate(time.Microsecond)
		end := now.Add(300 * time.Millisecond)
		sub := billingtest.ProSubscription("44", now)
		sub.Status, sub.EndsAt = prikke.SubscriptionCancelled, &end
		f.subscribe(t, sub, tn.Org.ID)
		// Under load the planner's first round may come after the write
		// and apply Pro itself; either way the organization is Pro now.
		if _, err := f.svc.SyncTier(ctx, tn.Org.ID, "webhook subscription_cancelled: cancelled"); err != nil {
			t.Fatalf("webhook: %v", err)
		}
		if o, err := f.st.OrganizationGet(ctx, tn.Org.ID); err != nil || (o.Tier != prikke.TierPro && time.Now().Before(end)) {
			t.Fatalf("after the webhook: %+v, %v; want pro", o, err)
		}
		eventually(t, "the downgrade at ends_at", func() bool {
			o, err := f.st.OrganizationGet(ctx, tn.Org.ID)
			return err == nil && o.Tier == prikke.TierFree
		})
		if time.Now().Before(end) {
			t.Error("downgraded before ends_at")
		}
	})
}

// TestBillingOffIgnoresSubscriptions: with billing off the tier is the
// base tier, whatever subscriptions are stored, and the planner and the
// re-sync do nothing.
func TestBillingOffIgnoresSubscriptions(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, st store.Store, svc *service.Service) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, st, prikke.TierFree)
		sub := billingtest.ProSubscription("11", storetest.T0)
		sub.OrganizationID = &tn.Org.ID
		if _, err := st.BillingRecord(ctx, nil, sub); err != nil {
			t.Fatal(err)
		}
		if tier, err := svc.TierAt(ctx, tn.Org, time.Now()); err != nil || tier != prikke.TierFree {
			t.Errorf("TierAt = %s, %v", tier, err)
		}
		if o, _, err := svc.Organization(ctx, &service.Actor{User: tn.User}, tn.Org.ID); err != nil || o.Tier != prikke.TierFree {
			t.Errorf("Organization = %+v, %v", o, err)
		}
		if next, err := svc.ReconcileTiers(ctx); err != nil || !next.IsZero() {
			t.Errorf("ReconcileTiers = %v, %v", next, err)
		}
		if err := svc.ResyncSubscriptions(ctx); prikke.ErrorCode(err) != prikke.EINVALID {
			t.Errorf("ResyncSubscriptions = %v", err)
		}
		p := svc.NewPlanner(nil)
		p.Start(ctx)
		p.Stop()
		if _, _, err := st.HeartbeatGet(ctx, "billing:resynced"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("a planner ran with billing off: %v", err)
		}
	})
}

// TestWebhookRetryRepairsTheTier: a delivery recorded whose tier change
// then failed (here: the tier put back by hand) is repaired by Lemon
// Squeezy's retry, a duplicate that applies the computed tier again.
func TestWebhookRetryRepairsTheTier(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		body := billingtest.SubscriptionEvent("subscription_created", billingtest.ProSubscription("91", storetest.T0), tn.Org.ID.String(), false)
		sig := billingtest.Sign(billingtest.Secret, body)
		if res, err := f.svc.BillingWebhook(ctx, body, sig); err != nil || res.Outcome != prikke.BillingApplied {
			t.Fatalf("first delivery: %+v, %v", res, err)
		}
		// The record committed but the plan change did not.
		if _, err := f.st.PlanChange(ctx, &store.PlanChange{OrganizationID: tn.Org.ID, To: prikke.TierFree, At: storetest.T0}); err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.BillingWebhook(ctx, body, sig)
		if err != nil || res.Outcome != store.BillingDuplicate {
			t.Fatalf("retry: %+v, %v", res, err)
		}
		if o, err := f.st.OrganizationGet(ctx, tn.Org.ID); err != nil || o.Tier != prikke.TierPro {
			t.Fatalf("after the retry the stored tier is %v (%v), want pro", o.Tier, err)
		}
		if changes := tierChanges(t, f.st, tn.Org.ID); len(changes) != 2 || changes[1] != "free → pro: webhook subscription_created retried: active" {
			t.Errorf("plan changes = %q", changes)
		}
	})
}

// TestStalePlanChangeIsRechecked: a downgrade computed before a webhook
// wrote the subscription that grants Pro (the ends_at loop racing the
// webhook, whose own SyncTier saw Pro and changed nothing) is applied,
// then re-checked against the stored subscriptions: the organization
// ends Pro with its jobs running, and nobody is mailed.
func TestStalePlanChangeIsRechecked(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		owner := &service.Actor{User: tn.User}
		f.subscribe(t, billingtest.ProSubscription("93", storetest.T0), tn.Org.ID)
		if _, err := f.svc.SyncTier(ctx, tn.Org.ID, "webhook"); err != nil {
			t.Fatal(err)
		}
		j, err := f.svc.CreateJob(ctx, owner, everyMinute("minutely"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ChangePlanTo(ctx, tn.Org.ID, prikke.TierFree, "stale"); err != nil {
			t.Fatal(err)
		}
		if o, err := f.st.OrganizationGet(ctx, tn.Org.ID); err != nil || o.Tier != prikke.TierPro {
			t.Fatalf("stored tier %v (%v), want pro", o.Tier, err)
		}
		if got, err := f.st.JobGet(ctx, j.ID); err != nil || !got.Enabled || got.PauseReason != "" {
			t.Fatalf("job after the re-check = %+v, %v; want it running", got, err)
		}
		if m := f.planMails(); len(m) != 0 {
			t.Errorf("plan mails = %d, want none for a downgrade undone at once", len(m))
		}
		changes := tierChanges(t, f.st, tn.Org.ID)
		if len(changes) != 3 || changes[1] != "pro → free: stale" || !strings.HasPrefix(changes[2], "free → pro: subscription 93") {
			t.Errorf("plan changes = %q", changes)
		}
	})
}

// TestOperatorSetTierEnforces: an operator setting Free on a Free
// organization that runs more than Free allows (here written straight to
// the store, as before limits were enforced) pauses the newest beyond
// the limit for the plan and mails the owner; setting it again does
// nothing more.
func TestOperatorSetTierEnforces(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, st store.Store, svc *service.Service) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, st, prikke.TierFree)
		var ids []prikke.ID
		for i := range 7 {
			at := storetest.T0.Add(time.Duration(i) * time.Minute)
			ids = append(ids, storetest.NewJob(t, st, tn, func(j *prikke.Job) {
				j.CronExpression, j.IntervalMinutes, j.CreatedAt, j.UpdatedAt = "0 * * * *", 60, at, at
			}).ID)
		}
		for range 2 {
			if o, err := svc.SetTier(ctx, nil, tn.Org.ID, prikke.TierFree); err != nil || o.Tier != prikke.TierFree {
				t.Fatalf("set-tier free: %+v, %v", o, err)
			}
		}
		for i, id := range ids {
			j, _ := st.JobGet(ctx, id)
			if want := i < 5; j.Enabled != want || (j.PauseReason == prikke.PauseForPlan) == want {
				t.Errorf("job %d: enabled %v reason %q", i, j.Enabled, j.PauseReason)
			}
		}
		changes := tierChanges(t, st, tn.Org.ID)
		if !slices.Equal(changes, []string{"free → free: operator set the base tier to free (limits enforced)"}) {
			t.Errorf("plan changes = %q", changes)
		}
	})
}

// TestReconcileWakesNoPlanner: the planner's own round (ReconcileTiers)
// does not wake the planner (so a round whose plan change fails does not
// run again at once, and the planner can take wake-ups before its round,
// keeping one a webhook sends during it); a webhook's SyncTier does.
func TestReconcileWakesNoPlanner(t *testing.T) {
	t.Parallel()
	onBillingStores(t, func(t *testing.T, f *planFixture) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, f.st, prikke.TierFree)
		sub := billingtest.ProSubscription("95", storetest.T0)
		end := storetest.T0.Add(time.Hour)
		sub.Status, sub.EndsAt = prikke.SubscriptionCancelled, &end
		f.subscribe(t, sub, tn.Org.ID)
		if _, err := f.svc.ReconcileTiers(ctx); err != nil {
			t.Fatal(err)
		}
		f.clock.set(end)
		if _, err := f.svc.ReconcileTiers(ctx); err != nil {
			t.Fatal(err)
		}
		if changes := tierChanges(t, f.st, tn.Org.ID); len(changes) != 2 {
			t.Fatalf("plan changes = %q, want up and down", changes)
		}
		if f.svc.Woken() {
			t.Error("ReconcileTiers woke the planner")
		}
		if _, err := f.svc.SyncTier(ctx, tn.Org.ID, "webhook"); err != nil {
			t.Fatal(err)
		}
		if !f.svc.Woken() {
			t.Error("SyncTier did not wake the planner")
		}
	})
}
