package web

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/docs"
	"github.com/prikke/prikke/internal/web/page"
	"github.com/prikke/prikke/internal/web/statuspage"
)

// Deps are what the web surface needs. New checks the ones that must be
// set and gives the optional ones a default.
type Deps struct {
	// Logger receives server errors and notable events. Required.
	Logger *slog.Logger
	// BaseURL is the public address of this Prikke, without a trailing
	// slash, such as "https://prikke.eu" or "http://127.0.0.1:4000". The
	// docs use it in examples; an https URL makes cookies Secure.
	BaseURL string
	// Production turns off the development pages (/dev/…).
	Production bool
	// Mailbox is the development mailbox shown at /dev/mailbox. It is nil
	// when mail goes out through SMTP.
	Mailbox *mail.Mailbox
	// OpenAPI returns the REST API's OpenAPI 3.1 document (JSON), which
	// /docs/api renders. nil shows a note instead.
	OpenAPI func() ([]byte, error)
	// Now is the clock; nil means time.Now. Tests pin it.
	Now func() time.Time
	// Service is the application the dashboard acts through (accounts,
	// organizations, projects, jobs). nil serves the public site only: the
	// sign-in pages and the dashboard are not mounted.
	Service *service.Service
	// Legal is who runs this Prikke, for /privacy, /terms and /imprint,
	// and the directory of the operator's own versions of those pages.
	Legal Legal
	// ClientIP returns a request's client address, trusting only the
	// configured proxies (httpserver.ClientIP); nil means the host of
	// RemoteAddr.
	ClientIP func(r *http.Request) string
	// SSRFAllow lists what PRIKKE_SSRF_ALLOW lets deliveries reach
	// despite the SSRF guard (config.Config.SSRFRelaxed). While it is set,
	// every dashboard page says so in a banner: a relaxed guard belongs on
	// a developer's machine only.
	SSRFAllow []string
}

// Web serves Prikke's pages: the public site, the docs, the development
// pages, the sign-in pages and the dashboard. Create it with New and add its routes to
// a mux with Mount. It is safe for concurrent use.
type Web struct {
	deps Deps // as given to New, with defaults applied; handlers read it directly

	log     *slog.Logger
	now     func() time.Time
	baseURL string // Deps.BaseURL without a trailing slash
	secure  bool   // BaseURL is https: cookies get the Secure flag

	static page.Static
	icons  page.Icons
	tpl    *page.Templates
	docs   *docs.Docs               // /docs and the cron testers
	status *statuspage.Pages        // /status, /s/{slug} and the incident banner; nil without a service
	legal  map[string]template.HTML // the operator's legal pages by name (privacy, terms, imprint)

	svc    *service.Service   // nil: public site only
	cookie auth.SessionCookie // the session cookie, Secure over https
}

// New parses every template and loads every static file once, so a broken
// template stops the program at start rather than on the first request.
func New(d Deps) (*Web, error) {
	if d.Logger == nil {
		return nil, errors.New("web: Deps.Logger is required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	base := strings.TrimRight(d.BaseURL, "/")
	if base == "" {
		base = "http://127.0.0.1:4000"
	}
	d.BaseURL = base
	if d.ClientIP == nil {
		d.ClientIP = remoteHost
	}
	h := &Web{
		deps:    d,
		log:     d.Logger,
		now:     d.Now,
		baseURL: base,
		secure:  strings.HasPrefix(base, "https://"),
		svc:     d.Service,
		cookie:  auth.SessionCookie{Secure: strings.HasPrefix(base, "https://")},
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if h.static, err = page.LoadStatic(static); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if h.icons, err = page.LoadIcons(tpl); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if h.tpl, err = page.ParseTemplates(tpl, h.funcs()); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	h.docs, err = docs.New(docs.Deps{Logger: d.Logger, BaseURL: base, OpenAPI: d.OpenAPI, Now: d.Now,
		Render: h.render, RenderPartial: h.renderPartial, NotFound: h.NotFound})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if d.Service != nil {
		h.status, err = statuspage.New(statuspage.Deps{Service: d.Service, Logger: d.Logger, Now: d.Now,
			RenderPublic: h.renderPublic, Fail: h.fail, ServerError: h.ServerError})
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	if h.legal, err = loadLegal(d.Legal.Dir); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return h, nil
}

// Handler returns a mux with only the web routes, for tests and tools that
// do not need the API.
func (h *Web) Handler() http.Handler {
	mux := http.NewServeMux()
	h.Mount(mux)
	return mux
}
