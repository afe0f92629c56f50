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
)

// TestBrowserWorkflow: a two-step workflow built in the step editor (the
// cards filled in, a second card added with its button), saved, run from
// its page; the worker delivers both steps to the loopback sink in order,
// the second with a value from the first's response; the run page's
// timeline follows the run live until both steps show as succeeded.
func TestBrowserWorkflow(t *testing.T) {
	s := startDashServer(t)
	ctx, plog := startBrowser(t)
	base := s.ts.URL
	bg := context.Background()
	const email, password = "wendy@example.com", "a long and unusual passphrase"
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

	step := func(name string, d time.Duration, fn func(ctx context.Context) error) {
		t.Helper()
		if t.Failed() {
			return // later steps build on earlier ones
		}
		if err := within(ctx, d, fn); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	step("build two steps in the editor and save", 90*time.Second, func(ctx context.Context) error {
		if err := setViewport(ctx, 1280, 900, false); err != nil {
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
		if err := clickAndLoad(ctx, `aside a[href="`+project+`/workflows"]`); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `a[href="`+project+`/workflows/new"]`); err != nil {
			return err
		}
		for sel, text := range map[string]string{"#field-name": "order sync", "#field-steps-0--key": "login", "#field-steps-0--url": s.sink.URL("/login")} {
			if err := typeInto(ctx, sel, text); err != nil {
				return err
			}
		}
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('field-steps-0--method').value = 'POST'`)); err != nil {
			return err
		}
		if err := clickAndLoad(ctx, `[data-testid="add-step"]`); err != nil {
			return err
		}
		// The first card kept what was typed; the second is new.
		if err := waitFor(ctx, `document.getElementById('field-steps-0--url').value === `+jsString(s.sink.URL("/login"))+
			` && document.getElementById('field-steps-0--method').value === 'POST' && document.getElementById('field-steps-1--key') !== null`); err != nil {
			return fmt.Errorf("after adding a step: %w", err)
		}
		for sel, text := range map[string]string{"#field-steps-1--key": "call", "#field-steps-1--url": s.sink.URL("/slow") + "?ms=3000&login_status={{ steps.login.status }}"} {
			if err := typeInto(ctx, sel, text); err != nil {
				return err
			}
		}
		screenshot(t, ctx, "workflow-editor-desktop")
		if err := clickAndLoad(ctx, `[data-testid="save-workflow"]`); err != nil {
			return err
		}
		if loc := location(ctx); !strings.HasPrefix(loc, "/app/workflows/") {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
			return fmt.Errorf("after saving the browser is at %s\n%s", loc, body)
		}
		return waitFor(ctx, `document.querySelector('[data-testid="workflow-graph"] [data-step="login"]') !== null && document.querySelector('[data-testid="workflow-graph"] [data-step="call"]') !== null`)
	})

	step("run it and see both steps succeed on the timeline", 90*time.Second, func(ctx context.Context) error {
		screenshot(t, ctx, "workflow-desktop")
		if err := clickAndLoad(ctx, `[data-testid="run-now"]`); err != nil {
			return err
		}
		if loc := location(ctx); !strings.HasPrefix(loc, "/app/runs/") {
			return fmt.Errorf("after Run now the browser is at %s", loc)
		}
		// The second step answers after 3 s: the page shows the run
		// running, and follows it without a reload.
		if err := waitFor(ctx, `document.querySelector('[data-testid="run-timeline"]').dataset.runStatus === 'running' && document.querySelector('[data-testid="run-timeline"]').hasAttribute('hx-get')`); err != nil {
			return fmt.Errorf("the run page does not show the run running: %w", err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`window.loadedOnce = true`)); err != nil {
			return err
		}
		if err := s.sink.WaitCount(ctx, 2); err != nil {
			return fmt.Errorf("the sink got %d requests: %w", s.sink.Count(), err)
		}
		reqs := s.sink.Requests()
		if len(reqs) != 2 || reqs[0].Path != "/login" || reqs[0].Method != "POST" || reqs[1].Path != "/slow" || reqs[1].Query != "ms=3000&login_status=200" {
			var got []string
			for _, r := range reqs {
				got = append(got, r.Method+" "+r.Path+"?"+r.Query)
			}
			return fmt.Errorf("the sink got %v", got)
		}
		// The timeline polls itself until the run has finished.
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('[data-testid="run-timeline"]').dataset.runStatus === 'succeeded'
			&& document.querySelector('[data-step-key="login"][data-item="-1"]').dataset.stepStatus === 'succeeded'
			&& document.querySelector('[data-step-key="call"][data-item="-1"]').dataset.stepStatus === 'succeeded'
			&& window.loadedOnce === true && !document.querySelector('[data-testid="run-timeline"]').hasAttribute('hx-get')`,
			chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
			return fmt.Errorf("the timeline did not show both steps succeeded: %w\n%s", err, body)
		}
		screenshot(t, ctx, "workflow-run-desktop")
		return nil
	})

	step("a step's execution leads back to its run", 30*time.Second, func(ctx context.Context) error {
		run := location(ctx)
		if err := clickAndLoad(ctx, `[data-step-key="call"][data-item="-1"] a[href^="/app/executions/"]`); err != nil {
			return err
		}
		return waitFor(ctx, `(a => a !== null && a.getAttribute('href') === `+jsString(run+"#step-call")+`)(document.querySelector('[data-testid="step-run"] a[href^="/app/runs/"]'))`)
	})
	step("the pages fit a phone", 60*time.Second, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.NavigateBack()); err != nil {
			return err
		}
		runPath := location(ctx)
		if err := setViewport(ctx, 390, 844, true); err != nil {
			return err
		}
		if err := navigate(ctx, base, runPath, 200); err != nil {
			return err
		}
		if err := noOverflow(ctx, 390); err != nil {
			return fmt.Errorf("run page: %w", err)
		}
		screenshot(t, ctx, "workflow-run-phone")
		wf, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('nav[aria-label="Breadcrumb"] a[href^="/app/workflows/"]').getAttribute('href')`))
		for _, path := range []string{wf, wf + "/edit"} {
			if err := navigate(ctx, base, path, 200); err != nil {
				return err
			}
			if err := noOverflow(ctx, 390); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		screenshot(t, ctx, "workflow-editor-phone")
		return nil
	})
	plog.assertClean(t)
}
