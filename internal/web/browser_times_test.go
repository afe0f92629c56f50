package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// pageTimes is what a page shows of its instants: each <time> in <main>
// with its text, its title (the exact value a hover shows) and whether
// the title and the datetime name the same millisecond.
const pageTimes = `[...document.querySelectorAll('main time')].map(el =>
	el.textContent.trim() + '|' + (el.getAttribute('title') || '') + '|' +
	(new Date(el.getAttribute('title')).getTime() === new Date(el.getAttribute('datetime')).getTime()))`

// TestBrowserTimes: every instant on the dashboard is written one way,
// with seconds, in the zone the user chose (Asia/Kolkata here, while the
// browser is in New York and the jobs run on Oslo and UTC clocks), with
// the exact value to the millisecond in its title for a pointer hovering
// over it; no script rewrites it into the browser's locale.
func TestBrowserTimes(t *testing.T) {
	s := startDashServer(t)
	ctx, plog := startBrowser(t)
	base := s.ts.URL
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	const email, password = "zoned@example.com", "a long and unusual passphrase"
	u, err := s.svc.CreateConfirmedUser(bg, email, password, prikke.TierPro)
	if err != nil {
		t.Fatal(err)
	}
	a := &service.Actor{User: u}
	if u, err = s.svc.SetTimeZone(bg, a, "Asia/Kolkata"); err != nil {
		t.Fatal(err)
	}
	a.User = u
	o, err := s.store.OrganizationGetPersonal(bg, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.store.ProjectListByOrganization(bg, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	project := ps[0].ID
	var failing *prikke.Job
	for _, j := range []struct{ name, zone, path string }{{"oslo report", "Europe/Oslo", "/500"}, {"utc sync", "UTC", "/ok"}} {
		name, target, expr, zone := j.name, s.sink.URL(j.path), "0 9 * * *", j.zone
		job, err := s.svc.CreateJob(bg, a, &service.JobInput{ProjectID: &project, Name: &name, URL: &target, CronExpression: &expr, TimeZone: &zone})
		if err != nil {
			t.Fatal(err)
		}
		if failing == nil {
			failing = job
		}
	}
	e, err := s.svc.TriggerJob(bg, a, failing.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The worker delivers it to the sink, which answers 500.
	for i := 0; ; i++ {
		got, err := s.store.ExecutionGet(bg, e.ID)
		if err == nil && got.Status == prikke.ExecutionStatusFailed {
			break
		}
		if i == 200 {
			t.Fatalf("the execution did not fail: %+v, %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	shape := `^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [1-9][0-9]? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20[0-9]{2}, [0-2][0-9]:[0-5][0-9]:[0-5][0-9] IST$`
	exact := `^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}\+05:30$`
	check := func(ctx context.Context, path string, atLeast int) error {
		if err := navigate(ctx, base, path, 200); err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		// Give any script the time it would need to rewrite the times.
		if err := waitFor(ctx, `document.readyState === 'complete'`); err != nil {
			return fmt.Errorf("load %s: %w", path, err)
		}
		times, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](pageTimes))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(times) < atLeast {
			return fmt.Errorf("%s shows %d times, want at least %d: %q", path, len(times), atLeast, times)
		}
		for _, tm := range times {
			parts := strings.Split(tm, "|")
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`new RegExp(%s).test(%s) && new RegExp(%s).test(%s)`,
				jsString(shape), jsString(parts[0]), jsString(exact), jsString(parts[1]))))
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if !ok || parts[2] != "true" {
				return fmt.Errorf("%s shows a time as %q (text|hover title|title is the datetime); want \"Sun 6 Dec 2026, 10:21:07 IST\" with the exact value to the millisecond in Asia/Kolkata on hover (all: %q)", path, tm, times)
			}
		}
		return nil
	}

	err = within(ctx, 90*time.Second, func(ctx context.Context) error {
		if err := setViewport(ctx, 1280, 800, false); err != nil {
			return err
		}
		// Signed in as Login signs in (the sign-in form has its own tests).
		sess, err := s.svc.Login(ctx, email, password, "127.0.0.1", "browser test")
		if err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "prikke_session", Value: sess.Token, URL: base + "/"}); err != nil {
			return err
		}
		overview := "/app/projects/" + project.String()
		// Next runs (two jobs, on Oslo's and UTC's clocks) and the recent failure.
		if err := check(ctx, overview, 3); err != nil {
			return err
		}
		next, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="next-runs"] time').length`))
		if err != nil || next != 2 {
			return fmt.Errorf("next runs show %d times, want 2: %v", next, err)
		}
		screenshot(t, ctx, "times-overview-desktop")
		for _, p := range []string{overview + "/executions", overview + "/jobs", "/app/executions/" + e.ID.String(), "/app/account"} {
			if err := check(ctx, p, 1); err != nil {
				return err
			}
		}
		// The account page names the zone in use.
		zone, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('field-zone-time_zone').value`))
		if err != nil || zone != "Asia/Kolkata" {
			return fmt.Errorf("the account page's zone is %q (%v), want Asia/Kolkata", zone, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	plog.assertOnlyHost(t, strings.TrimPrefix(base, "http://"))
	plog.assertClean(t)
}
