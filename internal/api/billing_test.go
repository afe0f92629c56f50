package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/billing/billingtest"
	"github.com/prikke/prikke/internal/service"
)

// billingDialects runs fn on a fresh server over each store, with billing
// on through a fake Lemon Squeezy (test mode off: a live Prikke).
func billingDialects(t *testing.T, fn func(t *testing.T, s *server, fake *billingtest.Server)) {
	t.Helper()
	var fakes sync.Map // *testing.T → *billingtest.Server
	dialectsConfig(t, func(t *testing.T) service.Config {
		f := billingtest.New(t)
		fakes.Store(t, f)
		return service.Config{Billing: service.Billing{Provider: billing.New(f.Config()),
			SigningSecret: billingtest.Secret, ProVariantID: billingtest.ProVariantID}}
	}, func(t *testing.T, s *server) {
		f, _ := fakes.Load(t)
		fn(t, s, f.(*billingtest.Server))
	})
}

// webhookAck is the webhook's 200 answer.
type webhookAck struct {
	Event   string `json:"event"`
	Outcome string `json:"outcome"`
}

// postWebhook posts body to the webhook with X-Signature sig (none when
// "").
func (s *server) postWebhook(body []byte, sig string) *response {
	s.t.Helper()
	if sig == "" {
		return s.anon().do("POST", "/webhooks/lemonsqueezy", body)
	}
	return s.anon().do("POST", "/webhooks/lemonsqueezy", body, "X-Signature", sig)
}

// deliver posts a signed body and returns what it did; the webhook must
// answer 200.
func (s *server) deliver(t *testing.T, body []byte) string {
	t.Helper()
	r := s.postWebhook(body, billingtest.Sign(billingtest.Secret, body))
	if r.Status != 200 {
		t.Fatalf("webhook = %d %s; want 200", r.Status, truncate(r.Body))
	}
	var ack webhookAck
	r.json(t, &ack)
	return ack.Outcome
}

// deliverSub delivers a subscription event about sub for orgID ("" for no
// custom data) and checks its outcome.
func (s *server) deliverSub(t *testing.T, event string, sub *prikke.Subscription, orgID, want string) {
	t.Helper()
	if got := s.deliver(t, billingtest.SubscriptionEvent(event, sub, orgID, false)); got != want {
		t.Fatalf("%s about %s: outcome %q; want %q", event, sub.ID, got, want)
	}
}

// tierOf is the organization's tier as GET /api/v1/organizations/{id}
// reports it.
func (s *server) tierOf(t *testing.T, tn *tenant) string {
	t.Helper()
	r := s.withKey(tn.key).do("GET", "/api/v1/organizations/"+tn.org.ID.String(), nil)
	if r.Status != 200 {
		t.Fatalf("GET organization = %d %s", r.Status, truncate(r.Body))
	}
	var o struct{ Tier string }
	r.json(t, &o)
	return o.Tier
}

// auditActions lists the organization's plan changes and claims in its
// audit log, newest first, as "action: detail".
func (s *server) auditActions(t *testing.T, tn *tenant) []string {
	t.Helper()
	r := s.login(tn).do("GET", "/api/v1/organizations/"+tn.org.ID.String()+"/audit-log?limit=100", nil)
	if r.Status != 200 {
		t.Fatalf("audit log = %d %s", r.Status, truncate(r.Body))
	}
	var page struct {
		Entries []struct{ Action, Detail string }
	}
	r.json(t, &page)
	var out []string
	for _, e := range page.Entries {
		if e.Action != string(prikke.AuditTierChange) && e.Action != string(prikke.AuditSubscriptionClaim) {
			continue // sign-up, the test's key, the log-ins this helper makes
		}
		out = append(out, e.Action+": "+e.Detail)
	}
	return out
}

// billingOf reads GET …/billing as c.
func billingOf(t *testing.T, c *client, orgID prikke.ID) billingBody {
	t.Helper()
	r := c.do("GET", "/api/v1/organizations/"+orgID.String()+"/billing", nil)
	if r.Status != 200 {
		t.Fatalf("GET billing = %d %s", r.Status, truncate(r.Body))
	}
	var b billingBody
	r.json(t, &b)
	return b
}

type billingBody struct {
	Enabled      bool   `json:"enabled"`
	Tier         string `json:"tier"`
	BaseTier     string `json:"base_tier"`
	Subscription *struct {
		ID       string     `json:"id"`
		Status   string     `json:"status"`
		Pro      bool       `json:"pro"`
		RenewsAt *time.Time `json:"renews_at"`
		EndsAt   *time.Time `json:"ends_at"`
	} `json:"subscription"`
	Usage *struct {
		Tier    string `json:"tier"`
		MaxJobs *int   `json:"max_jobs"`
	} `json:"usage"`
	Events []struct {
		Event          string `json:"event"`
		Outcome        string `json:"outcome"`
		SubscriptionID string `json:"subscription_id"`
		InvoiceStatus  string `json:"invoice_status"`
		InvoiceTotal   string `json:"invoice_total"`
	} `json:"events"`
	Unclaimed []struct {
		ID            string `json:"id"`
		CustomerEmail string `json:"customer_email"`
	} `json:"unclaimed"`
	CanManage bool `json:"can_manage"`
}

// Every way a delivery can fail its signature is refused, 401 (413 for a
// body over 1 MiB), with a problem saying what is wrong, and nothing is
// recorded; a Prikke without billing takes no webhooks and sells nothing.
func TestBillingWebhookSignature(t *testing.T) {
	t.Parallel()
	sub := billingtest.ProSubscription("1001", time.Now().UTC().Add(-time.Hour))

	t.Run("billing off", func(t *testing.T) {
		t.Parallel()
		dialects(t, func(t *testing.T, s *server) {
			tn := s.newTenant(prikke.TierFree)
			body := billingtest.SubscriptionEvent("subscription_created", sub, tn.org.ID.String(), false)
			r := s.postWebhook(body, billingtest.Sign(billingtest.Secret, body))
			if r.Status != 401 || !strings.Contains(r.problem(t).Detail, "Billing is not configured") {
				t.Errorf("webhook with billing off = %d %s; want 401 saying billing is not configured", r.Status, r.Body)
			}
			if n := s.countRows("billing_events") + s.countRows("subscriptions"); n != 0 {
				t.Errorf("%d billing rows written", n)
			}
			if got := s.tierOf(t, tn); got != "free" {
				t.Errorf("tier %s; want free", got)
			}
			c := s.login(tn)
			for _, op := range []string{"checkout", "portal", "claim"} {
				r := c.do("POST", "/api/v1/organizations/"+tn.org.ID.String()+"/billing/"+op, map[string]string{"subscription_id": "1001"})
				if r.Status != 409 || !strings.Contains(r.problem(t).Detail, "This Prikke has no billing") {
					t.Errorf("%s with billing off = %d %s; want 409 saying there is no billing", op, r.Status, r.Body)
				}
			}
			if b := billingOf(t, c, tn.org.ID); b.Enabled || b.CanManage || b.Tier != "free" {
				t.Errorf("billing with billing off = %+v; want disabled, not manageable, free", b)
			}
		})
	})

	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		tn := s.newTenant(prikke.TierFree)
		body := billingtest.SubscriptionEvent("subscription_created", sub, tn.org.ID.String(), false)
		altered := []byte(strings.Replace(string(body), `"status":"active"`, `"status":"on_trial"`, 1))
		if string(altered) == string(body) {
			t.Fatal("the body was not altered")
		}
		big := []byte(strings.Repeat(" ", billing.MaxWebhookBody+1)) // the size alone refuses it
		for _, tc := range []struct {
			name   string
			body   []byte
			sig    string
			status int
			detail string
		}{
			{"missing header", body, "", 401, "X-Signature header is missing"},
			{"wrong signature", body, billingtest.Sign("another-secret", body), 401, "does not match the body"},
			{"not hex", body, "sha256=" + billingtest.Sign(billingtest.Secret, body), 401, "does not match the body"},
			{"right signature, altered body", altered, billingtest.Sign(billingtest.Secret, body), 401, "does not match the body"},
			{"1 MiB + 1 byte", big, billingtest.Sign(billingtest.Secret, big), 413, "too large"},
		} {
			r := s.postWebhook(tc.body, tc.sig)
			if r.Status != tc.status {
				t.Errorf("%s: %d %s; want %d", tc.name, r.Status, truncate(r.Body), tc.status)
				continue
			}
			if p := r.problem(t); !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("%s: detail %q; want it to say %q", tc.name, p.Detail, tc.detail)
			}
			if strings.Contains(string(r.Body), billingtest.Secret) {
				t.Errorf("%s: the answer shows the secret", tc.name)
			}
		}
		if n := s.countRows("billing_events") + s.countRows("subscriptions"); n != 0 {
			t.Errorf("%d billing rows written by refused deliveries", n)
		}
		if got := s.tierOf(t, tn); got != "free" {
			t.Errorf("tier %s after refused deliveries; want free", got)
		}
		// Signed, but not a delivery: 400 naming what is wrong.
		bad := []byte(`{"data":{}}`)
		if r := s.postWebhook(bad, billingtest.Sign(billingtest.Secret, bad)); r.Status != 400 || !strings.Contains(r.problem(t).Detail, "meta is missing") {
			t.Errorf("a signed body without meta = %d %s; want 400 saying meta is missing", r.Status, r.Body)
		}
		// The right signature is accepted.
		s.deliverSub(t, "subscription_created", sub, tn.org.ID.String(), prikke.BillingApplied)
		if got := s.tierOf(t, tn); got != "pro" {
			t.Errorf("tier %s after a signed subscription_created; want pro", got)
		}
		// An event Prikke does not act on is acknowledged and recorded.
		order := []byte(`{"meta":{"event_name":"order_created","test_mode":false},"data":{"type":"orders","id":"7","attributes":{}}}`)
		if got := s.deliver(t, order); got != prikke.BillingIgnored {
			t.Errorf("order_created: outcome %q; want ignored", got)
		}
		// Only POST.
		if r := s.anon().do("GET", "/webhooks/lemonsqueezy", nil); r.Status != 405 {
			t.Errorf("GET webhook = %d; want 405", r.Status)
		}
	})
}

// A test-mode event on a live Prikke is refused and changes nothing; a
// replay answers 200 duplicate and changes nothing (not the tier, not the
// audit log); a later event applies.
func TestBillingWebhookTestModeAndReplay(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		tn := s.newTenant(prikke.TierFree)
		org := tn.org.ID.String()
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		sub := billingtest.ProSubscription("2001", at)

		test := billingtest.SubscriptionEvent("subscription_created", sub, org, true)
		r := s.postWebhook(test, billingtest.Sign(billingtest.Secret, test))
		if r.Status != 400 || !strings.Contains(r.problem(t).Detail, "A test-mode event was sent to a live Prikke") {
			t.Fatalf("test-mode event = %d %s; want 400 saying it is a test-mode event", r.Status, r.Body)
		}
		if n := s.countRows("billing_events") + s.countRows("subscriptions"); n != 0 {
			t.Errorf("%d billing rows written by a test-mode event", n)
		}
		if got := s.tierOf(t, tn); got != "free" {
			t.Errorf("tier %s after a test-mode event; want free", got)
		}

		created := billingtest.SubscriptionEvent("subscription_created", sub, org, false)
		if got := s.deliver(t, created); got != prikke.BillingApplied {
			t.Fatalf("subscription_created: %s", got)
		}
		if got := s.tierOf(t, tn); got != "pro" {
			t.Fatalf("tier %s after subscription_created; want pro", got)
		}
		audit := s.auditActions(t, tn)
		if len(audit) != 1 || audit[0] != "organization.tier: free → pro: webhook subscription_created: active" {
			t.Errorf("audit log %q; want the one plan change with its cause", audit)
		}
		events := s.countRows("billing_events")

		for range 2 {
			if got := s.deliver(t, created); got != "duplicate" {
				t.Errorf("replay: outcome %q; want duplicate", got)
			}
		}
		if got := s.tierOf(t, tn); got != "pro" {
			t.Errorf("tier %s after a replay; want pro", got)
		}
		if got := s.auditActions(t, tn); strings.Join(got, "|") != strings.Join(audit, "|") {
			t.Errorf("audit log after a replay %q; want unchanged %q", got, audit)
		}
		if n := s.countRows("billing_events"); n != events {
			t.Errorf("%d deliveries recorded after a replay; want %d", n, events)
		}

		// A newer event applies: the subscription expires, the plan falls.
		exp := *sub
		exp.Status, exp.UpdatedAt = prikke.SubscriptionExpired, at.Add(time.Minute)
		ends := at.Add(time.Minute)
		exp.EndsAt = &ends
		s.deliverSub(t, "subscription_expired", &exp, org, prikke.BillingApplied)
		if got := s.tierOf(t, tn); got != "free" {
			t.Errorf("tier %s after subscription_expired; want free", got)
		}
		if got := s.auditActions(t, tn); len(got) != 2 || got[0] != "organization.tier: pro → free: webhook subscription_expired: expired" {
			t.Errorf("audit log %q; want the downgrade with its cause on top", got)
		}
		b := billingOf(t, s.login(tn), tn.org.ID)
		if len(b.Events) != 2 || b.Events[0].Event != "subscription_expired" || b.Events[1].Event != "subscription_created" {
			t.Errorf("billing events %+v; want expired then created (a replay is not a delivery of its own)", b.Events)
		}
	})
}

// subscription_updated arriving before subscription_created: the older
// created event, delivered after, is stale and changes nothing.
func TestBillingWebhookOutOfOrder(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		tn := s.newTenant(prikke.TierFree)
		org := tn.org.ID.String()
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-2 * time.Hour)
		created := billingtest.ProSubscription("3001", at)
		updated := *created
		ended := at.Add(time.Hour)
		updated.Status, updated.EndsAt, updated.UpdatedAt = prikke.SubscriptionExpired, &ended, at.Add(time.Hour)

		s.deliverSub(t, "subscription_updated", &updated, org, prikke.BillingApplied)
		if got := s.tierOf(t, tn); got != "free" {
			t.Fatalf("tier %s after an expired update; want free", got)
		}
		s.deliverSub(t, "subscription_created", created, org, prikke.BillingStale)
		if got := s.tierOf(t, tn); got != "free" {
			t.Errorf("tier %s after the older created event; want free (it is stale)", got)
		}
		stored, err := s.store.SubscriptionGet(context.Background(), "3001")
		if err != nil {
			t.Fatal(err)
		}
		if stored.Status != prikke.SubscriptionExpired || !stored.UpdatedAt.Equal(updated.UpdatedAt) {
			t.Errorf("stored %s updated %s; want the newer expired copy", stored.Status, stored.UpdatedAt)
		}
		if got := s.auditActions(t, tn); len(got) != 0 {
			t.Errorf("audit log %q; want no plan change", got)
		}
	})
}

// The whole status → tier table, each case a fresh organization with one
// subscription, observed from outside through GET organization's tier.
func TestBillingStatusTierTable(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		past, future := now.Add(-time.Minute), now.Add(24*time.Hour)
		for i, tc := range []struct {
			name    string
			status  prikke.SubscriptionStatus
			pause   string
			endsAt  *time.Time
			variant string
			want    string
		}{
			{"on_trial", prikke.SubscriptionOnTrial, "", nil, "", "pro"},
			{"active", prikke.SubscriptionActive, "", nil, "", "pro"},
			{"past_due", prikke.SubscriptionPastDue, "", nil, "", "pro"},
			{"cancelled before ends_at", prikke.SubscriptionCancelled, "", &future, "", "pro"},
			{"cancelled after ends_at", prikke.SubscriptionCancelled, "", &past, "", "free"},
			{"paused void", prikke.SubscriptionPaused, prikke.PauseModeVoid, nil, "", "free"},
			{"paused free", prikke.SubscriptionPaused, prikke.PauseModeFree, nil, "", "pro"},
			{"unpaid", prikke.SubscriptionUnpaid, "", nil, "", "free"},
			{"expired", prikke.SubscriptionExpired, "", &past, "", "free"},
			{"unknown variant", prikke.SubscriptionActive, "", nil, "999", "free"},
		} {
			tn := s.newTenant(prikke.TierFree)
			sub := billingtest.ProSubscription(fmt.Sprint(4001+i), now.Add(-time.Hour))
			sub.Status, sub.PauseMode, sub.EndsAt = tc.status, tc.pause, tc.endsAt
			if tc.variant != "" {
				sub.VariantID = tc.variant
			}
			event := "subscription_created"
			if tc.status == prikke.SubscriptionPaused {
				event = "subscription_paused"
			}
			s.deliverSub(t, event, sub, tn.org.ID.String(), prikke.BillingApplied)
			if got := s.tierOf(t, tn); got != tc.want {
				t.Errorf("%s: tier %s; want %s", tc.name, got, tc.want)
			}
			b := billingOf(t, s.login(tn), tn.org.ID)
			if b.Tier != tc.want || b.Subscription == nil || b.Subscription.Status != string(tc.status) || b.Subscription.Pro != (tc.want == "pro") {
				t.Errorf("%s: billing %+v %+v; want tier %s and the subscription", tc.name, b, b.Subscription, tc.want)
			}
		}
		logs := s.logs.String()
		if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "subscription_id=4010") || !strings.Contains(logs, "variant_id=999") {
			t.Errorf("no warning naming the subscription and its unknown variant in the log:\n%s", logs)
		}
		if strings.Contains(logs, billingtest.Secret) {
			t.Error("the log shows the signing secret")
		}
	})
}

// A cancelled subscription ends at ends_at by the clock alone: 1 µs
// before, Pro; at ends_at, Free, with no webhook.
func TestBillingEndsAtBoundary(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		s.clock.set(t0)
		tn := s.newTenant(prikke.TierFree)
		sub := billingtest.ProSubscription("5001", t0.Add(-24*time.Hour))
		ends := t0.Add(time.Hour)
		sub.Status, sub.EndsAt, sub.RenewsAt, sub.UpdatedAt = prikke.SubscriptionCancelled, &ends, nil, t0.Add(-time.Minute)
		s.deliverSub(t, "subscription_cancelled", sub, tn.org.ID.String(), prikke.BillingApplied)
		if got := s.tierOf(t, tn); got != "pro" {
			t.Fatalf("tier %s while cancelled before ends_at; want pro", got)
		}
		s.clock.set(ends.Add(-time.Microsecond))
		if got := s.tierOf(t, tn); got != "pro" {
			t.Errorf("tier %s 1 µs before ends_at; want pro", got)
		}
		b := billingOf(t, s.login(tn), tn.org.ID)
		if b.Subscription == nil || b.Subscription.EndsAt == nil || !b.Subscription.EndsAt.Equal(ends) {
			t.Errorf("billing subscription %+v; want ends_at %s", b.Subscription, ends)
		}
		s.clock.set(ends)
		if got := s.tierOf(t, tn); got != "free" {
			t.Errorf("tier %s at ends_at; want free", got)
		}
		audit := s.auditActions(t, tn)
		if len(audit) != 2 || !strings.HasPrefix(audit[0], "organization.tier: pro → free:") {
			t.Errorf("audit log %q; want the downgrade at ends_at on top", audit)
		}
	})
}

// Payment events are recorded with their invoice and never touch the
// subscription, whatever the invoice says.
func TestBillingPaymentEvents(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierFree)
		org := tn.org.ID.String()
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		sub := billingtest.ProSubscription("6001", at)
		s.deliverSub(t, "subscription_created", sub, org, prikke.BillingApplied)
		before, err := s.store.SubscriptionGet(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, tc := range []struct{ event, status string }{
			{"subscription_payment_failed", "void"},
			{"subscription_payment_recovered", "paid"},
			{"subscription_payment_success", "refunded"},
		} {
			inv := billing.Invoice{ID: fmt.Sprint(7001 + i), SubscriptionID: sub.ID, Status: tc.status, BillingReason: "renewal",
				Total: "€29.00", UpdatedAt: at.Add(time.Duration(i+1) * time.Minute)}
			// No custom data: the organization comes from the stored subscription.
			if got := s.deliver(t, billingtest.InvoiceEvent(tc.event, inv, "", false)); got != prikke.BillingPayment {
				t.Errorf("%s: outcome %q; want payment", tc.event, got)
			}
		}
		after, err := s.store.SubscriptionGet(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Status != before.Status || !after.UpdatedAt.Equal(before.UpdatedAt) || !after.SyncedAt.Equal(before.SyncedAt) {
			t.Errorf("the subscription changed: %+v → %+v", before, after)
		}
		if got := s.tierOf(t, tn); got != "pro" {
			t.Errorf("tier %s after payment events; want pro", got)
		}
		b := billingOf(t, s.login(tn), tn.org.ID)
		var got []string
		for _, e := range b.Events {
			got = append(got, e.Event+" "+e.Outcome+" "+e.SubscriptionID+" "+e.InvoiceStatus+" "+e.InvoiceTotal)
		}
		want := []string{
			"subscription_payment_success payment 6001 refunded €29.00",
			"subscription_payment_recovered payment 6001 paid €29.00",
			"subscription_payment_failed payment 6001 void €29.00",
			"subscription_created applied 6001  ",
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("billing events\n%q\nwant\n%q", got, want)
		}
		if got := s.auditActions(t, tn); len(got) != 1 {
			t.Errorf("audit log %q; want only the upgrade", got)
		}
	})
}

// A subscription whose custom data names no known organization (none, an
// unknown id, a malformed one) is kept unclaimed, and a user with the same
// confirmed email claims it; nobody else can.
func TestBillingUnclaimedSubscription(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		alice, mallory := s.newTenant(prikke.TierFree), s.newTenant(prikke.TierFree)
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		for i, orgID := range []string{"", prikke.NewID().String(), "not-an-id"} {
			sub := billingtest.ProSubscription(fmt.Sprint(8001+i), at)
			sub.CustomerEmail = strings.ToUpper(alice.user.Email) // matched case-insensitively
			s.deliverSub(t, "subscription_created", sub, orgID, prikke.BillingUnclaimed)
		}
		if n := s.countRows("subscriptions"); n != 3 {
			t.Fatalf("%d subscriptions stored; want the 3 unclaimed kept", n)
		}
		if got := s.tierOf(t, alice); got != "free" {
			t.Errorf("tier %s before the claim; want free", got)
		}

		aliceS, malloryS := s.login(alice), s.login(mallory)
		b := billingOf(t, aliceS, alice.org.ID)
		if !b.CanManage || len(b.Unclaimed) != 3 {
			t.Fatalf("alice's billing %+v; want can_manage and the 3 unclaimed", b)
		}
		if mb := billingOf(t, malloryS, mallory.org.ID); len(mb.Unclaimed) != 0 {
			t.Errorf("mallory sees %d unclaimed subscriptions bought by alice", len(mb.Unclaimed))
		}
		if kb := billingOf(t, s.withKey(alice.key), alice.org.ID); kb.CanManage || len(kb.Unclaimed) != 0 {
			t.Errorf("an API key's billing %+v; want no management and no unclaimed", kb)
		}

		claim := func(c *client, tn *tenant, id string) *response {
			return c.do("POST", "/api/v1/organizations/"+tn.org.ID.String()+"/billing/claim", map[string]string{"subscription_id": id})
		}
		if r := claim(malloryS, mallory, "8001"); r.Status != 404 {
			t.Errorf("mallory claims alice's subscription = %d %s; want 404", r.Status, r.Body)
		}
		if r := claim(s.withKey(alice.key), alice, "8001"); r.Status != 403 {
			t.Errorf("claim with an API key = %d %s; want 403", r.Status, r.Body)
		}
		if r := claim(aliceS, alice, "nope"); r.Status != 404 {
			t.Errorf("claim of an unknown subscription = %d %s; want 404", r.Status, r.Body)
		}
		r := claim(aliceS, alice, "8002")
		if r.Status != 200 {
			t.Fatalf("alice claims = %d %s", r.Status, r.Body)
		}
		var after billingBody
		r.json(t, &after)
		if after.Tier != "pro" || after.Subscription == nil || after.Subscription.ID != "8002" || len(after.Unclaimed) != 2 {
			t.Errorf("billing after the claim %+v; want pro with 8002 and 2 left unclaimed", after)
		}
		if got := s.tierOf(t, alice); got != "pro" {
			t.Errorf("tier %s after the claim; want pro", got)
		}
		audit := s.auditActions(t, alice)
		if len(audit) != 2 || audit[0] != "organization.tier: free → pro: subscription 8002 claimed: active" ||
			!strings.HasPrefix(audit[1], "billing.claim: ") {
			t.Errorf("audit log %q; want the claim, then the plan change", audit)
		}
		if r := claim(malloryS, mallory, "8002"); r.Status != 404 {
			t.Errorf("mallory claims a claimed subscription = %d %s; want 404", r.Status, r.Body)
		}
		if got := s.tierOf(t, mallory); got != "free" {
			t.Errorf("mallory's tier %s; want free", got)
		}

		// A later event without custom data keeps the claim and applies to it.
		exp := billingtest.ProSubscription("8002", at)
		exp.CustomerEmail = strings.ToUpper(alice.user.Email)
		exp.Status, exp.EndsAt, exp.UpdatedAt = prikke.SubscriptionExpired, &at, at.Add(time.Minute)
		s.deliverSub(t, "subscription_expired", exp, "", prikke.BillingApplied)
		if got := s.tierOf(t, alice); got != "free" {
			t.Errorf("tier %s after the claimed subscription expired; want free", got)
		}
	})
}

// Checkout goes through Lemon Squeezy with the organization in custom
// data and the admin's email; only admins and owners, signed in, may.
func TestBillingCheckout(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, fake *billingtest.Server) {
		ctx := context.Background()
		alice, bob, carol := s.newTenant(prikke.TierFree), s.newTenant(prikke.TierFree), s.newTenant(prikke.TierFree)
		team, err := s.svc.CreateOrganization(ctx, &service.Actor{User: alice.user}, "Team")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, m := range []*prikke.Membership{
			{OrganizationID: team.ID, UserID: bob.user.ID, Role: prikke.RoleAdmin, CreatedAt: now},
			{OrganizationID: team.ID, UserID: carol.user.ID, Role: prikke.RoleMember, CreatedAt: now},
		} {
			if err := s.store.MembershipCreate(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		path := "/api/v1/organizations/" + team.ID.String() + "/billing/checkout"
		if r := s.login(carol).do("POST", path, nil); r.Status != 403 {
			t.Errorf("a member's checkout = %d %s; want 403", r.Status, r.Body)
		}
		if r := s.withKey(alice.key).do("POST", "/api/v1/organizations/"+alice.org.ID.String()+"/billing/checkout", nil); r.Status != 403 {
			t.Errorf("checkout with an API key = %d %s; want 403", r.Status, r.Body)
		}
		if len(fake.Checkouts()) != 0 {
			t.Fatalf("refused checkouts reached Lemon Squeezy: %+v", fake.Checkouts())
		}
		r := s.login(bob).do("POST", path, nil)
		if r.Status != 200 {
			t.Fatalf("an admin's checkout = %d %s", r.Status, r.Body)
		}
		var link struct{ URL string }
		r.json(t, &link)
		cs := fake.Checkouts()
		if len(cs) != 1 {
			t.Fatalf("%d checkouts; want 1", len(cs))
		}
		c := cs[0]
		if link.URL != c.URL || c.OrganizationID != team.ID.String() || c.Email != bob.user.Email ||
			c.VariantID != billingtest.ProVariantID || c.RedirectURL != "http://prikke.test/app/orgs/"+team.ID.String()+"/billing?upgraded=1" {
			t.Errorf("checkout %+v, url %s; want the team in custom data, bob's email, the Pro variant and the billing page to return to", c, link.URL)
		}

		// Paid: the webhook carries the custom data back; Pro has no checkout.
		sub := billingtest.ProSubscription("9001", now.Add(-time.Minute))
		s.deliverSub(t, "subscription_created", sub, c.OrganizationID, prikke.BillingApplied)
		if r := s.login(bob).do("POST", path, nil); r.Status != 409 || !strings.Contains(r.problem(t).Detail, "Pro already") {
			t.Errorf("checkout on Pro = %d %s; want 409", r.Status, r.Body)
		}
	})
}

// The customer portal's URL is fetched from Lemon Squeezy at every call,
// never stored.
func TestBillingPortal(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, fake *billingtest.Server) {
		tn := s.newTenant(prikke.TierFree)
		c := s.login(tn)
		path := "/api/v1/organizations/" + tn.org.ID.String() + "/billing/portal"
		if r := c.do("POST", path, nil); r.Status != 404 || !strings.Contains(r.problem(t).Detail, "no subscription") {
			t.Errorf("portal without a subscription = %d %s; want 404", r.Status, r.Body)
		}
		sub := billingtest.ProSubscription("9101", time.Now().UTC().Truncate(time.Microsecond).Add(-time.Minute))
		s.deliverSub(t, "subscription_created", sub, tn.org.ID.String(), prikke.BillingApplied)
		fake.PutSubscription(sub)
		var urls []string
		for range 2 {
			r := c.do("POST", path, nil)
			if r.Status != 200 {
				t.Fatalf("portal = %d %s", r.Status, r.Body)
			}
			var link struct{ URL string }
			r.json(t, &link)
			urls = append(urls, link.URL)
		}
		if fake.PortalHits() != 2 || urls[0] == urls[1] || !strings.HasPrefix(urls[0], fake.URL+"/portal/9101") {
			t.Errorf("portal URLs %q after %d fetches; want two fresh ones from Lemon Squeezy", urls, fake.PortalHits())
		}
		if r := s.withKey(tn.key).do("POST", path, nil); r.Status != 403 {
			t.Errorf("portal with an API key = %d; want 403", r.Status)
		}
		// Lemon Squeezy down: a fault on our side, its cause in the log only.
		fake.FailWith(503)
		r := c.do("POST", path, nil)
		if r.Status != 500 || strings.Contains(string(r.Body), "lemon") || strings.Contains(string(r.Body), fake.URL) {
			t.Errorf("portal while Lemon Squeezy is down = %d %s; want 500 without the cause", r.Status, r.Body)
		}
		if !strings.Contains(s.logs.String(), "fetch subscription 9101") {
			t.Errorf("the log does not say what failed:\n%s", s.logs.String())
		}
		fake.FailWith(0)
		if rows := s.sqlRows("SELECT count(*) FROM subscriptions WHERE id = '9101'"); rows[0][0] != "1" {
			t.Errorf("subscriptions %v", rows)
		}
	})
}

// Another organization's billing is not found, for every billing
// operation, with a key and with a session, and nothing of it shows.
func TestBillingIsolation(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, fake *billingtest.Server) {
		alice, charlie := s.newTenant(prikke.TierFree), s.newTenant(prikke.TierFree)
		sub := billingtest.ProSubscription("9201", time.Now().UTC().Truncate(time.Microsecond).Add(-time.Minute))
		s.deliverSub(t, "subscription_created", sub, alice.org.ID.String(), prikke.BillingApplied)
		fake.PutSubscription(sub)
		unclaimed := billingtest.ProSubscription("9202", sub.CreatedAt)
		unclaimed.CustomerEmail = charlie.user.Email
		s.deliverSub(t, "subscription_created", unclaimed, "", prikke.BillingUnclaimed)

		base := "/api/v1/organizations/" + alice.org.ID.String() + "/billing"
		for _, c := range []struct {
			name string
			c    *client
		}{{"key", s.withKey(charlie.key)}, {"session", s.login(charlie)}} {
			for _, op := range []struct{ method, path string }{
				{"GET", base}, {"POST", base + "/checkout"}, {"POST", base + "/portal"}, {"POST", base + "/claim"},
			} {
				r := c.c.do(op.method, op.path, map[string]string{"subscription_id": "9202"})
				if r.Status != 404 || strings.Contains(string(r.Body), "9201") {
					t.Errorf("charlie's %s: %s %s = %d %s; want 404", c.name, op.method, op.path, r.Status, truncate(r.Body))
				}
			}
			b := billingOf(t, c.c, charlie.org.ID)
			if b.Subscription != nil || len(b.Events) != 0 || b.Tier != "free" {
				t.Errorf("charlie's %s sees %+v; want nothing of alice's", c.name, b)
			}
		}
		if fake.PortalHits() != 0 || len(fake.Checkouts()) != 0 {
			t.Errorf("charlie reached Lemon Squeezy: %d portal hits, %d checkouts", fake.PortalHits(), len(fake.Checkouts()))
		}
		if got := s.tierOf(t, alice); got != "pro" {
			t.Errorf("alice's tier %s; want pro", got)
		}
		if stored, err := s.store.SubscriptionGet(context.Background(), "9202"); err != nil || stored.OrganizationID != nil {
			t.Errorf("9202 = %+v, %v; want still unclaimed (charlie claimed it into alice's org?)", stored, err)
		}
	})
}

// A downgrade by webhook pauses what Free does not allow, and the job and
// monitor resources say so with pause_reason plan; the upgrade resumes
// exactly those and the reason goes.
func TestBillingPauseReason(t *testing.T) {
	t.Parallel()
	billingDialects(t, func(t *testing.T, s *server, _ *billingtest.Server) {
		tn := s.newTenant(prikke.TierFree)
		org := tn.org.ID.String()
		at := time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour)
		sub := billingtest.ProSubscription("9301", at)
		s.deliverSub(t, "subscription_created", sub, org, prikke.BillingApplied)

		var jobs []string
		minute := s.storeOldJob(t, tn, func(j *prikke.Job) { j.Name, j.CronExpression, j.IntervalMinutes = "every minute", "* * * * *", 1 })
		for i := range 6 {
			j := s.storeOldJob(t, tn, func(j *prikke.Job) { j.Name = fmt.Sprint("hourly ", i) })
			jobs = append(jobs, j.ID.String())
		}
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/monitors", map[string]any{"project_id": tn.project.ID.String(), "name": "backup", "slug": "backup",
			"period": "10m", "grace": "5m"})
		if r.Status != 201 {
			t.Fatalf("create monitor = %d %s", r.Status, r.Body)
		}
		var mon struct{ ID string }
		r.json(t, &mon)

		reasons := func() (map[string]string, string) {
			t.Helper()
			out := map[string]string{}
			for _, id := range append([]string{minute.ID.String()}, jobs...) {
				var j struct {
					Enabled     bool
					PauseReason *string `json:"pause_reason"`
				}
				c.do("GET", "/api/v1/jobs/"+id, nil).json(t, &j)
				switch {
				case j.PauseReason != nil && !j.Enabled:
					out[id] = *j.PauseReason
				case j.PauseReason != nil:
					out[id] = "enabled with reason " + *j.PauseReason
				}
			}
			var m struct {
				Status      string
				PauseReason *string `json:"pause_reason"`
			}
			c.do("GET", "/api/v1/monitors/"+mon.ID, nil).json(t, &m)
			mr := m.Status
			if m.PauseReason != nil {
				mr += " " + *m.PauseReason
			}
			return out, mr
		}

		exp := *sub
		exp.Status, exp.EndsAt, exp.UpdatedAt = prikke.SubscriptionExpired, &at, at.Add(time.Minute)
		s.deliverSub(t, "subscription_expired", &exp, org, prikke.BillingApplied)
		got, monitor := reasons()
		// The minute job (Free's shortest interval is an hour), then of the
		// 6 hourly jobs and the monitor, oldest first, all beyond 5.
		want := map[string]string{minute.ID.String(): "plan", jobs[5]: "plan"}
		if fmt.Sprint(got) != fmt.Sprint(want) || monitor != "paused plan" {
			t.Errorf("after the downgrade: jobs paused %v, monitor %q; want %v and the monitor paused plan", got, monitor, want)
		}

		renewed := *sub
		renewed.UpdatedAt = at.Add(2 * time.Minute)
		s.deliverSub(t, "subscription_resumed", &renewed, org, prikke.BillingApplied)
		got, monitor = reasons()
		if len(got) != 0 || monitor != "new" {
			t.Errorf("after the upgrade: jobs with a reason %v, monitor %q; want none and the monitor running", got, monitor)
		}
	})
}
