package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// TestBrowserFlowKey: limits set on a key through the flow control page
// with a bad period show the service's message beside the period field;
// fixed, they save, the key page shows them, and the project's overview
// lists the key with a link to its page. Paused, the key's page counts a
// new waiting execution live, without a reload.
func TestBrowserFlowKey(t *testing.T) {
	s := startDashServer(t)
	ctx, plog := startBrowser(t)
	base := s.ts.URL
	bg := context.Background()
	const email, password = "flo@example.com", "a long and unusual passphrase"
	u, err := s.svc.CreateConfirmedUser(bg, email, password, prikke.TierFree)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.store.OrganizationGetPersonal(bg, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.store.ProjectListByOrganization(bg, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := &service.Actor{User: u}
	project := "/app/projects/" + ps[0].ID.String()
	keyPath := project + "/flow-keys/billing-api"

	// The message the API gives for this period, from the service both use.
	rate, bad := 20, "2h"
	_, _, err = s.svc.PutFlowKey(bg, a, ps[0].ID, "billing-api", &service.FlowKeyInput{Rate: &rate, Period: &bad})
	var want string
	for _, fe := range prikke.ErrorFields(err) {
		if fe.Field == "period" {
			want = fe.Message
		}
	}
	if want == "" {
		t.Fatalf("the service took period %q: %v", bad, err)
	}

	step := func(name string, d time.Duration, fn func(ctx context.Context) error) {
		t.Helper()
		if t.Failed() {
			return // later steps build on earlier ones
		}
		if err := within(ctx, d, fn); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	step("a bad period shows the service's message beside the field", 60*time.Second, func(ctx context.Context) error {
		if err := setViewport(ctx, 1280, 800, false); err != nil {
			return err
		}
		sess, err := s.svc.Login(ctx, email, password, "127.0.0.1", "browser test")
		if err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "prikke_session", Value: sess.Token, URL: base + "/"}); err != nil {
			return err
		}
		if err := navigate(ctx, base, project, 200); err != nil {
			return err
		}
		// The sidebar leads to flow control.
		if err := clickAndLoad(ctx, `aside a[href="`+project+`/flow-keys"]`); err != nil {
			return err
		}
		for sel, text := range map[string]string{"#field-key": "billing-api", "#field-rate": "20", "#field-period": bad, "#field-parallelism": "5"} {
			if err := typeInto(ctx, sel, text); err != nil {
				return err
			}
		}
		plog.expect("422 (Unprocessable Entity) (" + base + project + "/flow-keys)")
		if err := clickAndLoad(ctx, `[data-testid="flow-key-form"] button[type="submit"]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `(el => el && el.textContent.trim() === `+jsString(want)+` && el.checkVisibility())(document.querySelector('#field-period-error'))`); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="flow-key-form"]')?.innerHTML || document.body.innerText`))
			return fmt.Errorf("no message %q beside the period: %w\n%s", want, err, html)
		}
		// Beside the field: in the period's own box, which points at it.
		if err := waitFor(ctx, `(f => f.value === '2h' && f.getAttribute('aria-invalid') === 'true' && f.getAttribute('aria-describedby').split(' ').includes('field-period-error') && f.parentElement.contains(document.getElementById('field-period-error')))(document.getElementById('field-period'))`); err != nil {
			return fmt.Errorf("the period field does not carry its error: %w", err)
		}
		if err := waitFor(ctx, `document.getElementById('field-rate').value === '20' && !document.getElementById('field-rate-error')`); err != nil {
			return fmt.Errorf("the rate was lost or blamed: %w", err)
		}
		screenshot(t, ctx, "flow-key-error-desktop")
		return nil
	})

	step("fixed, the limits save and the key page shows them", 60*time.Second, func(ctx context.Context) error {
		if err := typeInto(ctx, "#field-period", "1s"); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `[data-testid="flow-key-form"] button[type="submit"]`); err != nil {
			return err
		}
		if loc := location(ctx); loc != keyPath {
			return fmt.Errorf("after saving the browser is at %s, want %s", loc, keyPath)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="flow-limits"]').textContent.includes('20 per second · at most 5 in flight')`); err != nil {
			return err
		}
		k, err := s.svc.FlowKey(ctx, a, ps[0].ID, "billing-api")
		if err != nil {
			return err
		}
		if k.Rate != 20 || k.Period != time.Second || k.Burst != 1 || k.Parallelism != 5 {
			return fmt.Errorf("stored: %+v", k)
		}
		return nil
	})

	step("the project page lists the key", 30*time.Second, func(ctx context.Context) error {
		if err := navigate(ctx, base, project, 200); err != nil {
			return err
		}
		row := `document.querySelector('[data-testid="flow-keys"] tr[data-flow-key="billing-api"]')`
		if err := waitFor(ctx, row+` !== null && `+row+`.querySelector('a').getAttribute('href') === `+jsString(keyPath)+` && `+row+`.textContent.includes('20 per second')`); err != nil {
			return fmt.Errorf("the overview does not list the key: %w", err)
		}
		screenshot(t, ctx, "flow-overview-desktop")
		return clickAndLoad(ctx, `tr[data-flow-key="billing-api"] a`)
	})

	step("paused, a new waiting execution shows without a reload", 60*time.Second, func(ctx context.Context) error {
		if err := clickAndLoad(ctx, `[data-testid="pause"]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `!!document.querySelector('[data-testid="resume"]') && document.querySelector('[data-testid="flow-waiting"]').textContent.trim() === '0'`); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__prikkeMark = 42`)); err != nil {
			return err
		}
		name, target, expr, zone, key := "billing sync", s.sink.URL("/ok"), "0 9 * * 1-5", "UTC", "billing-api"
		j, err := s.svc.CreateJob(ctx, a, &service.JobInput{ProjectID: &ps[0].ID, Name: &name, URL: &target,
			CronExpression: &expr, TimeZone: &zone, FlowKey: &key})
		if err != nil {
			return err
		}
		if _, err := s.svc.TriggerJob(ctx, a, j.ID); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="flow-waiting"]').textContent.trim() === '1' && window.__prikkeMark === 42`); err != nil {
			return fmt.Errorf("the waiting count did not move live: %w", err)
		}
		if s.sink.Count() != 0 {
			return fmt.Errorf("a paused key's execution was delivered")
		}
		screenshot(t, ctx, "flow-key-desktop")
		return nil
	})

	step("the flow pages fit every viewport", 60*time.Second, func(ctx context.Context) error {
		for _, vp := range viewports {
			if err := setViewport(ctx, vp.width, vp.height, vp.mobile); err != nil {
				return err
			}
			for _, path := range []string{project + "/flow-keys", keyPath, project} {
				if err := navigate(ctx, base, path, 200); err != nil {
					return err
				}
				if err := noOverflow(ctx, vp.width); err != nil {
					return fmt.Errorf("%s at %s: %w", path, vp.name, err)
				}
			}
		}
		return nil
	})
	plog.assertOnlyHost(t, strings.TrimPrefix(base, "http://"))
	plog.assertClean(t)
}
