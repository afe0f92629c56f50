package web

import (
	"bytes"
	"embed"
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

// view assembles the View of a request and consumes its flash cookie.
func (h *Web) view(w http.ResponseWriter, r *http.Request, data any) *page.View {
	u := h.visitor(w, r)
	return &page.View{
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
func (h *Web) renderView(w http.ResponseWriter, r *http.Request, status int, name string, v *page.View) {
	buf := page.Buffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); page.Buffers.Put(buf) }()
	if err := h.tpl.ExecutePage(buf, name, v); err != nil {
		h.ServerError(w, r, err)
		return
	}
	page.WriteHTML(w, status, buf.Bytes())
}

// renderPublic renders a page that any visitor gets alike, so shared
// caches may keep it: it neither reads nor clears the flash cookie.
func (h *Web) renderPublic(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	h.renderView(w, r, code, name, &page.View{Path: r.URL.Path, Data: data, RequestID: w.Header().Get("X-Request-Id"),
		BaseURL: h.baseURL, Production: h.deps.Production, Now: h.now(), Zone: time.UTC})
}

// renderPartial writes one named partial on its own, for htmx swaps. The
// partial gets data as its dot (not a View). Server-sent events use
// page.EventStream.Send, which renders partials the same way.
func (h *Web) renderPartial(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	buf := page.Buffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); page.Buffers.Put(buf) }()
	if err := h.tpl.ExecutePartial(buf, name, data); err != nil {
		h.ServerError(w, r, err)
		return
	}
	page.WriteHTML(w, status, buf.Bytes())
}

// setFlash stores messages for the next page (page.SetFlash), with the
// cookie Secure over https.
func (h *Web) setFlash(w http.ResponseWriter, flashes ...page.Flash) {
	page.SetFlash(w, h.secure, flashes...)
}
