package web_test

// Browser tests: a real headless Chromium (Debian's chromium package)
// loads the pages from a test server that has Prikke's real middleware
// (so the real Content-Security-Policy), types into the live cron example,
// saves screenshots to artifacts/screenshots/ and checks that no page asks
// any other host for anything.
//
// Plain `go test ./...` skips these tests, loudly, when Chromium is
// missing; with PRIKKE_REQUIRE_BROWSER=1 (set by `make test` and CI) a
// missing or broken browser fails them instead.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/web"
)

// chromiumPaths are where Debian and other distributions install Chromium.
// PRIKKE_CHROMIUM overrides them.
var chromiumPaths = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"}

func findChromium() string {
	if p := os.Getenv("PRIKKE_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return ""
		}
		return p
	}
	for _, p := range chromiumPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// pageLog records what a tab did: every network request and every console
// error, uncaught exception or browser log error (CSP violations land
// there), and every JavaScript dialog (an alert would mean injected script
// ran).
type pageLog struct {
	mu       sync.Mutex
	requests []string
	problems []string
	dialogs  []string
	expected []string // problems containing one of these are expected
}

// expect marks problems that mention s as expected, such as the browser's
// report of a 404 the test asked for.
func (l *pageLog) expect(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expected = append(l.expected, s)
}

func (l *pageLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		text := ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			text += " " + ev.ExceptionDetails.Exception.Description
		}
		l.problems = append(l.problems, "exception: "+text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			l.problems = append(l.problems, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError || ev.Entry.Source == log.EntrySourceSecurity {
			l.problems = append(l.problems, fmt.Sprintf("log %s/%s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
		}
	case *page.EventJavascriptDialogOpening:
		l.dialogs = append(l.dialogs, string(ev.Type)+": "+ev.Message)
	}
}

// Requests returns the URLs of every request made so far.
func (l *pageLog) Requests() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.requests...)
}

// assertOnlyHost fails the test if any request went to a host other than
// host (data: URLs, which make no request, are fine).
func (l *pageLog) assertOnlyHost(t *testing.T, host string) {
	t.Helper()
	reqs := l.Requests()
	if len(reqs) == 0 {
		t.Error("no requests were recorded; the network listener is not working")
	}
	for _, raw := range reqs {
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("unparsable request URL %q", raw)
			continue
		}
		switch u.Scheme {
		case "data", "blob", "about":
			continue
		}
		if u.Host != host {
			t.Errorf("the page requested %s, which is not the test server %s", raw, host)
		}
	}
}

// assertClean fails the test on console errors, exceptions, CSP reports or
// dialogs.
func (l *pageLog) assertClean(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
problems:
	for _, p := range l.problems {
		for _, e := range l.expected {
			if strings.Contains(p, e) {
				continue problems
			}
		}
		t.Errorf("browser reported: %s", p)
	}
	for _, d := range l.dialogs {
		t.Errorf("a JavaScript dialog opened (injected script ran?): %s", d)
	}
}

// startBrowser starts a headless Chromium with a fresh profile and returns
// a tab context and the tab's log. The browser stops when the test ends.
func startBrowser(t *testing.T) (context.Context, *pageLog) {
	t.Helper()
	path := findChromium()
	if path == "" {
		msg := "\n" + strings.Repeat("*", 72) + "\n" +
			"*** BROWSER TESTS NOT RUN: Chromium not found (looked for " + strings.Join(chromiumPaths, ", ") + ").\n" +
			"*** Install it with `apt-get install -y chromium`; `make test` requires it.\n" +
			strings.Repeat("*", 72)
		if os.Getenv("PRIKKE_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + "\nPRIKKE_REQUIRE_BROWSER=1 is set, so this is a failure.")
		}
		// Also on stderr: go test shows it in directory mode even without -v.
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	pl := &pageLog{}
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithListener(pl.listen))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser and the tab now, without a deadline: a deadline on
	// the first Do would bound the browser's whole life.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return ctx, pl
}

// repoRoot finds the module root (the directory with go.mod) above the
// test's working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// screenshot saves a full-page PNG of the tab to
// artifacts/screenshots/<name>.png at the repository root.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		// From the top, so a sticky header is where a visitor sees it.
		if _, err := cdp.Call(ctx, tg, runtime.Evaluate, runtime.EvaluateParams{Expression: "window.scrollTo({top: 0, left: 0, behavior: \"instant\"})"}); err != nil {
			return nil, err
		}
		m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		w, h := 1280.0, 800.0
		if m.CSSContentSize != nil {
			w, h = m.CSSContentSize.Width, m.CSSContentSize.Height
		}
		if m.CSSLayoutViewport != nil {
			w = float64(m.CSSLayoutViewport.ClientWidth)
		}
		r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: new(true),
			FromSurface:           new(true),
			Clip:                  &page.Viewport{X: 0, Y: 0, Width: w, Height: h, Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	})
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join(repoRoot(t), "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// okStore is the one store method httpserver calls on its own (/healthz).
type okStore struct{ store.Store }

func (okStore) Ping(context.Context) error { return nil }

// testServer serves the web routes behind Prikke's real middleware, so the
// browser enforces the production Content-Security-Policy.
func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	box := mail.NewMailbox()
	msg, err := mail.NewMessage("ann@example.com", mail.ConfirmAccount{Email: "ann@example.com", ConfirmURL: "http://127.0.0.1:4000/confirm?token=abc123"})
	if err == nil {
		err = box.Send(context.Background(), msg)
	}
	if err != nil {
		t.Logf("no sample mail for the mailbox screenshot: %v", err)
	}
	spec, err := os.ReadFile("docs/testdata/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := web.New(web.Deps{
		Logger:  logger,
		BaseURL: "http://127.0.0.1:4000",
		Mailbox: box,
		OpenAPI: func() ([]byte, error) { return spec, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	mount := func(mux *http.ServeMux) {
		w.Mount(mux)
		// A handler that fails, to see the 500 page as a visitor does.
		mux.HandleFunc("GET /test/fail", func(rw http.ResponseWriter, r *http.Request) {
			w.ServerError(rw, r, fmt.Errorf("test: the database is on fire"))
		})
	}
	h := httpserver.New(httpserver.Deps{Store: okStore{}, Logger: logger, Mount: mount})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// viewports are the widths every page is checked at.
var viewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"desktop", 1280, 800, false},
	{"phone", 375, 812, true},
}

func setViewport(ctx context.Context, width, height int64, mobile bool) error {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	return chromedp.Do(ctx, chromedp.EmulateViewport(width, height, opts...))
}

// within runs fn with a per-step timeout, leaving the browser running.
func within(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return fn(tctx)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitFor polls a JavaScript expression until it is true.
func waitFor(ctx context.Context, expr string) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second)))
	return err
}

// typeInto replaces the value of an input by typing, so htmx sees key events.
func typeInto(ctx context.Context, sel, text string) error {
	return chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(sel)+`).value = ''`),
		chromedp.Focus(chromedp.CSS(sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
}

func TestBrowser(t *testing.T) {
	ctx, plog := startBrowser(t)
	ts := testServer(t)
	host := strings.TrimPrefix(ts.URL, "http://")

	t.Run("landing live cron example", func(t *testing.T) {
		for _, vp := range viewports {
			err := within(ctx, 60*time.Second, func(ctx context.Context) error {
				if err := setViewport(ctx, vp.width, vp.height, vp.mobile); err != nil {
					return err
				}
				resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(ts.URL+"/"))
				if err != nil {
					return err
				}
				if resp.Status != http.StatusOK {
					return fmt.Errorf("GET / = %d", resp.Status)
				}
				if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#cron-expr"))); err != nil {
					return err
				}
				// htmx must be loaded and configured by the meta tag (no eval).
				if err := waitFor(ctx, `window.htmx && htmx.config.allowEval === false && htmx.config.includeIndicatorStyles === false`); err != nil {
					return fmt.Errorf("htmx did not load under the CSP: %w", err)
				}
				screenshot(t, ctx, "landing-"+vp.name)

				// A valid expression: the explanation updates as we type.
				expr := "*/15 9-17 * * 1-5"
				s, err := cron.Parse(expr)
				if err != nil {
					return err
				}
				if err := typeInto(ctx, "#cron-expr", expr); err != nil {
					return err
				}
				want := s.Describe()
				if err := waitFor(ctx, `document.querySelector('#explain-result [data-state="valid"]') && document.querySelector('#explain-result').textContent.includes(`+jsString(want)+`)`); err != nil {
					return fmt.Errorf("the explanation did not update to %q: %w", want, err)
				}
				rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#explain-result tbody tr').length`))
				if err != nil {
					return err
				}
				if rows != 5 {
					return fmt.Errorf("the explanation lists %d fire times, want 5", rows)
				}
				screenshot(t, ctx, "landing-cron-example-"+vp.name)

				// An invalid one: the message is shown.
				if err := typeInto(ctx, "#cron-expr", "61 * * * *"); err != nil {
					return err
				}
				if err := waitFor(ctx, `(document.querySelector('#explain-result [data-state="invalid"]')||{}).textContent?.includes('61')`); err != nil {
					return fmt.Errorf("no error message for an invalid expression: %w", err)
				}

				// Hostile input is shown as text, never run.
				hostile := "<script>alert(1)</script>"
				if err := typeInto(ctx, "#cron-expr", hostile); err != nil {
					return err
				}
				if err := waitFor(ctx, `(document.querySelector('#explain-result [data-state="invalid"]')||{}).textContent?.includes(`+jsString(hostile)+`)`); err != nil {
					return fmt.Errorf("hostile input not shown back as text: %w", err)
				}
				n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#explain-result script').length`))
				if err != nil {
					return err
				}
				if n != 0 {
					return fmt.Errorf("the explanation contains %d script elements", n)
				}
				// The zone select updates the answer too.
				if err := typeInto(ctx, "#cron-expr", "30 2 * * *"); err != nil {
					return err
				}
				if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#cron-tz"), "America/New_York"),
					chromedp.Evaluate[chromedp.Void](`document.querySelector('#cron-tz').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
					return err
				}
				return waitFor(ctx, `document.querySelector('#explain-result').textContent.includes('America/New_York')`)
			})
			if err != nil {
				t.Fatalf("%s: %v", vp.name, err)
			}
		}
	})

	t.Run("pages at desktop and phone widths", func(t *testing.T) {
		pages := []struct{ path, name, h1 string }{
			{"/docs", "docs", "Documentation"},
			{"/docs/getting-started", "docs-getting-started", "Getting started"},
			{"/docs/cron", "docs-cron", "Cron syntax"},
			{"/docs/webhooks", "docs-webhooks", "Webhooks"},
			{"/docs/own-machine", "docs-own-machine", "Testing against your own machine"},
			{"/docs/notifications", "docs-notifications", "Notifications"},
			{"/docs/monitors", "docs-monitors", "Cron monitoring"},
			{"/docs/teams", "docs-teams", "Organizations and roles"},
			{"/docs/status-pages", "docs-status-pages", "Status pages"},
			{"/docs/api", "docs-api", "API reference"},
			{"/docs/api/jobs", "docs-api-jobs", "Jobs"},
			{"/use-cases", "use-cases", "Who Prikke is for"},
			{"/pricing", "pricing", "Plans"}, // billing off: the plans' limits, no prices
			{"/privacy", "privacy", "Privacy"},
			{"/terms", "terms", "Terms of service"},
			{"/imprint", "imprint", "Imprint"},
			{"/dev/mailbox", "dev-mailbox", "Dev mailbox"},
			{"/dev/ui", "dev-ui", "UI kit"},
		}
		for _, vp := range viewports {
			for _, p := range pages {
				err := within(ctx, 30*time.Second, func(ctx context.Context) error {
					if err := setViewport(ctx, vp.width, vp.height, vp.mobile); err != nil {
						return err
					}
					resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(ts.URL+p.path))
					if err != nil {
						return err
					}
					if resp.Status != http.StatusOK {
						return fmt.Errorf("status %d", resp.Status)
					}
					h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
					if err != nil {
						return err
					}
					if !strings.Contains(h1, p.h1) {
						return fmt.Errorf("h1 = %q, want %q", h1, p.h1)
					}
					// Nothing may stick out sideways on a phone.
					overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
					if err != nil {
						return err
					}
					if overflow > 0 {
						culprits, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right).slice(0, 5).map(e => e.tagName + '.' + [...e.classList].join('.') + ' ' + Math.round(e.getBoundingClientRect().right))`))
						return fmt.Errorf("the page is %dpx wider than the %dpx viewport; widest: %v", overflow, vp.width, culprits)
					}
					screenshot(t, ctx, p.name+"-"+vp.name)
					return nil
				})
				if err != nil {
					t.Errorf("%s at %s: %v", p.path, vp.name, err)
				}
			}
		}
	})

	t.Run("404 page", func(t *testing.T) {
		plog.expect("404 (Not Found) (" + ts.URL + "/no/such/page)")
		for _, vp := range viewports {
			err := within(ctx, 30*time.Second, func(ctx context.Context) error {
				if err := setViewport(ctx, vp.width, vp.height, vp.mobile); err != nil {
					return err
				}
				resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(ts.URL+"/no/such/page"))
				if err != nil {
					return err
				}
				if resp.Status != http.StatusNotFound {
					return fmt.Errorf("status %d, want 404", resp.Status)
				}
				title, err := chromedp.Run(ctx, chromedp.Title())
				if err != nil {
					return err
				}
				if !strings.Contains(title, "Page not found") {
					return fmt.Errorf("title %q", title)
				}
				screenshot(t, ctx, "404-"+vp.name)
				return nil
			})
			if err != nil {
				t.Errorf("%s: %v", vp.name, err)
			}
		}
	})

	t.Run("dev mailbox message", func(t *testing.T) {
		err := within(ctx, 30*time.Second, func(ctx context.Context) error {
			if err := setViewport(ctx, 1280, 800, false); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/dev/mailbox")); err != nil {
				return err
			}
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
				chromedp.Click(chromedp.CSS(`a[href^="/dev/mailbox/"]`)))); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="mail-text"] a[href*="/confirm?token=abc123"]`))); err != nil {
				return fmt.Errorf("the confirmation link is not a link: %w", err)
			}
			screenshot(t, ctx, "dev-mail-desktop")
			// The HTML part, on its own page under a sandboxing CSP.
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
				chromedp.Click(chromedp.CSS(`a[href$="/html"]`)))); err != nil {
				return err
			}
			if err := waitFor(ctx, `document.querySelector('a[href*="abc123"]') !== null`); err != nil {
				return err
			}
			screenshot(t, ctx, "dev-mail-html-desktop")
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})

	t.Run("500 page", func(t *testing.T) {
		plog.expect("500 (Internal Server Error) (" + ts.URL + "/test/fail)")
		err := within(ctx, 30*time.Second, func(ctx context.Context) error {
			if err := setViewport(ctx, 1280, 800, false); err != nil {
				return err
			}
			resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(ts.URL+"/test/fail"))
			if err != nil {
				return err
			}
			if resp.Status != http.StatusInternalServerError {
				return fmt.Errorf("status %d, want 500", resp.Status)
			}
			id, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="request-id"]`)))
			if err != nil {
				return err
			}
			var hdr string
			for k, v := range resp.Headers {
				if strings.EqualFold(k, "X-Request-Id") {
					hdr = fmt.Sprint(v)
				}
			}
			if id == "" || id != hdr {
				return fmt.Errorf("the page shows request id %q, the response header is %q", id, hdr)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			if err != nil {
				return err
			}
			if strings.Contains(text, "on fire") {
				return errors.New("the 500 page shows the error")
			}
			screenshot(t, ctx, "500-desktop")
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})

	t.Run("monospace is Prikke's own face, not Courier", func(t *testing.T) {
		err := within(ctx, 30*time.Second, func(ctx context.Context) error {
			if err := setViewport(ctx, 1280, 800, false); err != nil {
				return err
			}
			if err := navigate(ctx, ts.URL, "/docs/cron", http.StatusOK); err != nil {
				return err
			}
			// Code in prose, in a code block and in a font-mono utility.
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(async () => {
				await document.fonts.ready;
				const els = [document.querySelector('td code'), document.querySelector('pre code'), document.querySelector('.font-mono')];
				const loaded = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'JetBrains Mono Variable' && f.status === 'loaded').length;
				return els.map(e => e ? getComputedStyle(e).fontFamily : 'missing').concat(['loaded faces: ' + loaded]);
			})()`, chromedp.EvalAwaitPromise))
			if err != nil {
				return err
			}
			for _, fam := range got[:len(got)-1] {
				if !strings.HasPrefix(fam, `"JetBrains Mono Variable"`) || strings.Contains(fam, "Courier") {
					return fmt.Errorf("code is set in %s; want the served JetBrains Mono first and no Courier (all: %q)", fam, got)
				}
			}
			if got[len(got)-1] == "loaded faces: 0" {
				return fmt.Errorf("the JetBrains Mono face did not load (%q)", got)
			}
			for _, r := range plog.Requests() {
				if strings.HasSuffix(r, "/static/fonts/jetbrains-mono-latin-wght-normal.woff2") {
					return nil
				}
			}
			return errors.New("the page never asked for /static/fonts/jetbrains-mono-latin-wght-normal.woff2")
		})
		if err != nil {
			t.Error(err)
		}
	})

	t.Run("keyboard: skip link and focus ring", func(t *testing.T) {
		err := within(ctx, 30*time.Second, func(ctx context.Context) error {
			if err := setViewport(ctx, 1280, 800, false); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/docs"), chromedp.KeyEvent("\t")); err != nil {
				return err
			}
			active, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent.trim() + '|' + getComputedStyle(document.activeElement).outlineStyle`))
			if err != nil {
				return err
			}
			if active != "Skip to content|solid" {
				return fmt.Errorf("after one Tab the focus is on %q, want the skip link with a visible outline", active)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})

	plog.assertOnlyHost(t, host)
	plog.assertClean(t)
	if t.Failed() {
		t.Logf("requests: %s", strings.Join(plog.Requests(), "\n  "))
	}
}
