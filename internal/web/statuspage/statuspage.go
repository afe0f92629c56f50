// Package statuspage serves the public status pages: Prikke's own health
// at /status and /status.json (service.StatusReport at the clock's now,
// evaluated at most once per TTL, so a crowd during an incident costs the
// database little), and the pages projects publish at /s/{slug}
// (service.PublicStatus, computed from display names, job health and
// daily counts, never from URLs, headers, bodies or errors). These pages
// need no session, set no cookie and send a short public Cache-Control.
// It also keeps Prikke's open incidents for the banner above every
// dashboard page (OpenIncidents).
//
// The pages render in the public layout of package web's templates
// (templates/pages/status.html, customer_status.html); Pages gets the
// renderer from web. The dashboard's editor of a project's status pages
// is a dashboard page, in package web (status_pages.go).
package statuspage

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prikke/prikke/internal/service"
)

// Deps are what the status pages need. All are required except Now.
type Deps struct {
	Service *service.Service
	Logger  *slog.Logger
	// Now is the clock; nil means time.Now. Tests move it.
	Now func() time.Time
	// RenderPublic writes a page that every visitor gets alike: it reads
	// and clears no cookie.
	RenderPublic func(w http.ResponseWriter, r *http.Request, status int, name string, data any)
	// Fail answers a request whose action failed with err, on a page.
	Fail func(w http.ResponseWriter, r *http.Request, err error)
	// ServerError logs err and writes the branded 500 page.
	ServerError func(w http.ResponseWriter, r *http.Request, err error)
}

// Pages serves the status pages. It is safe for concurrent use.
type Pages struct {
	deps Deps // as New completed them

	statusCache   statusCache   // the last evaluation of Prikke's status (/status)
	incidentCache incidentCache // Prikke's open incidents, for the dashboard's banner
}

// New returns the status pages.
func New(d Deps) (*Pages, error) {
	if d.Service == nil || d.Logger == nil || d.RenderPublic == nil || d.Fail == nil || d.ServerError == nil {
		return nil, errors.New("statuspage: Deps.Service, Logger, RenderPublic, Fail and ServerError are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Pages{deps: d}, nil
}

// Forget drops the cached evaluation of Prikke's status, so the next
// request to /status evaluates it again (tests that move the clock).
func (h *Pages) Forget() {
	h.statusCache.mu.Lock()
	h.statusCache.report = nil
	h.statusCache.mu.Unlock()
}
