package web

import (
	"bytes"
	"fmt"
	"net/http"
)

// NotFound renders the branded 404 page. Handlers call it for anything a
// visitor may not see or that does not exist, so the two look the same.
func (h *Web) NotFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "404", nil)
}

// ServerError logs err with the request ID and renders the branded 500
// page, which shows the request ID (for support) and never the error text.
func (h *Web) ServerError(w http.ResponseWriter, r *http.Request, err error) {
	id := w.Header().Get("X-Request-Id")
	h.log.Error("web: server error", "error", err, "request_id", id, "method", r.Method, "path", r.URL.Path)
	p, ok := h.tpl.pages["500"]
	if ok {
		buf := bufPool.Get().(*bytes.Buffer)
		defer func() { buf.Reset(); bufPool.Put(buf) }()
		// No flashes: a broken cookie must not break the error page too.
		v := &View{Path: r.URL.Path, RequestID: id, BaseURL: h.baseURL, Production: h.deps.Production, Now: h.now()}
		err := p.tpl.ExecuteTemplate(buf, p.layout, v)
		if err == nil {
			writeHTML(w, http.StatusInternalServerError, buf.Bytes())
			return
		}
		h.log.Error("web: render the 500 page", "error", err, "request_id", id)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, "Something went wrong on our side. Quote request id %q if you contact support.\n", id)
}
