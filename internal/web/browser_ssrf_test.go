package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/prikke/prikke"
)

// TestBrowserSSRFBanner: while PRIKKE_SSRF_ALLOW relaxes the delivery
// guard for development, every dashboard page shows a banner at its top,
// at desktop and phone width, naming what is let through and linking to
// "Testing against your own machine"; the public pages do not.
func TestBrowserSSRFBanner(t *testing.T) {
	s := startDashServer(t, "127.0.0.0/8", "::1/128")
	ctx, plog := startBrowser(t)
	base := s.ts.URL
	const email, password = "dev@example.com", "a long and unusual passphrase"
	if _, err := s.svc.CreateConfirmedUser(context.Background(), email, password, prikke.TierFree); err != nil {
		t.Fatal(err)
	}
	shown := `(b => b !== null && b.checkVisibility() && b.getBoundingClientRect().top >= 0 && b.getBoundingClientRect().top < innerHeight &&
		b.textContent.includes("the SSRF guard is relaxed") && b.textContent.includes("127.0.0.0/8") && b.textContent.includes("::1/128") &&
		b.textContent.includes("PRIKKE_SSRF_ALLOW") && b.querySelector('a[href="/docs/own-machine"]')?.checkVisibility())(document.querySelector('[data-testid="ssrf-banner"]'))`
	err := within(ctx, 90*time.Second, func(ctx context.Context) error {
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
		project := location(ctx)
		if !strings.HasPrefix(project, "/app/projects/") {
			return fmt.Errorf("after login the browser is at %s, not the dashboard", project)
		}
		for _, vp := range viewports {
			if err := setViewport(ctx, vp.width, vp.height, vp.mobile); err != nil {
				return err
			}
			for _, path := range []string{project, project + "/jobs", project + "/jobs/new", project + "/channels", "/app/account"} {
				if err := navigate(ctx, base, path, 200); err != nil {
					return err
				}
				ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](shown))
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("%s at %s: no visible banner at the top", path, vp.name)
				}
				if err := noOverflow(ctx, vp.width); err != nil {
					return fmt.Errorf("%s at %s: %w", path, vp.name, err)
				}
			}
			screenshot(t, ctx, "ssrf-banner-"+vp.name)
		}
		// The banner's link leads to the docs page, which has no banner.
		if err := clickAndLoad(ctx, `[data-testid="ssrf-banner"] a[href="/docs/own-machine"]`); err != nil {
			return err
		}
		h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		if err != nil {
			return err
		}
		if location(ctx) != "/docs/own-machine" || !strings.Contains(h1, "Testing against your own machine") {
			return fmt.Errorf("the banner's link led to %s (h1 %q)", location(ctx), h1)
		}
		none, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="ssrf-banner"]') === null`))
		if err != nil || !none {
			return fmt.Errorf("a public page shows the banner (%v)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	plog.assertOnlyHost(t, strings.TrimPrefix(base, "http://"))
	plog.assertClean(t)
}
