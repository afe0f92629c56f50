package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing/billingtest"
	"github.com/prikke/prikke/internal/config"
)

// withStore opens the store env names, for a test to look at or seed.
func withStore(t *testing.T, env map[string]string, fn func(st *opened)) {
	t.Helper()
	cfg, err := config.Load(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), cfg, false, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn(st)
}

// billingEnv is testEnv with billing on against fake.
func billingEnv(t *testing.T, fake *billingtest.Server) map[string]string {
	env := testEnv(t)
	for k, v := range map[string]string{"PRIKKE_BILLING": "lemonsqueezy", "PRIKKE_LEMONSQUEEZY_API_URL": fake.URL,
		"PRIKKE_LEMONSQUEEZY_API_KEY": billingtest.APIKey, "PRIKKE_LEMONSQUEEZY_STORE_ID": billingtest.StoreID,
		"PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID": billingtest.ProVariantID, "PRIKKE_LEMONSQUEEZY_SIGNING_SECRET": billingtest.Secret} {
		env[k] = v
	}
	return env
}

// TestServeWithBilling: the whole program with billing on takes a signed
// webhook posted from another site, and the organization's tier the API
// reports follows it.
func TestServeWithBilling(t *testing.T) {
	t.Parallel()
	fake := billingtest.New(t)
	env := billingEnv(t, fake)
	mustRun(t, env, "a long and unusual passphrase\n", "user", "create", "--email", "buyer@example.com", "--password-stdin")
	key := strings.TrimSpace(mustRun(t, env, "", "apikey", "create", "--email", "buyer@example.com"))
	base, stop := startServer(t, env)
	defer stop()
	get := func(path string, v any) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
	}
	var orgs []map[string]any
	get("/api/v1/organizations", &orgs)
	if len(orgs) != 1 || orgs[0]["tier"] != "free" {
		t.Fatalf("before the webhook: %v", orgs)
	}
	orgID := orgs[0]["id"].(string)
	body := billingtest.SubscriptionEvent("subscription_created", billingtest.ProSubscription("99", time.Now().UTC().Truncate(time.Second)), orgID, false)
	req, _ := http.NewRequest("POST", base+"/webhooks/lemonsqueezy", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature", billingtest.Sign(billingtest.Secret, body))
	req.Header.Set("Origin", "https://app.lemonsqueezy.com")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook: %d %s", resp.StatusCode, msg)
	}
	var org map[string]any
	get("/api/v1/organizations/"+orgID, &org)
	if org["tier"] != "pro" {
		t.Errorf("after the webhook: %v", org)
	}
}

// TestBillingCommands: prikke billing unclaimed, claim and sync against
// the Lemon Squeezy fake; sync refuses with billing off.
func TestBillingCommands(t *testing.T) {
	t.Parallel()
	fake := billingtest.New(t)
	env := billingEnv(t, fake)
	ctx := context.Background()
	mustRun(t, env, "a long and unusual passphrase\n", "user", "create", "--email", "owner@example.com", "--password-stdin")
	if out := mustRun(t, env, "", "billing", "unclaimed"); out != "no unclaimed subscriptions\n" {
		t.Errorf("unclaimed, none = %q", out)
	}
	bought := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var orgID prikke.ID
	withStore(t, env, func(st *opened) {
		if _, err := st.BillingRecord(ctx, nil, billingtest.ProSubscription("55", bought)); err != nil {
			t.Fatal(err)
		}
		u, err := st.UserGetByEmail(ctx, "owner@example.com")
		if err != nil {
			t.Fatal(err)
		}
		o, err := st.OrganizationGetPersonal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		orgID = o.ID
	})
	out := mustRun(t, env, "", "billing", "unclaimed")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || strings.Join(strings.Fields(lines[1])[:4], " ") != "55 buyer@example.com active "+billingtest.ProVariantID {
		t.Errorf("unclaimed = %q", out)
	}
	if _, err := runIn(t, env, "", "billing", "claim", "55", "not-an-id"); err == nil || !strings.Contains(err.Error(), "not an organization id") {
		t.Errorf("claim to a bad id: %v", err)
	}
	if out := mustRun(t, env, "", "billing", "claim", "55", orgID.String()); !strings.Contains(out, "on the pro tier") {
		t.Errorf("claim = %q", out)
	}
	if _, err := runIn(t, env, "", "billing", "claim", "55", orgID.String()); err == nil || !strings.Contains(err.Error(), "belongs to organization") {
		t.Errorf("claim again: %v", err)
	}

	// Lemon Squeezy says it expired; no webhook came.
	expired := billingtest.ProSubscription("55", bought)
	end := bought.Add(30 * time.Minute)
	expired.Status, expired.EndsAt, expired.UpdatedAt = prikke.SubscriptionExpired, &end, end
	fake.PutSubscription(expired)
	if out := mustRun(t, env, "", "billing", "sync"); out != "subscriptions re-synced\n" {
		t.Errorf("sync = %q", out)
	}
	withStore(t, env, func(st *opened) {
		if o, err := st.OrganizationGet(ctx, orgID); err != nil || o.Tier != prikke.TierFree {
			t.Errorf("after the sync: %+v, %v", o, err)
		}
	})

	off := testEnv(t)
	if _, err := runIn(t, off, "", "billing", "sync"); err == nil || !strings.Contains(err.Error(), "Billing is off") {
		t.Errorf("sync with billing off: %v", err)
	}
	if out := mustRun(t, off, "", "billing", "--help"); !strings.Contains(out, "prikke billing claim SUBSCRIPTION_ID ORGANIZATION_ID") {
		t.Errorf("billing --help = %q", out)
	}
	if _, err := runIn(t, off, "", "billing", "refund"); err == nil {
		t.Error("billing refund ran")
	}
	off["PRIKKE_DEFAULT_TIER"] = "pro"
	if out := mustRun(t, off, "a long and unusual passphrase\n", "user", "create", "--email", "self@example.com", "--password-stdin"); !strings.Contains(out, "with a pro personal organization") {
		t.Errorf("user create under PRIKKE_DEFAULT_TIER=pro = %q", out)
	}
}
