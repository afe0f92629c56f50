package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/prikke/prikke/internal/web/page"
)

// The templates and the static files of every surface (the dashboard, the
// docs, the status pages) are one tree here, so each page, partial and
// asset has one source; package page parses and serves them.
//
//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// View is the data of every full page (page.View).
type View = page.View

// templates are the parsed pages, with a by-name index of each page's set
// and layout as errors.go reads it (h.tpl.pages[name]).
type templates struct {
	*page.Templates
	pages map[string]pageTemplate
}

type pageTemplate struct {
	tpl    *template.Template
	layout string
}

// parseTemplates parses the templates tree with funcs (page.ParseTemplates).
func parseTemplates(fsys fs.FS, funcs template.FuncMap) (*templates, error) {
	t, err := page.ParseTemplates(fsys, funcs)
	if err != nil {
		return nil, err
	}
	out := &templates{Templates: t, pages: map[string]pageTemplate{}}
	for name, p := range t.Pages() {
		out.pages[name] = pageTemplate{tpl: p.Tpl, layout: p.Layout}
	}
	return out, nil
}

// bufPool and writeHTML are page's, by the names errors.go uses.
var bufPool = &page.Buffers

func writeHTML(w http.ResponseWriter, status int, body []byte) { page.WriteHTML(w, status, body) }

// view assembles the View of a request and consumes its flash cookie.
func (h *Web) view(w http.ResponseWriter, r *http.Request, data any) *View {
	u := h.visitor(w, r)
	return &View{
		Path:       r.URL.Path,
		Data:       data,
		Flashes:    page.TakeFlashes(w, r, h.secure),
		RequestID:  w.Header().Get("X-Request-Id"),
		BaseURL:    h.baseURL,
		Production: h.deps.Production,
		Now:        h.now(),
		SignedIn:   u != nil,
		Zone:       page.UserLocation(u),
	}
}

// render writes the page called name (its file name without .html) inside
// its layout, with status. It renders into a buffer first, so a template
// error becomes a clean 500 page instead of half a page.
func (h *Web) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	h.renderView(w, r, status, name, h.view(w, r, data))
}

// renderView is render for a caller that built (and perhaps amended) the
// View itself, for example to add a flash message to a re-rendered form.
func (h *Web) renderView(w http.ResponseWriter, r *http.Request, status int, name string, v *View) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	if err := h.tpl.ExecutePage(buf, name, v); err != nil {
		h.ServerError(w, r, err)
		return
	}
	writeHTML(w, status, buf.Bytes())
}

// renderPublic renders a page that any visitor gets alike, so shared
// caches may keep it: it neither reads nor clears the flash cookie.
func (h *Web) renderPublic(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	h.renderView(w, r, code, name, &View{Path: r.URL.Path, Data: data, RequestID: w.Header().Get("X-Request-Id"),
		BaseURL: h.baseURL, Production: h.deps.Production, Now: h.now(), Zone: time.UTC})
}

// renderPartial writes one named partial on its own, for htmx swaps. The
// partial gets data as its dot (not a View). Server-sent events use
// page.EventStream.Send, which renders partials the same way.
func (h *Web) renderPartial(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	if err := h.tpl.ExecutePartial(buf, name, data); err != nil {
		h.ServerError(w, r, err)
		return
	}
	writeHTML(w, status, buf.Bytes())
}

// setFlash stores messages for the next page (page.SetFlash), with the
// cookie Secure over https.
func (h *Web) setFlash(w http.ResponseWriter, flashes ...page.Flash) {
	page.SetFlash(w, h.secure, flashes...)
}
