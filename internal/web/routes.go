package web

import "net/http"

// Mount adds every web route to mux. This is the one list of them; keep it
// in order of the site's sections. It also registers the catch-all "/",
// which answers unknown paths with the branded 404 page, so other surfaces
// (the API) must register their own, more specific, prefixes.
func (h *Web) Mount(mux *http.ServeMux) {
	// Static files, content-hashed by asset().
	mux.HandleFunc("GET /static/{path...}", h.serveStatic)
	mux.HandleFunc("GET /favicon.ico", h.serveFavicon)

	// Public site.
	mux.HandleFunc("GET /{$}", h.showLanding)
	mux.HandleFunc("GET /pricing", h.showPricing)
	mux.HandleFunc("GET /use-cases", h.showUseCases)
	mux.HandleFunc("GET /explain", h.explainCron) // htmx fragment for the cron testers

	// Docs.
	mux.HandleFunc("GET /docs", h.showDocs)
	mux.HandleFunc("GET /docs/{$}", redirect("/docs"))
	mux.HandleFunc("GET /docs/getting-started", h.showDocsGettingStarted)
	mux.HandleFunc("GET /docs/api", h.showDocsAPI)
	mux.HandleFunc("GET /docs/cron", h.showDocsCron)
	mux.HandleFunc("GET /docs/webhooks", h.showDocsWebhooks)

	// Development only: loopback clients, never in production.
	mux.HandleFunc("GET /dev/mailbox", h.devOnly(h.showMailbox))
	mux.HandleFunc("GET /dev/mailbox/{id}", h.devOnly(h.showMail))
	mux.HandleFunc("GET /dev/mailbox/{id}/html", h.devOnly(h.showMailHTML))
	mux.HandleFunc("GET /dev/ui", h.devOnly(h.showStyleguide))

	// Everything else.
	mux.HandleFunc("/", h.NotFound)
}

// redirect answers with a permanent redirect to a fixed local path.
func redirect(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to, http.StatusMovedPermanently)
	}
}
