package web

import (
	"encoding/xml"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/monitor"
)

// TestDocsMonitors: /docs/monitors renders with its sections, the
// snippets exactly as monitor.Snippets writes them for the example URL on
// this host, and a state diagram that is well-formed SVG; the docs index
// and the sidebar link it.
func TestDocsMonitors(t *testing.T) {
	d := newDash(t, nil)
	anon := d.anon()
	r := anon.get("/docs/monitors")
	if r.Status != 200 {
		t.Fatalf("/docs/monitors: %s", r)
	}
	text := html.UnescapeString(r.Body)
	for _, want := range []string{
		`<h1>Cron monitoring</h1>`,
		`id="quick-start"`, `id="ping-api"`, `id="states"`, `id="alerts"`, `id="snooze"`, `id="snippets"`, `id="prikke-run"`, `id="healthchecks"`,
		"/ping/<uuid>/start", "/ping/<uuid>/fail", "/ping/<uuid>/log", "/ping/<uuid>/<0-255>", "/ping/<ping-key>/<slug>",
		"?rid=<uuid>", "?create=1", "HEAD", "Ping-Body-Limit", "10,000 bytes on Free, 100,000 on Pro", "CORS", "404", "429", "at least its newest 100 pings",
		"max_runtime", "min_runtime", "fail_threshold", "recovery_threshold", "realert_every", "manual_resume", `"window": {"cron"`,
		"monitor.down", "monitor.failed", "monitor.too_long", "monitor.up", "monitor.realert", "Prikke was down",
		"with the same <code>webhook-id</code> header",
		"prikke run --ping URL [--timeout 10s] [--retries 5] [--body-limit 10000] -- COMMAND [ARGUMENTS]", "PRIKKE_PING_URL", "127", "128",
		"https://hc-ping.com/<uuid>", d.srv.URL + "/ping/5f0d6c1e-3b7a-4c2e-9a51-0c6f1f2d8e11",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/docs/monitors lacks %q", want)
		}
	}
	ss := monitor.Snippets(d.srv.URL + "/ping/5f0d6c1e-3b7a-4c2e-9a51-0c6f1f2d8e11")
	if len(ss) < 8 {
		t.Fatalf("%d snippets", len(ss))
	}
	for _, s := range ss {
		if !strings.Contains(text, `id="snippet-`+s.ID+`">`+s.Title+"</h3>") || !strings.Contains(text, s.Code) {
			t.Errorf("/docs/monitors lacks the %s snippet as monitor.Snippets writes it", s.ID)
		}
	}

	svg := regexp.MustCompile(`(?s)<svg viewBox="0 0 780 340".*?</svg>`).FindString(r.Body)
	states := 0
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the state diagram is not well-formed: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			switch strings.TrimSpace(string(cd)) {
			case "new", "up", "running", "late", "down", "paused":
				states++
			}
		}
	}
	if states != 6 {
		t.Errorf("the diagram names %d of the 6 states", states)
	}

	for _, path := range []string{"/docs", "/docs/cron"} {
		if r := anon.get(path); !strings.Contains(r.Body, `href="/docs/monitors"`) {
			t.Errorf("%s does not link /docs/monitors", path)
		}
	}
}
