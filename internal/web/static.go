package web

import "net/http"

// serveStatic serves an embedded asset (page.Static.Serve): immutable
// when the URL carries its content hash ({{asset "app.css"}}).
func (h *Web) serveStatic(w http.ResponseWriter, r *http.Request) {
	if !h.static.Serve(w, r, r.PathValue("path")) {
		h.NotFound(w, r)
	}
}

// serveFavicon answers browsers that ask for /favicon.ico without reading
// the page's <link rel="icon">.
func (h *Web) serveFavicon(w http.ResponseWriter, r *http.Request) { h.static.ServeFavicon(w, r) }
