// Package docs serves Prikke's documentation under /docs: the guides
// (getting started, cron syntax, webhooks, own machine, teams,
// notifications, status pages), the cron tester they and the landing page
// share (/explain), and the API reference, which apiref.go converts from
// the running API's OpenAPI document into the pages' view model.
//
// The pages render in the public layout of package web's templates
// (templates/pages/docs*.html); Docs gets the renderer from web, so the
// docs know nothing of the dashboard or the store.
package docs

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Deps are what the docs need. All are required except OpenAPI and Now.
type Deps struct {
	Logger *slog.Logger
	// BaseURL is the public address of this Prikke, without a trailing
	// slash, for the examples.
	BaseURL string
	// OpenAPI returns the REST API's OpenAPI 3.1 document (JSON), which
	// /docs/api renders. nil shows a note instead.
	OpenAPI func() ([]byte, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Render writes a full page (by its template name) with data.
	Render func(w http.ResponseWriter, r *http.Request, status int, name string, data any)
	// RenderPartial writes one partial on its own, for htmx.
	RenderPartial func(w http.ResponseWriter, r *http.Request, status int, name string, data any)
	// NotFound writes the branded 404 page.
	NotFound func(w http.ResponseWriter, r *http.Request)
}

// Docs serves the docs' pages. It is safe for concurrent use.
type Docs struct {
	deps   Deps        // as New completed them
	apiRef apiRefCache // the API reference, built once (/docs/api)
}

// New returns the docs' handlers.
func New(d Deps) (*Docs, error) {
	if d.Logger == nil || d.Render == nil || d.RenderPartial == nil || d.NotFound == nil {
		return nil, errors.New("docs: Deps.Logger, Render, RenderPartial and NotFound are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	return &Docs{deps: d}, nil
}
