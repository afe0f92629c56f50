package web_test

// The dashboard in a real browser: Prikke's middleware, web and service
// over a SQLite store, with the real engine (scheduler and worker)
// delivering to a loopback sink, driven by headless Chromium. It signs up
// through the dev mailbox, creates a job with the live preview, watches an
// execution arrive over server-sent events, creates and revokes an API
// key, saves screenshots of every main page at desktop and phone width,
// and shows an open incident of Prikke's above the dashboard.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/notify"
	"github.com/prikke/prikke/internal/ping"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web"
	"github.com/prikke/prikke/internal/worker"
)

// dashServer is the whole of Prikke but the REST API, on one store: the
// dashboard, the ping API (with its recorder) and the engine.
type dashServer struct {
	ts    *httptest.Server
	store store.Store
	svc   *service.Service
	sink  *sink.Sink
}

// startDashServer starts it; ssrfAllow, if given, is what the dashboard
// says PRIKKE_SSRF_ALLOW lets through (Deps.SSRFAllow).
func startDashServer(t *testing.T, ssrfAllow ...string) *dashServer {
	t.Helper()
	st := storetest.OpenSQLite(t)
	sk, err := sink.Start(sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sk.Close)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	client := delivery.New(delivery.Options{Allow: []netip.AddrPort{sk.Addr()}})
	t.Cleanup(client.Close)
	box := mail.NewMailbox()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	svc := service.New(st, auth.NewHasher(), box, client, service.Config{BaseURL: base, SignupOpen: true}, logger)
	svc.Tester = notify.New(st, box, client, base, nil, logger)
	w, err := web.New(web.Deps{Logger: logger, BaseURL: base, Mailbox: box, Service: svc, ClientIP: httpserver.ClientIP(nil),
		OpenAPI: func() ([]byte, error) { return []byte(`{}`), nil }, SSRFAllow: ssrfAllow})
	if err != nil {
		t.Fatal(err)
	}
	rec := ping.NewRecorder(st, monitor.OnPing, ping.RecorderConfig{}, logger)
	rec.Start(context.Background())
	t.Cleanup(rec.Stop) // after the server has closed
	pings := ping.New(ping.Deps{Store: st, Recorder: rec, Create: svc.CreateMonitorByPingKey, ClientIP: httpserver.ClientIP(nil), Logger: logger})
	ts.Config.Handler = httpserver.New(httpserver.Deps{Store: st, Logger: logger, CrossOriginOpen: []string{"/ping/"}, Mount: func(mux *http.ServeMux) {
		pings.Mount(mux)
		w.Mount(mux)
	}})
	ts.Start()
	t.Cleanup(ts.Close)

	m := metrics.New()
	sched := scheduler.New(st, scheduler.Config{Node: "browser-test", Lead: 2 * time.Second, LeaderTTL: 3 * time.Second}, m, logger)
	wk := worker.New(st, client, worker.Config{Node: "browser-test", MinWorkers: 1, MaxWorkers: 4, PollEvery: 500 * time.Millisecond,
		Drain: 2 * time.Second, Trace: true, RecordBody: true}, m, logger) // as PRIKKE_TRACE and PRIKKE_RECORD_REQUEST_BODY default
	sched.Start(context.Background())
	wk.Start(context.Background())
	t.Cleanup(func() {
		sched.Stop()
		wk.Stop()
	})
	return &dashServer{ts: ts, store: st, svc: svc, sink: sk}
}

// navigate loads path and checks the status.
func navigate(ctx context.Context, base, path string, status int64) error {
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+path))
	if err != nil {
		return err
	}
	if resp.Status != status {
		return fmt.Errorf("GET %s = %d, want %d", path, resp.Status, status)
	}
	return nil
}

// clickAndLoad clicks sel and waits for the page it loads.
//
// It first waits for htmx to be idle: a swap landing between the click's
// aim and its press (a schedule preview growing above the submit button,
// on a loaded machine) moves the target, and the press lands beside it.
func clickAndLoad(ctx context.Context, sel string) error {
	if err := waitFor(ctx, `typeof htmx === 'undefined' || !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')`); err != nil {
		return fmt.Errorf("htmx still busy before clicking %s: %w", sel, err)
	}
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
	return err
}

// location is the tab's current URL path.
func location(ctx context.Context) string {
	loc, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	return loc
}

// noOverflow fails when the page is wider than the viewport.
func noOverflow(ctx context.Context, width int64) error {
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if err != nil {
		return err
	}
	if overflow > 0 {
		culprits, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right).slice(0, 5).map(e => e.tagName + '.' + [...e.classList].join('.') + ' ' + Math.round(e.getBoundingClientRect().right))`))
		return fmt.Errorf("the page is %dpx wider than the %dpx viewport; widest: %v", overflow, width, culprits)
	}
	return nil
}

func TestBrowserDashboard(t *testing.T) {
	// The server first, the browser second: the browser closes first at
	// the end, ending the event streams the server would wait for.
	s := startDashServer(t)
	ctx, plog := startBrowser(t)
	base := s.ts.URL
	host := strings.TrimPrefix(base, "http://")
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	const email, password = "ann@example.com", "a long and unusual passphrase"
	var projectPath, jobPath string

	step := func(name string, d time.Duration, fn func(ctx context.Context) error) {
		t.Helper()
		if t.Failed() {
			return // later steps build on earlier ones
		}
		if err := within(ctx, d, fn); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	desktop := func(ctx context.Context) error { return setViewport(ctx, 1280, 800, false) }

	step("sign up, confirm through the dev mailbox, sign in", 60*time.Second, func(ctx context.Context) error {
		if err := desktop(ctx); err != nil {
			return err
		}
		if err := navigate(ctx, base, "/signup", 200); err != nil {
			return err
		}
		screenshot(t, ctx, "signup-desktop")
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-email"), email),
			chromedp.SendKeys(chromedp.CSS("#field-password"), password)); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `form[action="/signup"] button[type=submit]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="signup-done"]')?.textContent.includes(`+jsString(email)+`)`); err != nil {
			return fmt.Errorf("no check-your-email page: %w", err)
		}
		if err := clickAndLoad(ctx, `a[href="/dev/mailbox"]`); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `a[href^="/dev/mailbox/"]`); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `[data-testid="mail-text"] a[href*="/confirm?token="]`); err != nil {
			return fmt.Errorf("open the confirmation link: %w", err)
		}
		if err := clickAndLoad(ctx, `[data-testid="confirm-form"] button`); err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="confirmed"]') !== null`); err != nil {
			return fmt.Errorf("not confirmed: %w", err)
		}
		if err := clickAndLoad(ctx, `a[href="/login"].btn`); err != nil {
			return err
		}
		screenshot(t, ctx, "login-desktop")
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-email"), email),
			chromedp.SendKeys(chromedp.CSS("#field-password"), password)); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `form[action="/login"] button[type=submit]`); err != nil {
			return err
		}
		projectPath = location(ctx)
		if !strings.HasPrefix(projectPath, "/app/projects/") {
			return fmt.Errorf("after login the browser is at %s, not the dashboard", projectPath)
		}
		h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		if err != nil || h1 != "Default" {
			return fmt.Errorf("dashboard h1 %q: %v", h1, err)
		}
		screenshot(t, ctx, "dashboard-overview-desktop")
		return nil
	})

	step("a validation error beside its field", 30*time.Second, func(ctx context.Context) error {
		plog.expect("422 (Unprocessable Entity)")
		if err := navigate(ctx, base, projectPath+"/jobs/new", 200); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-url"), "ftp://x")); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `#job-form button[type=submit]`); err != nil {
			return err
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const input = document.getElementById('field-url');
			const ids = (input.getAttribute('aria-describedby') || '').split(' ');
			const err = ids.map(id => document.getElementById(id)).find(el => el && el.classList.contains('field-error'));
			return input.getAttribute('aria-invalid') + '|' + (err ? err.textContent.trim() : '') + '|' + (err && err.offsetParent !== null);
		})()`))
		if err != nil {
			return err
		}
		if got != "true|scheme must be http or https|true" {
			return fmt.Errorf("the URL field: %q (aria-invalid|linked error text|visible)", got)
		}
		screenshot(t, ctx, "job-editor-error-desktop")
		return nil
	})

	step("create a cron job with the live preview", 60*time.Second, func(ctx context.Context) error {
		if err := navigate(ctx, base, projectPath+"/jobs/new", 200); err != nil {
			return err
		}
		// The zone picker starts at the viewer's zone, and the preview
		// is refreshed with it.
		if err := waitFor(ctx, `document.getElementById('field-timezone').value === 'America/New_York' && document.querySelector('[data-testid="schedule-preview"][data-viewer="known"]') !== null`); err != nil {
			return fmt.Errorf("the zone does not default to the browser's: %w", err)
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-name"), "morning report"),
			chromedp.SendKeys(chromedp.CSS("#field-url"), s.sink.URL("/ok"))); err != nil {
			return err
		}
		// Too frequent for the Free plan: the preview says so.
		if err := typeInto(ctx, "#field-cron_expression", "*/5 * * * *"); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="tier-problem"]')?.textContent.includes('Free plan')`); err != nil {
			return fmt.Errorf("no tier warning: %w", err)
		}
		if err := typeInto(ctx, "#field-cron_expression", "30 9 * * 1-5"); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="schedule-description"]')?.textContent.includes('At 09:30, Monday through Friday') && !document.querySelector('[data-testid="tier-problem"]')`); err != nil {
			return fmt.Errorf("the description did not update: %w", err)
		}
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#field-timezone"), "Europe/Oslo"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('field-timezone').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="schedule-preview"]').textContent.includes('(Europe/Oslo time)') && document.querySelectorAll('[data-testid="fire-times"] tbody tr').length === 10 && document.querySelector('[data-testid="fire-times"] thead').textContent.includes('Your time (America/New_York)')`); err != nil {
			rows, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('schedule-preview').textContent`))
			return fmt.Errorf("10 fire times in both zones: %w (%q)", err, rows)
		}
		// A second header row, added without a page load.
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[name="headers[0].name"]`), "X-Team"),
			chromedp.SendKeys(chromedp.CSS(`[name="headers[0].value"]`), "reports"),
			chromedp.Click(chromedp.CSS(`[data-add-row="header-rows"]`))); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.activeElement && document.activeElement.name === 'headers[1].name'`); err != nil {
			return fmt.Errorf("the new header row: %w", err)
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[name="headers[1].name"]`), "X-Env"),
			chromedp.SendKeys(chromedp.CSS(`[name="headers[1].value"]`), "test")); err != nil {
			return err
		}
		// Send a test request and see the response.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="send-test"]`))); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="test-result"]')?.textContent.includes('HTTP 200')`); err != nil {
			return fmt.Errorf("no test result: %w", err)
		}
		screenshot(t, ctx, "job-editor-preview-desktop")
		if err := clickAndLoad(ctx, `#job-form button[type=submit]`); err != nil {
			return err
		}
		jobPath = location(ctx)
		if !strings.HasPrefix(jobPath, "/app/jobs/") {
			return fmt.Errorf("after saving the browser is at %s", jobPath)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="job-schedule"]`)))
		if err != nil || !strings.Contains(text, "At 09:30, Monday through Friday (Europe/Oslo)") {
			return fmt.Errorf("the job's schedule reads %q: %v", text, err)
		}
		id, _ := prikke.ParseID(strings.TrimPrefix(jobPath, "/app/jobs/"))
		j, err := s.store.JobGet(ctx, id)
		if err != nil || len(j.Headers) != 2 || j.TimeZone != "Europe/Oslo" {
			return fmt.Errorf("saved job %+v: %v", j, err)
		}
		return nil
	})

	step("an every-N interval with a JSON body: Free's limit beside the field, then saved", 60*time.Second, func(ctx context.Context) error {
		if err := navigate(ctx, base, projectPath+"/jobs/new", 200); err != nil {
			return err
		}
		setSelect := func(sel, value string) chromedp.Action[chromedp.Void] {
			return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, value))
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-name"), "order sync"),
			chromedp.SendKeys(chromedp.CSS("#field-url"), s.sink.URL("/ok")),
			setSelect("#field-method", "POST"),
			chromedp.SendKeys(chromedp.CSS("#field-body"), `{"sync":true}`),
			chromedp.Click(chromedp.CSS("#kind-interval")),
			setSelect("#field-interval", "every_5_minutes")); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `#job-form button[type=submit]`); err != nil {
			return err
		}
		msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#field-interval-error`)))
		if err != nil || !strings.Contains(msg, "shortest interval is 1 hour") || !strings.Contains(msg, "Pro") {
			return fmt.Errorf("Free's every 5 minutes: %q beside the field (%v)", msg, err)
		}
		if err := chromedp.Do(ctx, setSelect("#field-interval", "every_2_hours")); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `#job-form button[type=submit]`); err != nil {
			return err
		}
		path := location(ctx)
		id, err := prikke.ParseID(strings.TrimPrefix(path, "/app/jobs/"))
		if err != nil {
			return fmt.Errorf("after saving the browser is at %s", path)
		}
		j, err := s.store.JobGet(ctx, id)
		if err != nil || j.CronExpression != "0 */2 * * *" || j.IntervalMinutes != 120 || prikke.ContentType(j.Headers, j.Body) != "application/json" {
			return fmt.Errorf("saved job %+v: %v", j, err)
		}
		return nil
	})

	step("a signed-in visitor to / is offered the dashboard", 30*time.Second, func(ctx context.Context) error {
		if err := navigate(ctx, base, "/", 200); err != nil {
			return err
		}
		header, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("header")))
		if err != nil || strings.Contains(header, "Log in") || strings.Contains(header, "Start for free") {
			return fmt.Errorf("the header reads %q (%v)", header, err)
		}
		if err := clickAndLoad(ctx, `[data-testid="to-dashboard"]`); err != nil {
			return err
		}
		if path := location(ctx); !strings.HasPrefix(path, "/app") {
			return fmt.Errorf("the dashboard link led to %s", path)
		}
		return nil
	})

	step("an execution appears live on the job page", 60*time.Second, func(ctx context.Context) error {
		if err := navigate(ctx, base, jobPath, 200); err != nil {
			return err
		}
		// Wait for the event stream, and mark the page: a reload would lose the mark.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__prikkeMark = 42`)); err != nil {
			return err
		}
		if err := waitFor(ctx, `!!htmx.find('[sse-connect]') && htmx.find('#executions-body [data-empty-row]') !== null`); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond) // let the EventSource connect
		u, err := s.store.UserGetByEmail(ctx, email)
		if err != nil {
			return err
		}
		id, _ := prikke.ParseID(strings.TrimPrefix(jobPath, "/app/jobs/"))
		e, err := s.svc.TriggerJob(ctx, &service.Actor{User: u}, id)
		if err != nil {
			return err
		}
		row := `document.getElementById('execution-` + e.ID.String() + `')`
		if err := waitFor(ctx, row+`?.dataset.status === 'success' && window.__prikkeMark === 42`); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('executions-body').innerHTML`))
			return fmt.Errorf("the execution did not appear without a reload: %w\n%s", err, html)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="job-last-run"]').textContent.includes('Success')`); err != nil {
			return fmt.Errorf("the job's state did not update: %w", err)
		}
		// The row's time is in the zone sign-up took from the browser
		// (New York), with seconds, like the rest of the page.
		if err := waitFor(ctx, `/^\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d EST$/.test(`+row+`.querySelector('time[title]').textContent)`); err != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](row+`.querySelector('time').outerHTML`))
			return fmt.Errorf("the live row's time: %w (%s)", err, text)
		}
		screenshot(t, ctx, "job-detail-desktop")
		if err := clickAndLoad(ctx, `#execution-`+e.ID.String()+` a[href^="/app/executions/"]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="response-status"]')?.textContent.includes('HTTP 200')`); err != nil {
			return err
		}
		screenshot(t, ctx, "execution-detail-desktop")
		return nil
	})

	step("create an API key, see it once, revoke it", 30*time.Second, func(ctx context.Context) error {
		if err := clickAndLoad(ctx, `aside a[href$="/api-keys"]`); err != nil {
			return err
		}
		keysPath := location(ctx)
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-name"), "laptop")); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `form[action$="/api-keys"] button[type=submit]`); err != nil {
			return err
		}
		key, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#new-api-key")))
		if err != nil {
			return err
		}
		key = strings.TrimSpace(key)
		k, err := s.svc.AuthenticateKey(ctx, key)
		if err != nil {
			return fmt.Errorf("the shown key %q does not work: %w", key, err)
		}
		screenshot(t, ctx, "api-key-created-desktop")
		if err := navigate(ctx, base, keysPath, 200); err != nil {
			return err
		}
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.body.innerHTML.split(`+jsString(key)+`).length - 1`)); n != 0 {
			return fmt.Errorf("the key is shown again")
		}
		if err := clickAndLoad(ctx, `tr[data-key-id="`+k.KeyID+`"] form button`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('tr[data-key-id="`+k.KeyID+`"] [data-testid="revoked"]') !== null`); err != nil {
			return fmt.Errorf("not marked revoked: %w", err)
		}
		if _, err := s.svc.AuthenticateKey(ctx, key); prikke.ErrorCode(err) != prikke.EUNAUTHORIZED {
			return fmt.Errorf("the revoked key still works: %v", err)
		}
		screenshot(t, ctx, "api-keys-desktop")
		return nil
	})

	var channelsPath, pagesPath, publicPath string
	step("add a webhook channel and send a test notification", 60*time.Second, func(ctx context.Context) error {
		if err := desktop(ctx); err != nil {
			return err
		}
		if err := navigate(ctx, base, projectPath, 200); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `aside a[href$="/channels"]`); err != nil {
			return err
		}
		channelsPath = location(ctx)
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-target"), s.sink.URL("/ok")),
			chromedp.SendKeys(chromedp.CSS("#field-name"), "ops hook")); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `form[action$="/channels"] button[type=submit]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="channel-name"]')?.textContent === 'ops hook'`); err != nil {
			return fmt.Errorf("the channel is not listed: %w", err)
		}
		before := s.sink.Count()
		if err := clickAndLoad(ctx, `[data-testid="test-channel"]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('.flash-success')?.textContent.includes('Test notification sent to “ops hook”') && document.querySelector('[data-testid="notification-log"]')?.textContent.includes('Sent')`); err != nil {
			return fmt.Errorf("no outcome: %w", err)
		}
		if s.sink.Count() != before+1 {
			return fmt.Errorf("the sink got %d requests, want 1", s.sink.Count()-before)
		}
		screenshot(t, ctx, "channels-test-sent-desktop")
		return nil
	})

	step("set a job's notifications to its own channels", 30*time.Second, func(ctx context.Context) error {
		if err := navigate(ctx, base, jobPath+"/edit", 200); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.getElementById('field-channel_ids').offsetParent === null`); err != nil {
			return fmt.Errorf("the channel list shows before custom is chosen: %w", err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#notify-custom"))); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.getElementById('field-channel_ids').offsetParent !== null`); err != nil {
			return fmt.Errorf("the channel list does not appear: %w", err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name="channel_ids"]`))); err != nil {
			return err
		}
		screenshot(t, ctx, "job-editor-notify-desktop")
		if err := clickAndLoad(ctx, `#job-form button[type=submit]`); err != nil {
			return err
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="job-notify"]`)))
		if err != nil || !strings.Contains(text, "Only “ops hook”") {
			return fmt.Errorf("the job page says %q: %v", text, err)
		}
		id, _ := prikke.ParseID(strings.TrimPrefix(jobPath, "/app/jobs/"))
		j, err := s.store.JobGet(ctx, id)
		if err != nil || j.NotifyMode != prikke.NotifyCustom || len(j.ChannelIDs) != 1 {
			return fmt.Errorf("saved %+v: %v", j, err)
		}
		return nil
	})

	step("create a status page and open it publicly", 60*time.Second, func(ctx context.Context) error {
		if err := clickAndLoad(ctx, `aside a[href$="/status-pages"]`); err != nil {
			return err
		}
		pagesPath = location(ctx)
		if err := clickAndLoad(ctx, `a[href$="/status-pages/new"]`); err != nil {
			return err
		}
		jid := strings.TrimPrefix(jobPath, "/app/jobs/")
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#field-title"), "Ann's integrations"),
			chromedp.SendKeys(chromedp.CSS("#field-slug"), "ann-status"),
			chromedp.Click(chromedp.CSS(`input[name="job_ids"][value="`+jid+`"]`))); err != nil {
			return err
		}
		if err := typeInto(ctx, `input[name="display_names[`+jid+`]"]`, "Daily report"); err != nil {
			return err
		}
		screenshot(t, ctx, "status-page-editor-desktop")
		if err := clickAndLoad(ctx, `#status-page-form button[type=submit]`); err != nil {
			return err
		}
		if location(ctx) != pagesPath {
			return fmt.Errorf("after saving the browser is at %s", location(ctx))
		}
		if err := clickAndLoad(ctx, `a[data-testid="public-link"]`); err != nil {
			return err
		}
		publicPath = location(ctx)
		if publicPath != "/s/ann-status" {
			return fmt.Errorf("the public link went to %s", publicPath)
		}
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="page-title"]').textContent === "Ann's integrations" &&
			document.querySelector('[data-component="Daily report"]') !== null && !document.body.textContent.includes(`+jsString(s.sink.URL(""))+`) &&
			!document.body.textContent.includes('morning report') && document.querySelectorAll('[data-testid="uptime-bars"] rect').length === 90`))
		if err != nil || !ok {
			return fmt.Errorf("the public page does not show just the display name and bars (%v)", err)
		}
		screenshot(t, ctx, "customer-status-desktop")
		return nil
	})

	step("a 404 page", 30*time.Second, func(ctx context.Context) error {
		plog.expect("404 (Not Found)")
		if err := navigate(ctx, base, "/app/jobs/"+prikke.NewID().String(), 404); err != nil {
			return err
		}
		title, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil || !strings.Contains(title, "Page not found") {
			return fmt.Errorf("title %q: %v", title, err)
		}
		screenshot(t, ctx, "dashboard-404-desktop")
		return nil
	})

	step("hostile names are text", 30*time.Second, func(ctx context.Context) error {
		u, err := s.store.UserGetByEmail(ctx, email)
		if err != nil {
			return err
		}
		a := &service.Actor{User: u}
		evil := "<script>alert(1)</script>"
		pid, _ := prikke.ParseID(strings.TrimPrefix(projectPath, "/app/projects/"))
		if _, err := s.svc.UpdateProject(ctx, a, pid, service.ProjectInput{Name: &evil}); err != nil {
			return err
		}
		jid, _ := prikke.ParseID(strings.TrimPrefix(jobPath, "/app/jobs/"))
		if _, err := s.svc.UpdateJob(ctx, a, jid, &service.JobInput{Name: &evil}); err != nil {
			return err
		}
		for _, p := range []string{projectPath, projectPath + "/jobs", jobPath, projectPath + "/settings"} {
			if err := navigate(ctx, base, p, 200); err != nil {
				return err
			}
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.body.textContent.includes(`+jsString(evil)+`) && document.querySelectorAll('script:not([src])').length === 0`))
			if err != nil || !ok {
				return fmt.Errorf("%s: the name is not shown as text (%v)", p, err)
			}
		}
		return nil
	})

	step("screenshots of the main pages at desktop and phone width", 120*time.Second, func(ctx context.Context) error {
		u, _ := s.store.UserGetByEmail(ctx, email)
		o, _ := s.store.OrganizationGetPersonal(ctx, u.ID)
		org := "/app/orgs/" + o.ID.String()
		pages := []struct{ path, name string }{
			{projectPath, "dashboard-overview"},
			{projectPath + "/jobs", "jobs"},
			{projectPath + "/jobs/new", "job-editor"},
			{jobPath, "job-detail"},
			{projectPath + "/executions", "executions"},
			{projectPath + "/settings", "settings-project"},
			{org + "/projects", "settings-projects"},
			{org + "/members", "settings-members"},
			{org + "/api-keys", "settings-api-keys"},
			{org + "/usage", "settings-usage"},
			{"/app/account", "settings-account"},
			{channelsPath, "channels"},
			{pagesPath, "status-pages"},
			{pagesPath + "/new", "status-page-editor"},
			{"/status", "status"},
			{publicPath, "customer-status"},
		}
		for _, vp := range viewports {
			if err := setViewport(ctx, vp.width, vp.height, vp.mobile); err != nil {
				return err
			}
			for _, p := range pages {
				if err := navigate(ctx, base, p.path, 200); err != nil {
					return err
				}
				if p.name == "job-editor" {
					if err := waitFor(ctx, `document.querySelector('[data-testid="schedule-preview"][data-viewer="known"]') && document.querySelectorAll('[data-testid="fire-times"] tbody tr').length === 10`); err != nil {
						return err
					}
				}
				if err := noOverflow(ctx, vp.width); err != nil {
					return fmt.Errorf("%s at %s: %w", p.path, vp.name, err)
				}
				screenshot(t, ctx, p.name+"-"+vp.name)
			}
			// The execution page, from the job page's newest row. Its link
			// is read, not clicked: the page's live stream may replace the
			// row between finding and clicking it.
			if err := navigate(ctx, base, jobPath, 200); err != nil {
				return err
			}
			href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#executions-body a[href^="/app/executions/"]').getAttribute('href')`))
			if err != nil {
				return err
			}
			if err := navigate(ctx, base, href, 200); err != nil {
				return err
			}
			if err := noOverflow(ctx, vp.width); err != nil {
				return fmt.Errorf("execution at %s: %w", vp.name, err)
			}
			screenshot(t, ctx, "execution-detail-"+vp.name)
		}
		return nil
	})

	step("Prikke's open incident shows above the dashboard, at desktop and phone width", 60*time.Second, func(ctx context.Context) error {
		inc, err := s.svc.OpenIncident(ctx, service.IncidentInput{Title: "Slow deliveries", Message: "Requests start up to a minute late.",
			Components: []string{"delivery"}})
		if err != nil {
			return err
		}
		// The dashboard reads the open incidents at most every few
		// seconds: reload until the banner shows (or is gone).
		reloadUntil := func(expr string) error {
			for {
				if err := navigate(ctx, base, projectPath, 200); err != nil {
					return err
				}
				ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
				if err != nil || ok {
					return err
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("never true: %s", expr)
				case <-time.After(500 * time.Millisecond):
				}
			}
		}
		shown := `(b => b !== null && b.checkVisibility() && b.getBoundingClientRect().top < innerHeight &&
			b.textContent.includes("Slow deliveries") && b.textContent.includes("Requests start up to a minute late.") &&
			b.textContent.includes("Webhook delivery") && b.querySelector('a[href="/status"]')?.checkVisibility())(document.querySelector('[data-testid="incident-banner"]'))`
		for _, vp := range viewports {
			if err := setViewport(ctx, vp.width, vp.height, vp.mobile); err != nil {
				return err
			}
			if err := reloadUntil(shown); err != nil {
				return fmt.Errorf("at %s: %w", vp.name, err)
			}
			if err := noOverflow(ctx, vp.width); err != nil {
				return fmt.Errorf("at %s: %w", vp.name, err)
			}
			screenshot(t, ctx, "incident-banner-"+vp.name)
		}
		if _, err := s.svc.UpdateIncident(ctx, inc.ID, prikke.IncidentResolved, "Deliveries are on time again."); err != nil {
			return err
		}
		return reloadUntil(`document.querySelector('[data-testid="incident-banner"]') === null`)
	})

	plog.assertOnlyHost(t, host)
	plog.assertClean(t)
	if t.Failed() {
		t.Logf("requests:\n  %s", strings.Join(plog.Requests(), "\n  "))
	}
}
