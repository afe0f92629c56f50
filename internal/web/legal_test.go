package web

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// The legal pages say, by default, what the software stores, for how
// long and where, and that the operator has not filled in the rest.
func TestLegalDefaults(t *testing.T) {
	e := newTestEnv(t, nil)
	for path, want := range map[string][]string{
		"/privacy": {"<h1>Privacy</h1>", "argon2id hash", "first 64 KiB of body", "after 7 days on the Free plan and 30 days on Pro",
			"after 7 days unused, or after 30 days at most", "The operator has not yet said where this Prikke is hosted",
			"no analytics, advertising or tracking cookies", "Not filled in yet", "PRIKKE_LEGAL_DIR"},
		"/terms":   {"<h1>Terms of service</h1>", "has not published terms of service", `href="/pricing"`, "Not filled in yet"},
		"/imprint": {"<h1>Imprint</h1>", "Not filled in yet", "PRIKKE_OPERATOR_NAME"},
	} {
		w := e.get(t, path)
		if w.Code != 200 {
			t.Fatalf("%s: %d", path, w.Code)
		}
		for _, s := range want {
			if !strings.Contains(w.Body.String(), s) {
				t.Errorf("%s lacks %q", path, s)
			}
		}
	}
}

// The operator's settings fill in the defaults.
func TestLegalSettings(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) {
		d.Legal = Legal{Operator: "Example AS", Address: "Storgata 1\n0155 Oslo", Email: "privacy@example.com", Hosting: "Hetzner, Falkenstein, Germany <b>"}
	})
	for _, path := range []string{"/privacy", "/terms", "/imprint"} {
		body := e.get(t, path).Body.String()
		for _, s := range []string{"Example AS", "Storgata 1\n0155 Oslo", `href="mailto:privacy@example.com"`} {
			if !strings.Contains(body, s) {
				t.Errorf("%s lacks %q", path, s)
			}
		}
		if strings.Contains(body, "Not filled in yet") {
			t.Errorf("%s still says a setting is not filled in", path)
		}
	}
	body := e.get(t, "/privacy").Body.String()
	if !strings.Contains(body, "Hetzner, Falkenstein, Germany &lt;b&gt;") || strings.Contains(body, "has not yet said where") {
		t.Error("the privacy page does not say where Prikke is hosted (escaped)")
	}
}

// Files in the legal directory replace the default pages: .html as
// written (the operator's own, trusted), .txt escaped into paragraphs.
func TestLegalFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("privacy.html", `<h1>Our privacy policy</h1><p>We keep <em>little</em>.</p>`)
	write("terms.txt", "Be nice.\n\nNo <script>abuse</script>.")
	e := newTestEnv(t, func(d *Deps) { d.Legal = Legal{Dir: dir} })
	if body := e.get(t, "/privacy").Body.String(); !strings.Contains(body, `<h1>Our privacy policy</h1><p>We keep <em>little</em>.</p>`) || strings.Contains(body, "argon2id") {
		t.Error("privacy.html does not replace the default page")
	}
	if body := e.get(t, "/terms").Body.String(); !strings.Contains(body, "<p>Be nice.</p><p>No &lt;script&gt;abuse&lt;/script&gt;.</p>") {
		t.Errorf("terms.txt is not shown as escaped paragraphs")
	}
	if body := e.get(t, "/imprint").Body.String(); !strings.Contains(body, "<h1>Imprint</h1>") {
		t.Error("the imprint without a file lost its default")
	}

	write("terms.html", "<p>two</p>")
	if _, err := New(Deps{Logger: slog.New(slog.DiscardHandler), Legal: Legal{Dir: dir}}); err == nil || !strings.Contains(err.Error(), "both terms.html and terms.txt") {
		t.Errorf("New with two terms files: %v", err)
	}
}

// Every public page and every dashboard page links the legal pages from
// its footer.
func TestLegalLinks(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		d := newDash(t, st)
		tn := d.tenant(prikke.TierFree)
		for _, path := range []string{"/", "/pricing", "/docs", "/login", "/app/projects/" + tn.Project.ID.String(), "/app/account"} {
			b := d.anon()
			if strings.HasPrefix(path, "/app") {
				b = d.as(tn)
			}
			body := b.get(path).Body
			for _, href := range []string{`href="/privacy"`, `href="/terms"`, `href="/imprint"`} {
				if !strings.Contains(body, href) {
					t.Errorf("%s has no link %s", path, href)
				}
			}
		}
	})
}
