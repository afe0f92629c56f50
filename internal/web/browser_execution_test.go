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

// TestBrowserExecutionPage: an execution delivered by the real worker to
// the loopback sink shows its request body, its waterfall (phases, the
// address dialled, the connection), and a "Copy as curl" that copies the
// command the page shows; Replay makes a new execution, linked to the
// original, which stays as it was.
func TestBrowserExecutionPage(t *testing.T) {
	s := startDashServer(t)
	ctx, _ := startBrowser(t)
	base := s.ts.URL
	bg := context.Background()
	const email, password = "exe@example.com", "a long and unusual passphrase"
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
	name, target, method, body, expr := "inspect", s.sink.URL("/ok"), "POST", `{"name":"it's"}`, "0 9 * * 1-5"
	hs := []prikke.Header{{Name: "X-Team", Value: "o'brien"}}
	j, err := s.svc.CreateJob(bg, a, &service.JobInput{ProjectID: &ps[0].ID, Name: &name, URL: &target, Method: &method,
		Body: &body, Headers: &hs, CronExpression: &expr})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.svc.TriggerJob(bg, a, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	// done waits (on the store, with a generous deadline: no timing is
	// assumed) until an execution is terminal.
	done := func(ctx context.Context, id prikke.ID) (*prikke.Execution, error) {
		for {
			e, err := s.store.ExecutionGet(ctx, id)
			if err != nil {
				return nil, err
			}
			if e.Status.Terminal() {
				return e, nil
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("execution %s still %s: %w", id, e.Status, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	var orig *prikke.Execution
	step := func(name string, d time.Duration, fn func(ctx context.Context) error) {
		t.Helper()
		if t.Failed() {
			return
		}
		if err := within(ctx, d, fn); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	step("the execution page shows the request and the waterfall", 120*time.Second, func(ctx context.Context) error {
		if orig, err = done(ctx, first.ID); err != nil {
			return err
		}
		if orig.Status != prikke.ExecutionStatusSuccess || orig.Trace == nil {
			return fmt.Errorf("delivered %s, trace %v: %s", orig.Status, orig.Trace, orig.Error)
		}
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
		if err := navigate(ctx, base, "/app/executions/"+orig.ID.String(), 200); err != nil {
			return err
		}
		if err := waitFor(ctx, `(w => w && w.checkVisibility() && w.querySelector('[data-phase="wait"] rect') && w.querySelector('[data-phase="connect"]') && w.textContent.includes('Dialled 127.0.0.1:'))(document.querySelector('[data-testid="waterfall"]'))`); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main')?.innerText || document.body.innerText`))
			return fmt.Errorf("no waterfall: %w\n%s", err, html)
		}
		if err := waitFor(ctx, `document.querySelector('[data-testid="request-body"]').innerText.includes(`+jsString(body)+`)`); err != nil {
			return fmt.Errorf("no request body: %w", err)
		}
		screenshot(t, ctx, "execution-desktop")
		return nil
	})

	step("Copy as curl copies the command shown", 60*time.Second, func(ctx context.Context) error {
		// The clipboard of a headless browser is not readable without a
		// permission prompt: writeText is watched instead.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`navigator.clipboard.writeText = t => { window.__copied = t; return Promise.resolve(); }; true`)); err != nil {
			return err
		}
		if _, err := chromedp.Run(ctx, chromedp.Click(chromedp.CSS(`[data-testid="copy-curl"]`))); err != nil {
			return err
		}
		if err := waitFor(ctx, `typeof window.__copied === 'string'`); err != nil {
			return fmt.Errorf("nothing copied: %w", err)
		}
		copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__copied`))
		if err != nil {
			return err
		}
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('curl').dataset.command`))
		if err != nil {
			return err
		}
		if copied != shown || !strings.HasPrefix(copied, "curl -X POST '"+target+"'") ||
			!strings.Contains(copied, `-H 'X-Team: o'\''brien'`) || !strings.Contains(copied, `--data-raw '{"name":"it'\''s"}'`) ||
			!strings.Contains(copied, "-H 'webhook-signature: ") {
			return fmt.Errorf("copied:\n%s\nshown:\n%s", copied, shown)
		}
		return waitFor(ctx, `document.querySelector('[data-testid="copy-curl"]').textContent.includes('Copied')`)
	})

	step("Replay makes a new execution; the original is unchanged", 120*time.Second, func(ctx context.Context) error {
		if err := clickAndLoad(ctx, `[data-testid="replay"]`); err != nil {
			return err
		}
		loc := location(ctx)
		id, err := prikke.ParseID(strings.TrimPrefix(loc, "/app/executions/"))
		if err != nil || id == orig.ID {
			return fmt.Errorf("after Replay the browser is at %s", loc)
		}
		if err := waitFor(ctx, `(p => p && p.textContent.includes(`+jsString(orig.ID.String())+`))(document.querySelector('[data-testid="replay-of"]'))`); err != nil {
			return fmt.Errorf("no link to the original: %w", err)
		}
		replay, err := done(ctx, id)
		if err != nil {
			return err
		}
		if replay.ReplayOf == nil || *replay.ReplayOf != orig.ID || replay.Status != prikke.ExecutionStatusSuccess ||
			string(replay.RequestBody) != body {
			return fmt.Errorf("replay %s, of %v, body %q: %s", replay.Status, replay.ReplayOf, replay.RequestBody, replay.Error)
		}
		again, err := s.store.ExecutionGet(ctx, orig.ID)
		if err != nil {
			return err
		}
		if again.Status != orig.Status || again.FinishedAt == nil || !again.FinishedAt.Equal(*orig.FinishedAt) ||
			string(again.RequestBody) != string(orig.RequestBody) || again.ReplayOf != nil {
			return fmt.Errorf("the original changed: %+v", again)
		}
		// The original's page lists its replay.
		if err := navigate(ctx, base, "/app/executions/"+orig.ID.String(), 200); err != nil {
			return err
		}
		return waitFor(ctx, `!!document.querySelector('[data-testid="replays"] a[href="/app/executions/`+id.String()+`"]')`)
	})

	step("the job editor previews the next request and shows the assertions", 60*time.Second, func(ctx context.Context) error {
		if err := navigate(ctx, base, "/app/jobs/"+j.ID.String()+"/edit", 200); err != nil {
			return err
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(b => { b.value = '{"day":"{{ scheduled_for | previous_day | date }}"}'; return true })(document.getElementById('field-body'))`)); err != nil {
			return err
		}
		if _, err := chromedp.Run(ctx, chromedp.Click(chromedp.CSS(`[data-testid="preview-request"]`))); err != nil {
			return err
		}
		if err := waitFor(ctx, `(p => p && /\{"day":"\d{4}-\d{2}-\d{2}"\}/.test(p.textContent))(document.querySelector('[data-testid="preview-body"]'))`); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('request-preview').innerText`))
			return fmt.Errorf("no rendered body in the preview: %w\n%s", err, html)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('assertions').open = true`)); err != nil {
			return err
		}
		if err := waitFor(ctx, `document.getElementById('field-expect-status').checkVisibility()`); err != nil {
			return fmt.Errorf("no expected status field: %w", err)
		}
		screenshot(t, ctx, "job-editor-preview-desktop")
		return nil
	})
}
