package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserResignupChoosesPassword: in a real browser, an address
// signed up twice before it was confirmed gets a link that, once
// followed, confirms it and asks for the account's password; that
// password signs in, the ones typed at sign-up do not.
func TestBrowserResignupChoosesPassword(t *testing.T) {
	s := startDashServer(t)
	ctx, plog := startBrowser(t)
	base := s.ts.URL
	const email, chosen = "dana@example.com", "the mailbox owner's passphrase"
	signup := func(ctx context.Context, password string) error {
		if err := navigate(ctx, base, "/signup", 200); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-email"), email),
			chromedp.SendKeys(chromedp.CSS("#field-password"), password)); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `form[action="/signup"] button[type=submit]`); err != nil {
			return err
		}
		return waitFor(ctx, `document.querySelector('[data-testid="signup-done"]')?.textContent.includes(`+jsString(email)+`)`)
	}
	login := func(ctx context.Context, password string) error {
		if err := navigate(ctx, base, "/login", 200); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-email"), email),
			chromedp.SendKeys(chromedp.CSS("#field-password"), password)); err != nil {
			return err
		}
		return clickAndLoad(ctx, `form[action="/login"] button[type=submit]`)
	}
	err := within(ctx, 90*time.Second, func(ctx context.Context) error {
		if err := setViewport(ctx, 1280, 800, false); err != nil {
			return err
		}
		for _, pw := range []string{"the first sign-up's passphrase", "someone else's passphrase"} {
			if err := signup(ctx, pw); err != nil {
				return fmt.Errorf("sign up: %w", err)
			}
		}
		// The dev mailbox lists the newest mail first.
		if err := navigate(ctx, base, "/dev/mailbox", 200); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `a[href^="/dev/mailbox/"]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="mail-text"]')?.textContent.includes("asks you to choose its password")`); err != nil {
			return fmt.Errorf("the newest mail does not say the link asks for a password: %w", err)
		}
		if err := clickAndLoad(ctx, `[data-testid="mail-text"] a[href*="/confirm?token="]`); err != nil {
			return fmt.Errorf("open the confirmation link: %w", err)
		}
		if err := clickAndLoad(ctx, `[data-testid="confirm-form"] button`); err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="choose-password"]')?.textContent.includes(`+jsString(email+" is confirmed")+`)`); err != nil {
			return fmt.Errorf("confirming does not ask for a password: %w", err)
		}
		screenshot(t, ctx, "choose-password-desktop")
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-password"), chosen)); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `[data-testid="password-form"] button[type=submit]`); err != nil {
			return err
		}
		if loc := location(ctx); loc != "/login" {
			return fmt.Errorf("after choosing the password: at %s, want /login", loc)
		}
		if err := waitFor(ctx, `document.body.textContent.includes("Your password is set. Sign in with it.")`); err != nil {
			return fmt.Errorf("no flash: %w", err)
		}
		plog.expect("401 (Unauthorized) (" + base + "/login)")
		for _, pw := range []string{"the first sign-up's passphrase", "someone else's passphrase"} {
			if err := login(ctx, pw); err != nil {
				return err
			}
			if err := waitFor(ctx, `document.body.textContent.includes("Incorrect email or password.")`); err != nil {
				return fmt.Errorf("a sign-up's password %q: %w", pw, err)
			}
		}
		if err := login(ctx, chosen); err != nil {
			return err
		}
		if loc := location(ctx); !strings.HasPrefix(loc, "/app/projects/") {
			return fmt.Errorf("signing in with the chosen password: at %s", loc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	plog.assertClean(t)
	plog.assertOnlyHost(t, strings.TrimPrefix(base, "http://"))
}
