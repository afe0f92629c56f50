package web_test

// Billing in a real browser: a Prikke that sells Pro through the loopback
// fake of Lemon Squeezy, with the routes the production server mounts
// (the API's /webhooks/lemonsqueezy beside the dashboard). The owner
// signs in, opens Billing and clicks Upgrade; the browser must land on
// the fake's checkout page carrying the organization in its custom data
// (no Content-Security-Policy may stop the redirect); a signed
// subscription_created webhook then makes the dashboard say Pro.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/billing/billingtest"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web"
)

func TestBrowserBillingUpgrade(t *testing.T) {
	fake := billingtest.New(t)
	st := storetest.OpenSQLite(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	client := delivery.New(delivery.Options{})
	t.Cleanup(client.Close)
	box := mail.NewMailbox()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	svc := service.New(st, auth.NewHasher(), box, client, service.Config{BaseURL: base, SignupOpen: true,
		Billing: service.Billing{Provider: billing.New(fake.Config()), SigningSecret: billingtest.Secret, ProVariantID: billingtest.ProVariantID}}, logger)
	// As cmd/prikke mounts them: the API (with the webhook) and the web.
	var mountErr error
	ts.Config.Handler = httpserver.New(httpserver.Deps{Store: st, Logger: logger, CrossOriginOpen: []string{"/ping/", "/webhooks/"},
		Mount: func(mux *http.ServeMux) {
			a := api.New(mux, api.Deps{Service: svc, Logger: logger, ClientIP: httpserver.ClientIP(nil)})
			w, err := web.New(web.Deps{Logger: logger, BaseURL: base, Mailbox: box, Service: svc, ClientIP: httpserver.ClientIP(nil), OpenAPI: a.OpenAPI})
			if err != nil {
				mountErr = err
				return
			}
			w.Mount(mux)
		}})
	if mountErr != nil {
		t.Fatal(mountErr)
	}
	ts.Start()
	t.Cleanup(ts.Close)

	const email, password = "owner@example.com", "a long and unusual passphrase"
	u, err := svc.CreateConfirmedUser(context.Background(), email, password, prikke.TierFree)
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.OrganizationGetPersonal(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	billingPath := "/app/orgs/" + org.ID.String() + "/billing"

	ctx, plog := startBrowser(t)
	plog.expect(fake.URL + "/favicon.ico") // the fake's checkout page has none
	step := func(name string, d time.Duration, fn func(ctx context.Context) error) {
		t.Helper()
		if t.Failed() {
			return // later steps build on earlier ones
		}
		if err := within(ctx, d, fn); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	step("sign in and open Billing", 60*time.Second, func(ctx context.Context) error {
		if err := setViewport(ctx, 1280, 800, false); err != nil {
			return err
		}
		if err := navigate(ctx, base, "/login", 200); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-email"), email),
			chromedp.SendKeys(chromedp.CSS("#field-password"), password)); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `form[action="/login"] button[type=submit]`); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `nav a[href="`+billingPath+`"]`); err != nil {
			return fmt.Errorf("the navigation's Billing link: %w", err)
		}
		if got := location(ctx); got != billingPath {
			return fmt.Errorf("at %s, not %s", got, billingPath)
		}
		tier, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="billing-tier"]`)))
		if err != nil || tier != "Free" {
			return fmt.Errorf("plan %q: %v", tier, err)
		}
		screenshot(t, ctx, "billing-free-desktop")
		return nil
	})

	step("Upgrade lands on the checkout with the organization in its custom data", 30*time.Second, func(ctx context.Context) error {
		if err := clickAndLoad(ctx, `[data-testid="upgrade"]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.getElementById('custom-organization-id') !== null`); err != nil {
			return fmt.Errorf("not on the fake checkout page (at %s): %w", location(ctx), err)
		}
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#custom-organization-id")))
		if err != nil {
			return err
		}
		if strings.TrimSpace(got) != org.ID.String() {
			return fmt.Errorf("the checkout carries organization %q, want %s", got, org.ID)
		}
		cs := fake.Checkouts()
		if len(cs) != 1 || cs[0].Email != email {
			return fmt.Errorf("checkouts %+v", cs)
		}
		return nil
	})

	step("the webhook arrives; the dashboard says Pro", 30*time.Second, func(ctx context.Context) error {
		sub := billingtest.ProSubscription("7001", time.Now().UTC().Truncate(time.Second))
		sub.CustomerEmail = email
		body := billingtest.SubscriptionEvent("subscription_created", sub, org.ID.String(), false)
		req, err := http.NewRequest(http.MethodPost, base+"/webhooks/lemonsqueezy", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Event-Name", "subscription_created")
		req.Header.Set("X-Signature", billingtest.Sign(billingtest.Secret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("webhook: %d %s", resp.StatusCode, answer)
		}
		if err := navigate(ctx, base, billingPath+"?upgraded=1", 200); err != nil {
			return err
		}
		tier, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="billing-tier"]`)))
		if err != nil || tier != "Pro" {
			return fmt.Errorf("plan %q after the webhook: %v", tier, err)
		}
		status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="subscription-status"]`)))
		if err != nil || !strings.HasPrefix(status, "Renews on ") {
			return fmt.Errorf("subscription status %q: %v", status, err)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="manage-billing"]') !== null && document.querySelector('[data-testid="upgrade"]') === null`); err != nil {
			return fmt.Errorf("no Manage billing, or still Upgrade: %w", err)
		}
		screenshot(t, ctx, "billing-pro-desktop")
		return nil
	})

	step("the billing page fits a phone", 30*time.Second, func(ctx context.Context) error {
		if err := setViewport(ctx, 375, 812, true); err != nil {
			return err
		}
		if err := navigate(ctx, base, billingPath, 200); err != nil {
			return err
		}
		screenshot(t, ctx, "billing-pro-phone")
		return noOverflow(ctx, 375)
	})
	plog.assertClean(t)
}
