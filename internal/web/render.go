package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed templates
var templateFS embed.FS

// Layouts. A page's directory picks its layout: templates/pages/*.html use
// the public site's, templates/app/*.html the dashboard's.
const (
	layoutPublic = "layout/public"
	layoutApp    = "layout/app"
)

// templates holds the parsed templates: one set with the layouts and
// partials, and a clone of it per page with that page's blocks added.
type templates struct {
	base  *template.Template
	pages map[string]page
}

type page struct {
	tpl    *template.Template
	layout string
}

// parseTemplates parses templates/layout and templates/partials into the
// base set, then each page file into its own clone of it. A page must define
// "title" and "content"; it may define "description" (the meta description),
// "head" (extra <head> elements, such as the SSE extension's script) and,
// in the app layout, "sidebar" and "topbar".
func parseTemplates(funcs template.FuncMap) (*templates, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS,
		"templates/layout/*.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layouts and partials: %w", err)
	}
	t := &templates{base: base, pages: map[string]page{}}
	for dir, layout := range map[string]string{"templates/pages": layoutPublic, "templates/app": layoutApp} {
		files, err := fs.Glob(templateFS, dir+"/*.html")
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			name := strings.TrimSuffix(path.Base(file), ".html")
			if _, dup := t.pages[name]; dup {
				return nil, fmt.Errorf("page %q is defined twice", name)
			}
			clone, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := clone.ParseFS(templateFS, file); err != nil {
				return nil, fmt.Errorf("parse %s: %w", file, err)
			}
			for _, block := range []string{"title", "content"} {
				if clone.Lookup(block) == nil {
					return nil, fmt.Errorf("%s: no {{define %q}}", file, block)
				}
			}
			t.pages[name] = page{tpl: clone, layout: layout}
		}
	}
	return t, nil
}

// View is the data of every full page. Page-specific data goes in Data;
// the layouts use the rest.
type View struct {
	Path       string  // the request path, to mark the current navigation item
	Data       any     // the page's own data
	Flashes    []Flash // messages from the previous request (and this one)
	RequestID  string  // set by the httpserver middleware, for error pages
	BaseURL    string
	Production bool
	Now        time.Time
	// App is the dashboard's context (user, organization, project, role,
	// navigation); nil outside the dashboard.
	App *appContext
	// Events is the URL of the page's server-sent event stream, or "". The
	// app layout opens one EventSource for it around the page.
	Events string
	// Incidents are Prikke's open incidents, which the app layout shows
	// above the page; nil outside the dashboard.
	Incidents []incidentBanner
	// SSRFAllow is what the relaxed SSRF guard lets through (Deps.SSRFAllow),
	// which the app layout shows above the page; nil outside the dashboard.
	SSRFAllow []string
	// SignedIn says the visitor has a live session: the public header
	// offers the dashboard instead of "Log in" and "Start for free".
	SignedIn bool
	// Zone is the zone instants are shown in: the signed-in user's chosen
	// one, else UTC ({{timeTag .CreatedAt $.Zone}}).
	Zone *time.Location
}

// view assembles the View of a request and consumes its flash cookie.
func (h *Web) view(w http.ResponseWriter, r *http.Request, data any) *View {
	u := h.visitor(w, r)
	return &View{
		Path:       r.URL.Path,
		Data:       data,
		Flashes:    h.takeFlashes(w, r),
		RequestID:  w.Header().Get("X-Request-Id"),
		BaseURL:    h.baseURL,
		Production: h.deps.Production,
		Now:        h.now(),
		SignedIn:   u != nil,
		Zone:       userLocation(u),
	}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes the page called name (its file name without .html) inside
// its layout, with status. It renders into a buffer first, so a template
// error becomes a clean 500 page instead of half a page.
func (h *Web) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	h.renderView(w, r, status, name, h.view(w, r, data))
}

// renderView is render for a caller that built (and perhaps amended) the
// View itself, for example to add a flash message to a re-rendered form.
func (h *Web) renderView(w http.ResponseWriter, r *http.Request, status int, name string, v *View) {
	p, ok := h.tpl.pages[name]
	if !ok {
		h.ServerError(w, r, fmt.Errorf("web: no page template %q", name))
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	if err := p.tpl.ExecuteTemplate(buf, p.layout, v); err != nil {
		h.ServerError(w, r, fmt.Errorf("web: render page %s: %w", name, err))
		return
	}
	writeHTML(w, status, buf.Bytes())
}

// renderPartial writes one named partial on its own, for htmx swaps. The
// partial gets data as its dot (not a View). Server-sent events use
// EventStream.Send, which renders partials the same way.
func (h *Web) renderPartial(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	if err := h.executePartial(buf, name, data); err != nil {
		h.ServerError(w, r, err)
		return
	}
	writeHTML(w, status, buf.Bytes())
}

func (h *Web) executePartial(buf *bytes.Buffer, name string, data any) error {
	if h.tpl.base.Lookup(name) == nil {
		return fmt.Errorf("web: no partial %q", name)
	}
	if err := h.tpl.base.ExecuteTemplate(buf, name, data); err != nil {
		return fmt.Errorf("web: render partial %s: %w", name, err)
	}
	return nil
}

func writeHTML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}
