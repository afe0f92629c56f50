// Package web serves Prikke's HTML: the public site (landing page,
// pricing, use cases, the docs with the API reference rendered from the
// OpenAPI document), the branded error pages, the development pages
// (/dev/mailbox, /dev/ui) and, on the same foundation, the dashboard.
// Pages are rendered on the server with html/template; htmx and its SSE
// extension add interaction; everything a page loads comes from Prikke
// itself (no CDN, no web fonts from elsewhere).
//
// # Routes and handlers
//
// Every route is listed in routes.go (Mount). A handler is a method on
// *Web in a file named after its page or action (landing.go,
// docs_cron.go, later job_edit.go), and reads as a short script: load,
// parse, validate, store, then redirect or render. Unknown paths get
// NotFound; unexpected errors go to ServerError, which logs the cause with
// the request ID and shows a generic page.
//
// # Templates
//
//	templates/layout/    "layout/public" (site header and footer) and "layout/app"
//	                     (sidebar, top bar); both include the shared "head"
//	templates/partials/  named partials: logo, flashes, field, form_errors,
//	                     badge, status_badge, code_block, empty_state,
//	                     cron_tester, explain, pricing_table, docs_nav
//	templates/pages/     public pages, rendered in layout/public
//	templates/app/       dashboard pages, rendered in layout/app
//	templates/icons/     Lucide SVGs, inlined with {{icon "name" "classes"}}
//
// A page file defines "title" and "content" and may define "description",
// "extra_head" and, in the app layout, "sidebar" and "topbar". Its data
// arrives as .Data inside a View (.Path, .Flashes, .RequestID … are there
// for the layouts). A dashboard page is three small pieces:
//
//	// templates/app/jobs.html
//	{{define "title"}}Jobs — prikke{{end}}
//	{{define "content"}}
//	  <h1 class="text-2xl font-bold">Jobs</h1>
//	  <div class="card"><div class="card-body table-wrap"><table class="table">…
//	    {{range .Data.Jobs}}<tr><td>{{.Name}}</td><td>{{template "status_badge" .LastStatus}}</td></tr>{{end}}
//	  </table></div></div>
//	{{end}}
//
//	// jobs.go
//	func (h *Web) showJobs(w http.ResponseWriter, r *http.Request) {
//		jobs, err := h.store.JobList(r.Context(), …)
//		if err != nil {
//			h.ServerError(w, r, err)
//			return
//		}
//		h.render(w, r, http.StatusOK, "jobs", jobsView{Jobs: jobs})
//	}
//
//	// routes.go
//	mux.HandleFunc("GET /app/jobs", h.showJobs)
//
// Partials render on their own too: renderPartial answers an htmx request
// with one fragment, and EventStream.Send pushes one as a server-sent event
// (the app layout loads the SSE extension). A partial gets its own data as
// its dot, never a View, so it renders the same wherever it is used.
//
// Forms: keep the submitted values in a Form (NewForm), record problems with
// Form.AddErrors(err) or SetError, and draw each input with
// {{template "field" (.Data.Form.Field "name" "Label" "required" "hint=…")}},
// which links label, hint and error (aria-describedby, aria-invalid). After a
// successful POST, setFlash and redirect.
//
// # Styles
//
// Tailwind 4 utilities plus a few component classes from assets/app.css,
// so the same things look the same everywhere:
//
//	.btn + .btn-primary | .btn-secondary | .btn-dark | .btn-danger | .btn-ghost, and .btn-sm
//	.label .input .hint .field-error     (the "field" partial uses them)
//	.card .card-header .card-body
//	.table-wrap > .table                 (wide tables scroll on a phone)
//	.badge + colour classes              (statusBadge has the execution statuses')
//	.flash .flash-success | .flash-error | .flash-info
//	.link .code .code-block .prose
//
// Colour classes that live in Go (ui.go) are seen by Tailwind through the
// @source line for this directory's .go files. After changing templates or
// classes, run `make assets` (scripts/assets.sh): it rebuilds static/app.css
// and copies htmx, the SSE extension, Inter and the icons. The output is
// committed, so building and running Prikke never needs Node. Static files
// are served from the binary under /static/ with a content hash in the URL
// ({{asset "app.css"}}), cached for a year.
//
// # Security
//
// The middleware's Content-Security-Policy allows scripts, styles, fonts and
// images from Prikke only, and no inline script, style attribute or on*
// handler. So: behaviour goes in static/app.js or htmx attributes (htmx is
// configured by a meta tag with allowEval off), styling in classes.
// html/template escapes every value; template.HTML is used only for markup
// built here from escaped parts (icons, linkify, inlineCode). The
// development pages answer only loopback clients outside production.
package web
