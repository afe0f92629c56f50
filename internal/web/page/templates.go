package page

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

// Layouts. A page's directory picks its layout: pages/*.html use the
// public site's, app/*.html the dashboard's.
const (
	layoutPublic = "layout/public"
	layoutApp    = "layout/app"
)

// Templates holds the parsed templates: one set with the layouts and
// partials, and a clone of it per page with that page's blocks added.
type Templates struct {
	base  *template.Template
	pages map[string]Page
}

// Page is one page's template set and the layout it renders in.
type Page struct {
	Tpl    *template.Template
	Layout string
}

// ParseTemplates parses fsys's layout/ and partials/ into the base set,
// then each page file (pages/*.html, app/*.html) into its own clone of it.
// A page must define "title" and "content"; it may define "description"
// (the meta description), "head" (extra <head> elements, such as the SSE
// extension's script) and, in the app layout, "sidebar" and "topbar".
func ParseTemplates(fsys fs.FS, funcs template.FuncMap) (*Templates, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(fsys, "layout/*.html", "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layouts and partials: %w", err)
	}
	t := &Templates{base: base, pages: map[string]Page{}}
	for dir, layout := range map[string]string{"pages": layoutPublic, "app": layoutApp} {
		files, err := fs.Glob(fsys, dir+"/*.html")
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
			if _, err := clone.ParseFS(fsys, file); err != nil {
				return nil, fmt.Errorf("parse templates/%s: %w", file, err)
			}
			for _, block := range []string{"title", "content"} {
				if clone.Lookup(block) == nil {
					return nil, fmt.Errorf("templates/%s: no {{define %q}}", file, block)
				}
			}
			t.pages[name] = Page{Tpl: clone, Layout: layout}
		}
	}
	return t, nil
}

// Pages returns every page by name (its file name without .html).
func (t *Templates) Pages() map[string]Page { return t.pages }

// ExecutePage writes the page called name inside its layout, with v.
func (t *Templates) ExecutePage(buf *bytes.Buffer, name string, v *View) error {
	p, ok := t.pages[name]
	if !ok {
		return fmt.Errorf("web: no page template %q", name)
	}
	if err := p.Tpl.ExecuteTemplate(buf, p.Layout, v); err != nil {
		return fmt.Errorf("web: render page %s: %w", name, err)
	}
	return nil
}

// ExecutePartial writes one named partial on its own, for htmx swaps and
// server-sent events. The partial gets data as its dot (not a View).
func (t *Templates) ExecutePartial(buf *bytes.Buffer, name string, data any) error {
	if t.base.Lookup(name) == nil {
		return fmt.Errorf("web: no partial %q", name)
	}
	if err := t.base.ExecuteTemplate(buf, name, data); err != nil {
		return fmt.Errorf("web: render partial %s: %w", name, err)
	}
	return nil
}

// Buffers are the buffers pages render into before a byte is written, so
// a template error becomes a clean 500 page instead of half a page.
var Buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// WriteHTML answers with an HTML body.
func WriteHTML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}
