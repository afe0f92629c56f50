package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"

	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/web/page"
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
	h.log.Error("web: server error", "error", err, "request_id", id, "method", r.Method, "path", httpserver.RedactPath(r.URL.Path))
	p, ok := h.tpl.Pages()["500"]
	if ok {
		buf := page.Buffers.Get().(*bytes.Buffer)
		defer func() { buf.Reset(); page.Buffers.Put(buf) }()
		// No flashes: a broken cookie must not break the error page too.
		v := &page.View{Path: r.URL.Path, RequestID: id, BaseURL: h.baseURL, Production: h.deps.Production, Now: h.now()}
		err := p.Tpl.ExecuteTemplate(buf, p.Layout, v)
		if err == nil {
			page.WriteHTML(w, http.StatusInternalServerError, buf.Bytes())
			return
		}
		h.log.Error("web: render the 500 page", "error", err, "request_id", id)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, "Something went wrong on our side. Quote request id %q if you contact support.\n", id)
}

// statusOf is the HTTP status of err, by the one mapping the API shares
// (httpserver.ProblemOf).
func statusOf(err error) int { return httpserver.ProblemOf(err, "").Status }

// problemView is the data of the "problem" page: an error a user can
// understand (a role that does not allow something, too many attempts, a
// rule of the service), with a way back.
type problemView struct {
	Status  int
	Title   string
	Message string
	Back    string // a local link back, or ""
}

// fail answers a request whose action failed with err, on a page: the 404
// page for anything missing or belonging to someone else, the login page
// for an ended session, a page with the service's message for the errors
// a user can act on (a role, a limit, a rule), the 500 page for the rest.
// Forms show their errors beside the fields instead (Form.AddErrors).
func (h *Web) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := httpserver.ProblemOf(err, w.Header().Get("X-Request-Id"))
	v := problemView{Status: p.Status, Title: p.Title, Message: p.Detail, Back: localPath(refererPath(r))}
	switch p.Status {
	case http.StatusNotFound:
		h.NotFound(w, r)
		return
	case http.StatusUnauthorized:
		h.toLogin(w, r)
		return
	case http.StatusInternalServerError, httpserver.StatusClientClosedRequest:
		h.ServerError(w, r, err)
		return
	case http.StatusServiceUnavailable:
		h.log.Warn("web: database unavailable", "error", err, "request_id", w.Header().Get("X-Request-Id"))
		v.Message = "Please try again in a moment. Your scheduled jobs keep their schedule."
	}
	h.render(w, r, p.Status, "problem", v)
}

// refererPath returns the path and query of the Referer when it is a page
// of this site, for "go back" links.
func refererPath(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host {
		return ""
	}
	return u.RequestURI()
}
