package web

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// Legal is what /privacy, /terms and /imprint say about who runs this
// Prikke (config.Legal). A page whose file is in Dir shows that file; the
// others show Prikke's own text, which says what the software stores, for
// how long and where, and names whatever of the operator is left unset as
// not filled in.
type Legal struct {
	Dir      string // privacy.html, terms.html, imprint.html (trusted HTML fragments) or .txt
	Operator string
	Address  string
	Email    string
	Hosting  string
}

// legalPages are the legal pages, by path and file name.
var legalPages = []struct{ Path, Name, Title string }{
	{"/privacy", "privacy", "Privacy"},
	{"/terms", "terms", "Terms of service"},
	{"/imprint", "imprint", "Imprint"},
}

// loadLegal reads the operator's own pages from dir: name.html is a
// trusted HTML fragment (the operator's own text, shown as written),
// name.txt is text shown as paragraphs. A page without a file keeps the
// default. Read once at start, so a mistake stops the program there.
func loadLegal(dir string) (map[string]template.HTML, error) {
	out := map[string]template.HTML{}
	if dir == "" {
		return out, nil
	}
	for _, p := range legalPages {
		html, errHTML := os.ReadFile(filepath.Join(dir, p.Name+".html"))
		text, errText := os.ReadFile(filepath.Join(dir, p.Name+".txt"))
		for _, err := range []error{errHTML, errText} {
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("legal pages: %w", err)
			}
		}
		switch {
		case errHTML == nil && errText == nil:
			return nil, fmt.Errorf("legal pages: %s has both %s.html and %s.txt; keep one", dir, p.Name, p.Name)
		case errHTML == nil:
			out[p.Name] = template.HTML(html)
		case errText == nil:
			out[p.Name] = page.Paragraphs(string(text))
		}
	}
	return out, nil
}

// legalView is the data of a legal page.
type legalView struct {
	Name, Title string
	Custom      template.HTML // the operator's page, or "" for the default
	Legal       Legal
	BaseURL     string
	FreeHistory int // days finished executions are kept, by tier
	ProHistory  int
	SessionDays int
	SessionIdle int
}

// showLegal renders one of the legal pages.
func (h *Web) showLegal(name, title string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.render(w, r, http.StatusOK, "legal", legalView{
			Name: name, Title: title, Custom: h.legal[name], Legal: h.deps.Legal, BaseURL: h.baseURL,
			FreeHistory: int(prikke.TierFree.Limits().History.Hours() / 24),
			ProHistory:  int(prikke.TierPro.Limits().History.Hours() / 24),
			SessionDays: int(prikke.SessionAbsoluteTimeout.Hours() / 24),
			SessionIdle: int(prikke.SessionIdleTimeout.Hours() / 24),
		})
	}
}
