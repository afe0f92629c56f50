package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/service"
)

type ctxKey int

const actorKey ctxKey = 0

// actorOf returns the signed-in actor that requireUser (or optionalUser)
// put in the request's context, or nil.
func actorOf(r *http.Request) *service.Actor {
	a, _ := r.Context().Value(actorKey).(*service.Actor)
	return a
}

// authenticate reads the session cookie and returns the actor, or an
// EUNAUTHORIZED error when there is no valid session.
func (h *Web) authenticate(r *http.Request) (*service.Actor, error) {
	tok := h.cookie.Read(r)
	if tok == "" {
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in first.")
	}
	u, t, err := h.svc.Authenticate(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	return &service.Actor{User: u, Session: t, IP: h.deps.ClientIP(r), RequestID: httpserver.RequestID(r.Context())}, nil
}

// requireUser lets only signed-in users through, with their actor in the
// request's context. Anyone else is sent to /login, and back here after.
// Pages behind it are private: they are never cached.
func (h *Web) requireUser(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := h.authenticate(r)
		if err != nil {
			if prikke.ErrorCode(err) == prikke.EUNAUTHORIZED {
				if h.cookie.Read(r) != "" {
					h.cookie.Clear(w) // an ended session: forget it
				}
				h.toLogin(w, r)
				return
			}
			h.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next(w, r.WithContext(context.WithValue(r.Context(), actorKey, a)))
	}
}

// optionalUser adds the actor to the context when there is a valid
// session, and lets everyone through (the invitation page).
func (h *Web) optionalUser(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a, err := h.authenticate(r); err == nil {
			r = r.WithContext(context.WithValue(r.Context(), actorKey, a))
		}
		w.Header().Set("Cache-Control", "no-store")
		next(w, r)
	}
}

// visitor is the signed-in user of the request, or nil: for the public
// pages' header and the zone their times are shown in. A page that knows
// its visitor that way is theirs alone, so it is not cached.
func (h *Web) visitor(w http.ResponseWriter, r *http.Request) *prikke.User {
	if a := actorOf(r); a != nil {
		return a.User
	}
	if h.svc == nil || h.cookie.Read(r) == "" {
		return nil
	}
	a, err := h.authenticate(r)
	if err != nil {
		return nil
	}
	w.Header().Set("Cache-Control", "no-store")
	return a.User
}

// toLogin sends a visitor without a session to the login page. A page
// they asked for comes back after login; a form they posted does not
// (its values are gone), so a POST returns to the page it came from when
// that is known.
func (h *Web) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = ""
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
			next = localPath(ref.RequestURI())
		}
	}
	to := "/login"
	if next != "" && next != "/" {
		to += "?next=" + url.QueryEscape(next)
	}
	switch {
	case r.Header.Get("HX-Request") == "true":
		// htmx follows HX-Redirect with a full page load.
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusUnauthorized)
	case strings.Contains(r.Header.Get("Accept"), "text/event-stream"):
		// An event stream cannot redirect; 204 tells the browser to stop.
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

// localPath returns p if it is a path on this site ("/app/jobs/…"), and ""
// for anything that could lead elsewhere ("//evil.example", "/\\evil",
// "https://…"), so ?next= cannot be used to redirect off the site.
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return p
}

// afterLogin is where a signed-in user goes: next when it is local, else
// the dashboard.
func afterLogin(next string) string {
	if p := localPath(next); p != "" && p != "/" && !strings.HasPrefix(p, "/login") && !strings.HasPrefix(p, "/signup") {
		return p
	}
	return "/app"
}

// remoteHost is the default ClientIP: the host of RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
