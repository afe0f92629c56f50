package web

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/billing/billingtest"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// billingDash serves the dashboard of a Prikke that sells Pro through the
// loopback fake of Lemon Squeezy.
func billingDash(t *testing.T, st store.Store) (*dash, *billingtest.Server) {
	t.Helper()
	fake := billingtest.New(t)
	d := newDashConfig(t, st, func(c *service.Config) {
		c.Billing = service.Billing{Provider: billing.New(fake.Config()), SigningSecret: billingtest.Secret,
			ProVariantID: billingtest.ProVariantID}
	}, nil)
	return d, fake
}

// subscribe delivers a signed subscription_created webhook that makes
// tn's organization Pro, as Lemon Squeezy would after a checkout.
func (d *dash) subscribe(tn *tenant, id string) *prikke.Subscription {
	d.t.Helper()
	sub := billingtest.ProSubscription(id, d.svc.NowFunc().UTC().Truncate(time.Second))
	sub.CustomerEmail = tn.User.Email
	body := billingtest.SubscriptionEvent("subscription_created", sub, tn.Org.ID.String(), false)
	if _, err := d.svc.BillingWebhook(context.Background(), body, billingtest.Sign(billingtest.Secret, body)); err != nil {
		d.t.Fatal(err)
	}
	return sub
}

// pageText is a page's text as a reader sees it: tags dropped, entities
// decoded, spaces collapsed.
func pageText(body string) string {
	body = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>`).ReplaceAllString(body, " ")
	body = regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(body)), " ")
}

// bothStores runs fn over SQLite and PostgreSQL (skipped when no server
// is reachable).
func bothStores(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.OpenPostgres(t)) })
}

// TestBillingPageUpgrade: on a Free organization of a Prikke with billing,
// an owner sees the plan, the usage bars and Upgrade to Pro; the upgrade
// is a POST that creates a checkout carrying the organization's id and
// the owner's email and sends the browser there; back with ?upgraded=1,
// the page thanks and waits for the webhook.
func TestBillingPageUpgrade(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d, fake := billingDash(t, st)
		tn := d.tenant(prikke.TierFree)
		d.job(tn, "nightly report", "https://example.com/report")
		b := d.as(tn)
		path := "/app/orgs/" + tn.Org.ID.String() + "/billing"

		r := b.get(path)
		text := pageText(r.Body)
		for _, want := range []string{"Plan: Free", "has no subscription", "Upgrade to Pro", "Requests in", "1 of 5", "€29/month", "No billing events yet"} {
			if r.Status != 200 || !strings.Contains(text, want) {
				t.Errorf("billing page (%d) lacks %q:\n%s", r.Status, want, text)
			}
		}
		for _, unwanted := range []string{"Manage billing", "Thanks"} {
			if strings.Contains(text, unwanted) {
				t.Errorf("billing page shows %q", unwanted)
			}
		}
		if !strings.Contains(r.Body, `action="`+path+`/checkout"`) || !strings.Contains(r.Body, `aria-current="page"`) {
			t.Error("no upgrade form, or Billing is not marked in the navigation")
		}
		if !strings.Contains(r.Body, `href="`+path+`"`) {
			t.Error("the navigation does not link to Billing")
		}

		r = b.post(path+"/checkout", url.Values{})
		cs := fake.Checkouts()
		if r.Status != 303 || len(cs) != 1 || r.location() != cs[0].URL {
			t.Fatalf("upgrade: %s; checkouts %+v", r, cs)
		}
		c := cs[0]
		if c.OrganizationID != tn.Org.ID.String() || c.Email != tn.User.Email || c.VariantID != billingtest.ProVariantID ||
			!strings.HasSuffix(c.RedirectURL, path+"?upgraded=1") {
			t.Errorf("checkout %+v", c)
		}

		text = pageText(b.get(path + "?upgraded=1").Body)
		if !strings.Contains(text, "Thanks — your plan changes as soon as Lemon Squeezy confirms the payment") {
			t.Errorf("no thanks after the checkout: %s", text)
		}

		// The webhook arrives: the plan is Pro, the thanks gone.
		d.subscribe(tn, "9001")
		text = pageText(b.get(path + "?upgraded=1").Body)
		if !strings.Contains(text, "Plan: Pro") || strings.Contains(text, "Thanks") || strings.Contains(text, "Upgrade to Pro") {
			t.Errorf("after the webhook: %s", text)
		}
	})
}

// TestBillingPagePro: a Pro organization with a subscription shows its
// renewal, the card, Manage billing (a fresh portal URL at each click,
// never cached) and the events Lemon Squeezy sent.
func TestBillingPagePro(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d, fake := billingDash(t, st)
		tn := d.tenant(prikke.TierFree)
		sub := d.subscribe(tn, "9002")
		fake.PutSubscription(sub)
		b := d.as(tn)
		path := "/app/orgs/" + tn.Org.ID.String() + "/billing"

		r := b.get(path)
		text := pageText(r.Body)
		for _, want := range []string{"Plan: Pro", "Renews on " + sub.RenewsAt.Format("2 Jan 2006"), "Visa ending in 4242", "Manage billing",
			"subscription_created", "Applied", "no limit"} {
			if r.Status != 200 || !strings.Contains(text, want) {
				t.Errorf("billing page (%d) lacks %q:\n%s", r.Status, want, text)
			}
		}
		if strings.Contains(text, "Upgrade to Pro") {
			t.Error("a Pro organization is offered the upgrade")
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
		}
		// Its forms end at Lemon Squeezy, so this page, and only it, lets a
		// form's redirect leave the site (TestBrowserBillingUpgrade shows
		// Chromium refusing it otherwise).
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https: http:;") && !strings.HasSuffix(csp, "form-action 'self' https: http:") {
			t.Errorf("billing page CSP %q", csp)
		}
		if csp := b.get("/app/orgs/" + tn.Org.ID.String() + "/usage").Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "form-action 'self'") {
			t.Errorf("usage page CSP %q", csp)
		}

		var portals []string
		for i := 1; i <= 2; i++ {
			r := b.post(path+"/portal", url.Values{})
			if r.Status != 303 || r.location() == "" || fake.PortalHits() != i || r.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("portal %d: %s; hits %d, Cache-Control %q", i, r, fake.PortalHits(), r.Header.Get("Cache-Control"))
			}
			portals = append(portals, r.location())
		}
		if portals[0] == portals[1] {
			t.Errorf("the portal URL was reused: %v", portals)
		}
	})
}

// TestSubscriptionWords: the subscription's status in words.
func TestSubscriptionWords(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	later := time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		sub  prikke.Subscription
		want string
	}{
		{prikke.Subscription{Status: prikke.SubscriptionActive, RenewsAt: &later}, "Renews on 6 Jan 2027"},
		{prikke.Subscription{Status: prikke.SubscriptionCancelled, EndsAt: &later}, "Cancelled: Pro until 6 Jan 2027, then Free"},
		{prikke.Subscription{Status: prikke.SubscriptionCancelled, EndsAt: &now}, "Cancelled: ended on 6 Dec 2026"},
		{prikke.Subscription{Status: prikke.SubscriptionPastDue, RenewsAt: &later}, "Payment failed: Lemon Squeezy will retry"},
		{prikke.Subscription{Status: prikke.SubscriptionPaused, PauseMode: prikke.PauseModeVoid}, "Paused"},
		{prikke.Subscription{Status: prikke.SubscriptionExpired, EndsAt: &now}, "Expired on 6 Dec 2026"},
		{prikke.Subscription{Status: prikke.SubscriptionOnTrial, TrialEndsAt: &later}, "Trial: Pro free of charge until 6 Jan 2027, then it renews"},
	} {
		if got := subscriptionWords(&tt.sub, now, time.UTC); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.sub.Status, got, tt.want)
		}
	}
}

// TestBillingOff: with billing off (the default) no page mentions a price
// or a checkout: the landing page, /pricing, the usage page and the
// billing page show the limits, and the billing page says the operator
// sets the plans. An upgrade posted anyway is refused on the page, not
// with a server error.
func TestBillingOff(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	org := "/app/orgs/" + tn.Org.ID.String()
	for _, path := range []string{"/", "/pricing", org + "/usage", org + "/billing"} {
		r := b.get(path)
		text := pageText(r.Body)
		if r.Status != 200 {
			t.Errorf("%s: %d", path, r.Status)
		}
		for _, unwanted := range []string{"€", "/month", "Upgrade to Pro", "Go Pro", "checkout", "Lemon Squeezy", "VAT", "contact us"} {
			if strings.Contains(text, unwanted) || strings.Contains(r.Body, "/checkout") {
				t.Errorf("%s mentions %q with billing off", path, unwanted)
			}
		}
		if !strings.Contains(text, "5 jobs and monitors together") {
			t.Errorf("%s does not show the limits", path)
		}
	}
	text := pageText(b.get(org + "/billing").Body)
	if !strings.Contains(text, "Plans on this Prikke are set by its operator") || strings.Contains(text, "Manage billing") {
		t.Errorf("billing page with billing off: %s", text)
	}
	if title := pageText(b.get("/pricing").Body); !strings.Contains(title, "Plans") {
		t.Errorf("/pricing is not called Plans: %s", title)
	}

	r := b.post(org+"/billing/checkout", url.Values{})
	if r.Status != 303 || r.location() != org+"/billing" {
		t.Fatalf("upgrade with billing off: %s", r)
	}
	if text := pageText(b.get(org + "/billing").Body); !strings.Contains(text, "This Prikke has no billing") {
		t.Errorf("no message after the refused upgrade: %s", text)
	}
}

// TestBillingOnShowsPrices: with billing on, the public pages show the
// prices and the usage page leads to the billing page.
func TestBillingOnShowsPrices(t *testing.T) {
	d, _ := billingDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	for _, path := range []string{"/", "/pricing"} {
		text := pageText(d.anon().get(path).Body)
		for _, want := range []string{"€29", "/month", "Go Pro", "5 jobs and monitors together"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	if text := pageText(d.anon().get("/pricing").Body); !strings.Contains(text, "Lemon Squeezy") || !strings.Contains(text, "Pricing") {
		t.Errorf("/pricing: %s", text)
	}
	org := "/app/orgs/" + tn.Org.ID.String()
	r := b.get(org + "/usage")
	if text := pageText(r.Body); !strings.Contains(text, "€29/month") || !strings.Contains(text, "To upgrade to Pro, go to Billing") ||
		!strings.Contains(r.Body, `href="`+org+`/billing"`) {
		t.Errorf("usage page: %s", text)
	}
}

// TestBillingRoles: a member who may not manage billing sees the plan
// but no button, and a note saying who may; their POSTs are refused.
// Another organization's billing page is a 404, its actions too.
func TestBillingRoles(t *testing.T) {
	d, fake := billingDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	viewer := d.tenant(prikke.TierFree)
	d.member(tn, viewer.User, prikke.RoleViewer)
	member := d.tenant(prikke.TierFree)
	d.member(tn, member.User, prikke.RoleMember)
	path := "/app/orgs/" + tn.Org.ID.String() + "/billing"

	for _, u := range []*tenant{viewer, member} {
		b := d.as(u)
		r := b.get(path)
		text := pageText(r.Body)
		if r.Status != 200 || !strings.Contains(text, "Only the owners and admins of") || strings.Contains(text, "Upgrade to Pro") ||
			strings.Contains(r.Body, path+"/checkout") {
			t.Errorf("a %s's billing page (%d): %s", u.User.Email, r.Status, text)
		}
		if r := b.post(path+"/checkout", url.Values{}); r.Status != 403 {
			t.Errorf("a %s's upgrade: %s", u.User.Email, r)
		}
	}

	other := d.as(d.tenant(prikke.TierFree))
	if r := other.get(path); r.Status != 404 {
		t.Errorf("another organization's billing page: %d", r.Status)
	}
	for _, action := range []string{"checkout", "portal", "claim"} {
		if r := other.post(path+"/"+action, url.Values{"subscription_id": {"1"}}); r.Status != 404 {
			t.Errorf("another organization's %s: %s", action, r)
		}
	}
	if len(fake.Checkouts()) != 0 {
		t.Errorf("checkouts were made: %+v", fake.Checkouts())
	}
}

// TestBillingClaim: a subscription whose webhook named no organization,
// bought with the owner's email, is offered on the billing page and
// attached with one click, which makes the organization Pro.
func TestBillingClaim(t *testing.T) {
	d, _ := billingDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	sub := billingtest.ProSubscription("9003", d.svc.NowFunc().UTC().Truncate(time.Second))
	sub.CustomerEmail = tn.User.Email
	body := billingtest.SubscriptionEvent("subscription_created", sub, "", false)
	if _, err := d.svc.BillingWebhook(context.Background(), body, billingtest.Sign(billingtest.Secret, body)); err != nil {
		t.Fatal(err)
	}
	b := d.as(tn)
	path := "/app/orgs/" + tn.Org.ID.String() + "/billing"
	r := b.get(path)
	if text := pageText(r.Body); !strings.Contains(text, "Attach to this organization") || !strings.Contains(text, "9003") {
		t.Fatalf("no unclaimed subscription offered: %s", text)
	}
	r = b.post(path+"/claim", url.Values{"subscription_id": {"9003"}})
	if r.Status != 303 || r.location() != path {
		t.Fatalf("claim: %s", r)
	}
	text := pageText(b.get(path).Body)
	if !strings.Contains(text, "Plan: Pro") || strings.Contains(text, "Attach to this organization") || !strings.Contains(text, "now belongs to") {
		t.Errorf("after the claim: %s", text)
	}
	// Claiming it again is refused on the page.
	r = b.post(path+"/claim", url.Values{"subscription_id": {"9003"}})
	if r.Status != 303 || r.location() != path {
		t.Errorf("claim again: %s", r)
	}
}

// TestPausedForPlan: jobs and monitors a plan change paused say so, on
// their lists and pages, unlike those a person paused.
func TestPausedForPlan(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	plan := storetest.NewJob(t, d.store, tn.Tenant, func(j *prikke.Job) {
		j.Name, j.Enabled, j.PauseReason, j.NextRunAt = "paused by plan", false, prikke.PauseForPlan, nil
	})
	mine := storetest.NewJob(t, d.store, tn.Tenant, func(j *prikke.Job) { j.Name, j.Enabled, j.NextRunAt = "paused by me", false, nil })
	mon := storetest.NewMonitor(t, d.store, tn.Tenant, func(m *prikke.Monitor) {
		m.Name, m.Status, m.PauseReason = "plan monitor", prikke.MonitorPaused, prikke.PauseForPlan
	})
	b := d.as(tn)
	const said = "Paused by the plan change: upgrade to resume"

	r := b.get("/app/projects/" + tn.Project.ID.String() + "/jobs")
	row := func(body, id string) string {
		i := strings.Index(body, `data-job-id="`+id+`"`)
		if i < 0 {
			i = strings.Index(body, `data-monitor-id="`+id+`"`)
		}
		if i < 0 {
			return ""
		}
		j := strings.Index(body[i:], "</tr>")
		return pageText(body[i : i+j])
	}
	if got := row(r.Body, plan.ID.String()); !strings.Contains(got, said) || !strings.Contains(got, "Paused by plan") {
		t.Errorf("jobs list, plan-paused row: %q", got)
	}
	if got := row(r.Body, mine.ID.String()); strings.Contains(got, said) || !strings.Contains(got, "Paused") {
		t.Errorf("jobs list, user-paused row: %q", got)
	}
	if text := pageText(b.get("/app/jobs/" + plan.ID.String()).Body); !strings.Contains(text, said) {
		t.Errorf("job page: %s", text)
	}
	if text := pageText(b.get("/app/jobs/" + mine.ID.String()).Body); strings.Contains(text, said) {
		t.Error("a job the user paused says the plan paused it")
	}
	r = b.get("/app/projects/" + tn.Project.ID.String() + "/monitors")
	if got := row(r.Body, mon.ID.String()); !strings.Contains(got, said) {
		t.Errorf("monitors list row: %q", got)
	}
	if text := pageText(b.get("/app/monitors/" + mon.ID.String()).Body); !strings.Contains(text, said) {
		t.Errorf("monitor page: %s", text)
	}
	if !strings.Contains(r.Body, `href="/app/orgs/`+tn.Org.ID.String()+`/billing"`) {
		t.Error("no way to the billing page from the paused monitor")
	}
}

// TestBillingOutage: when Lemon Squeezy fails (an outage, a revoked key),
// Upgrade and Manage billing answer with a message on the billing page,
// never a server error, and the cause goes to the log only.
func TestBillingOutage(t *testing.T) {
	d, fake := billingDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	path := "/app/orgs/" + tn.Org.ID.String() + "/billing"
	fake.FailWith(503)
	r := b.post(path+"/checkout", url.Values{})
	if r.Status != 303 || r.location() != path {
		t.Fatalf("upgrade during an outage: %s", r)
	}
	text := pageText(b.get(path).Body)
	if !strings.Contains(text, "Prikke could not start the checkout: Lemon Squeezy did not answer as expected. Please try again in a moment.") {
		t.Errorf("no message after the failed upgrade: %s", text)
	}
	if !strings.Contains(d.logs.String(), "web: billing") {
		t.Errorf("the cause was not logged: %s", d.logs)
	}

	fake.FailWith(0)
	sub := d.subscribe(tn, "9004")
	fake.PutSubscription(sub)
	fake.FailWith(401)
	r = b.post(path+"/portal", url.Values{})
	if r.Status != 303 || r.location() != path {
		t.Fatalf("manage billing during an outage: %s", r)
	}
	if text := pageText(b.get(path).Body); !strings.Contains(text, "Prikke could not open the customer portal") {
		t.Errorf("no message after the failed portal: %s", text)
	}
}
