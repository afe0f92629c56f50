package web_test

// The operator console in a real browser: an operator (listed in
// PRIKKE_OPERATOR_EMAILS) signs in, follows the navigation's link to the
// console, posts an incident, finds an organization by its owner's email,
// tries to suspend it without a reason (the error beside the field), then
// with one, and finds both actions in the audit log.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web"
)

func TestBrowserOperatorConsole(t *testing.T) {
	st := storetest.OpenSQLite(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := delivery.New(delivery.Options{})
	t.Cleanup(client.Close)
	box := mail.NewMailbox()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	const email, password = "ops@example.com", "a long and unusual passphrase"
	const victimEmail = "spammer@example.com"
	svc := service.New(st, auth.NewHasher(), box, client, service.Config{BaseURL: base, SignupOpen: true,
		OperatorEmails: []string{email}}, logger)
	w, err := web.New(web.Deps{Logger: logger, BaseURL: base, Mailbox: box, Service: svc, ClientIP: httpserver.ClientIP(nil),
		OpenAPI: func() ([]byte, error) { return []byte(`{}`), nil }})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = httpserver.New(httpserver.Deps{Store: st, Logger: logger, Mount: w.Mount})
	ts.Start()
	t.Cleanup(ts.Close)

	ctx := context.Background()
	if _, err := svc.CreateConfirmedUser(ctx, email, password, prikke.TierFree); err != nil {
		t.Fatal(err)
	}
	victim, err := svc.CreateConfirmedUser(ctx, victimEmail, password, prikke.TierFree)
	if err != nil {
		t.Fatal(err)
	}
	victimOrg, err := st.OrganizationGetPersonal(ctx, victim.ID)
	if err != nil {
		t.Fatal(err)
	}
	orgPath := "/operator/orgs/" + victimOrg.ID.String()

	bctx, plog := startBrowser(t)
	plog.expect(orgPath + "/suspend") // the 422 of the suspension without a reason
	step := func(name string, d time.Duration, fn func(ctx context.Context) error) {
		t.Helper()
		if t.Failed() {
			return // later steps build on earlier ones
		}
		if err := within(bctx, d, fn); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	step("sign in and open the console from the navigation", 60*time.Second, func(ctx context.Context) error {
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
		if err := clickAndLoad(ctx, `aside nav a[href="/operator"]`); err != nil {
			return fmt.Errorf("the navigation's console link: %w", err)
		}
		if got := location(ctx); got != "/operator" {
			return fmt.Errorf("at %s, not /operator", got)
		}
		return nil
	})

	step("post an incident", 30*time.Second, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-title"), "Deliveries delayed"),
			chromedp.SendKeys(chromedp.CSS("#field-message"), "Requests start up to a minute late."),
			chromedp.Click(chromedp.CSS(`input[name="components"][value="delivery"]`))); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `[data-testid="incident-form"] button[type=submit]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `[...document.querySelectorAll('[data-testid="incident"]')].some(e => e.textContent.includes('Deliveries delayed') && e.textContent.includes('Webhook delivery'))`); err != nil {
			return fmt.Errorf("the incident is not listed: %w", err)
		}
		screenshot(t, ctx, "operator-incidents-desktop")
		return nil
	})

	step("find the organization by its owner's email", 30*time.Second, func(ctx context.Context) error {
		if err := clickAndLoad(ctx, `[data-testid="operator-tabs"] a[href="/operator/orgs"]`); err != nil {
			return err
		}
		if err := typeInto(ctx, "#org-q", victimEmail); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `[data-testid="org-search"] button[type=submit]`); err != nil {
			return err
		}
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="operator-orgs"] tbody tr').length`))
		if err != nil || rows != 1 {
			return fmt.Errorf("%d rows for %s: %v", rows, victimEmail, err)
		}
		screenshot(t, ctx, "operator-orgs-desktop")
		return clickAndLoad(ctx, `[data-testid="operator-orgs"] a[href="`+orgPath+`"]`)
	})

	step("suspend it: first without a reason, then with one", 30*time.Second, func(ctx context.Context) error {
		if err := clickAndLoad(ctx, `[data-testid="suspend-form"] button[type=submit]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('#field-reason-error')?.checkVisibility() && document.querySelector('#field-reason').getAttribute('aria-invalid') === 'true'`); err != nil {
			return fmt.Errorf("no error beside the reason: %w", err)
		}
		if err := typeInto(ctx, "#field-reason", "Sending spam through webhooks"); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `[data-testid="suspend-form"] button[type=submit]`); err != nil {
			return err
		}
		if got := location(ctx); got != orgPath {
			return fmt.Errorf("at %s after suspending, not %s", got, orgPath)
		}
		reason, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="suspend-reason"]`)))
		if err != nil || reason != "Sending spam through webhooks" {
			return fmt.Errorf("reason %q: %v", reason, err)
		}
		screenshot(t, ctx, "operator-org-suspended-desktop")
		return nil
	})

	step("the audit log lists both actions, newest first", 30*time.Second, func(ctx context.Context) error {
		if err := clickAndLoad(ctx, `[data-testid="operator-tabs"] a[href="/operator/audit"]`); err != nil {
			return err
		}
		actions, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="operator-audit"] tbody tr')].map(r => r.cells[2].textContent.trim() + ' ' + r.cells[1].textContent.trim())`))
		if err != nil {
			return err
		}
		want := []string{string(prikke.AuditOrganizationSuspend) + " " + email, string(prikke.AuditIncidentOpen) + " " + email}
		if strings.Join(actions, "|") != strings.Join(want, "|") {
			return fmt.Errorf("audit rows %q, want %q", actions, want)
		}
		screenshot(t, ctx, "operator-audit-desktop")
		return nil
	})

	step("the console fits a phone", 30*time.Second, func(ctx context.Context) error {
		if err := setViewport(ctx, 375, 812, true); err != nil {
			return err
		}
		for _, path := range []string{"/operator", "/operator/orgs", orgPath, "/operator/nodes", "/operator/audit"} {
			if err := navigate(ctx, base, path, 200); err != nil {
				return err
			}
			if err := noOverflow(ctx, 375); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		return nil
	})
	plog.assertClean(t)
}
