package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// TestBrowserMonitor: a monitor made through the editor (its slug follows
// the name as it is typed), its page with the ping URL and the snippet
// tabs, and a real ping to the ping URL that appears in the live log
// without a reload while the status turns up.
func TestBrowserMonitor(t *testing.T) {
	s := startDashServer(t)
	ctx, plog := startBrowser(t)
	base := s.ts.URL
	bg := context.Background()
	const email, password = "mona@example.com", "a long and unusual passphrase"
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
	project := "/app/projects/" + ps[0].ID.String()
	var monitorPath string

	step := func(name string, d time.Duration, fn func(ctx context.Context) error) {
		t.Helper()
		if t.Failed() {
			return // later steps build on earlier ones
		}
		if err := within(ctx, d, fn); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	step("create a monitor through the editor", 60*time.Second, func(ctx context.Context) error {
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
		if err := navigate(ctx, base, project+"/monitors", 200); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `a[href="`+project+`/monitors/new"].btn`); err != nil {
			return err
		}
		if err := typeInto(ctx, "#field-name", "Nightly Backup"); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.getElementById('field-slug').value === 'nightly-backup'`); err != nil {
			return fmt.Errorf("the slug did not follow the name: %w", err)
		}
		if err := typeInto(ctx, "#field-period", "10m"); err != nil {
			return err
		}
		screenshot(t, ctx, "monitor-editor-desktop")
		if err := clickAndLoad(ctx, `[data-testid="save-monitor"]`); err != nil {
			return err
		}
		monitorPath = location(ctx)
		if !strings.HasPrefix(monitorPath, "/app/monitors/") {
			return fmt.Errorf("after saving the browser is at %s", monitorPath)
		}
		return nil
	})

	var m *prikke.Monitor
	step("the page shows the ping URL and the snippets as tabs", 30*time.Second, func(ctx context.Context) error {
		id, err := prikke.ParseID(strings.TrimPrefix(monitorPath, "/app/monitors/"))
		if err != nil {
			return err
		}
		if m, err = s.svc.Monitor(ctx, &service.Actor{User: u}, id); err != nil {
			return err
		}
		want := s.svc.PingURL(m)
		if !strings.HasPrefix(want, base+"/ping/") {
			return fmt.Errorf("ping URL %q is not on the server %s", want, base)
		}
		if err := waitFor(ctx, `(el => el && el.textContent === `+jsString(want)+` && el.checkVisibility())(document.querySelector('[data-testid="ping-url"]'))`); err != nil {
			return fmt.Errorf("the ping URL is not shown: %w", err)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="monitor-state"]').dataset.status === 'new'`); err != nil {
			return err
		}
		// The first tab (crontab) shows; clicking Python shows it instead.
		visible := func(id string) string {
			return `document.querySelector('[data-snippet="` + id + `"]').checkVisibility()`
		}
		if err := waitFor(ctx, visible("crontab")+` && !`+visible("python")+` && document.querySelector('[data-snippet="crontab"] code').textContent.includes(`+jsString(want)+`)`); err != nil {
			return fmt.Errorf("the crontab tab is not the one shown: %w", err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`label[for="snippet-python"]`))); err != nil {
			return err
		}
		if err := waitFor(ctx, visible("python")+` && !`+visible("crontab")); err != nil {
			return fmt.Errorf("the Python tab did not show: %w", err)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="badge"]').complete && document.querySelector('[data-testid="badge"]').naturalWidth > 0`); err != nil {
			return fmt.Errorf("the badge did not load: %w", err)
		}
		screenshot(t, ctx, "monitor-new-desktop")
		return nil
	})

	step("a ping appears in the live log without a reload, and the monitor is up", 60*time.Second, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__prikkeMark = 42`)); err != nil {
			return err
		}
		if err := waitFor(ctx, `!!htmx.find('[sse-connect]') && htmx.find('#pings-body [data-empty-row]') !== null`); err != nil {
			return err
		}
		// A real ping, as the customer's cron job sends it.
		resp, err := http.Post(s.svc.PingURL(m), "text/plain", strings.NewReader("backup done"))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("POST the ping URL: %s", resp.Status)
		}
		row := `document.querySelector('#pings-body tr[data-kind="success"]')`
		if err := waitFor(ctx, row+` !== null && window.__prikkeMark === 42`); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('pings-body').innerHTML`))
			return fmt.Errorf("the ping did not appear without a reload: %w\n%s", err, html)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="monitor-state"]').dataset.status === 'up' && window.__prikkeMark === 42`); err != nil {
			return fmt.Errorf("the status did not turn up: %w", err)
		}
		if err := waitFor(ctx, `!document.querySelector('#pings-body [data-empty-row]')`); err != nil {
			return fmt.Errorf("the empty row stayed: %w", err)
		}
		screenshot(t, ctx, "monitor-up-desktop")
		// The row opens the ping with its body.
		if err := clickAndLoad(ctx, `#pings-body tr[data-kind="success"] a[aria-label="Ping details"]`); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="ping-body"]')?.textContent === 'backup done'`); err != nil {
			return fmt.Errorf("the ping's body: %w", err)
		}
		// The list shows it up, pinged just now.
		if err := navigate(ctx, base, project+"/monitors", 200); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.querySelector('tr[data-monitor-id="`+m.ID.String()+`"]')?.dataset.status === 'up'`); err != nil {
			return fmt.Errorf("the list: %w", err)
		}
		screenshot(t, ctx, "monitors-desktop")
		return nil
	})

	step("the monitor pages fit every viewport", 60*time.Second, func(ctx context.Context) error {
		for _, vp := range viewports {
			if err := setViewport(ctx, vp.width, vp.height, vp.mobile); err != nil {
				return err
			}
			for _, path := range []string{project + "/monitors", monitorPath, monitorPath + "/edit"} {
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
