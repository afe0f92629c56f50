// Package web serves Prikke's HTML: the public site (landing page,
// pricing, use cases), the branded error pages, the development pages
// (/dev/mailbox, /dev/ui), the sign-in pages and the dashboard, and it
// mounts the two surfaces that live in packages of their own: the docs
// (web/docs, with the API reference rendered from the OpenAPI document)
// and the public status pages (web/statuspage). All of them render with
// the page plumbing in web/page (templates, View, static assets, forms,
// flash messages, server-sent events); the templates and static files are
// one tree here (templates/, static/), embedded once and handed to page.
// Pages are rendered on the server with html/template; htmx and its SSE
// extension add interaction; everything a page loads comes from Prikke
// itself (no CDN, no web fonts from elsewhere).
//
// # Routes and handlers
//
// Every route is listed in routes.go (mount), the docs' and the status
// pages' too (h.docs.ShowCron, h.status.ShowStatus). A handler is a method on
// *Web in a file named after its page or action (landing.go, jobs.go,
// job_edit.go, api_keys.go …), and reads as a short script: load, parse,
// validate, store, then redirect or render. Unknown paths get NotFound;
// unexpected errors go to ServerError, which logs the cause with the
// request ID and shows a generic page.
//
// # The dashboard
//
// With Deps.Service set, the sign-in pages (/signup, /login, /logout,
// /forgot-password, /reset-password, /confirm, /invitations/accept), the
// confirmation link of email channels (/channels/confirm), the status
// pages and the dashboard under /app are mounted. The links internal/notify
// puts in alerts (/jobs/{id}, /projects/{id}/channels …) redirect to their
// dashboard pages (links.go). requireUser reads the session
// cookie (auth.SessionCookie: __Host-prikke_session over https), asks the
// service who it is, and puts a *service.Actor in the request's context;
// without a session a page goes to /login?next=… and comes back after.
//
// The current organization and project are in the URL:
// /app/projects/{project_id}/… for a project's pages, /app/jobs/{job_id}
// and /app/executions/{execution_id} for a job's (the job names its
// project), /app/orgs/{org_id}/… for an organization's, /app/account for
// the user's. Every id goes through the service, which answers ENOTFOUND
// for another tenant's: the 404 page (never a 403 that confirms the id).
// A cookie remembers the last project, only for /app itself; it is checked
// through the service whenever it is read. appContext carries the switcher
// and the role into the layout; pages hide what the role cannot do, and
// the service refuses it anyway (fail shows its message on a 403 page).
//
// Forms post (the middleware refuses cross-site POSTs) and re-render with
// 422 and the service's field errors beside the inputs; inputs are named
// after the service's fields (url, timeout_ms, cron_expression,
// headers[0].name …) so the errors land in place. formError decides what
// goes in a form and what gets a page (fail).
//
// Times: every instant is written by timeTag (page.TimeTag) one way, with
// seconds, in the viewer's zone (the signed-in user's chosen one, View.Zone;
// UTC on public pages), the exact value in its title. Partials carry the
// zone in their data (executionRow.Zone, jobSummary.Zone), since the event
// stream renders them without a View. No script rewrites them.
//
// Live updates: a page whose data has an EventsURL method gets one
// EventSource from the app layout. The job page's stream (job_events.go)
// subscribes through service.SubscribeExecutions, loads each of its job's changed
// executions through the service and sends the "execution_row" partial,
// which app.js puts in place or on top of the table, and "job_summary".
// A workflow run's page (run_show.go) needs no stream: its "run_timeline"
// partial fetches itself every second with htmx while the run runs, and
// the answer for a finished run carries no trigger, so the polling ends
// with the final state.
//
// # Workflows
//
// The step editor (workflow_form.go, workflow_edit.go) names each card's
// inputs steps[i].key, steps[i].url … as the service's errors name the
// fields, so a message lands beside its step's field; add, remove and
// move are submit buttons re-rendered on the server, and a JSON box holds
// the whole definition in the API's JSON (a change there wins on save).
// Project secrets are a write-only section of the project's settings
// (secrets.go): names and times, never a value.
//
// # Status pages
//
// /status, /status.json and /s/{slug} are web/statuspage's (see its
// package comment); so is the banner of Prikke's open incidents above
// every dashboard page (appView calls statuspage.Pages.OpenIncidents). A
// project's status pages are edited on the dashboard (status_pages.go).
//
// # Templates
//
//	templates/layout/    "layout/public" (site header and footer) and "layout/app"
//	                     (sidebar, top bar); both include the shared "head"
//	templates/partials/  named partials: logo, flashes, field, form_errors,
//	                     badge, status_badge, code_block, empty_state,
//	                     cron_tester, explain, pricing_table, docs_nav, and
//	                     the dashboard's (app.html): execution_row,
//	                     job_summary, schedule_preview, test_result, …
//	templates/pages/     public pages, rendered in layout/public
//	templates/app/       dashboard pages, rendered in layout/app
//	templates/icons/     Lucide SVGs, inlined with {{icon "name" "classes"}}
//
// A page file defines "title" and "content" and may define "description",
// "extra_head" and, in the app layout, "sidebar" and "topbar". Its data
// arrives as .Data inside a View (.Path, .Flashes, .RequestID … are there
// for the layouts; .App is the dashboard's context). A dashboard page is
// three small pieces:
//
//	// templates/app/usage.html
//	{{define "title"}}Usage and plan · {{.App.Org.Name}} — prikke{{end}}
//	{{define "content"}}
//	  <h1 class="text-2xl font-bold">Usage and plan</h1>
//	  <p>{{number .Data.Usage.Requests}} of {{number .Data.Usage.Limit}}</p>
//	{{end}}
//
//	// usage.go
//	func (h *Web) showUsage(w http.ResponseWriter, r *http.Request) {
//		c, ok := h.loadOrg(w, r, "usage") // the {org_id}, through the service
//		if !ok {
//			return
//		}
//		u, err := h.svc.Usage(r.Context(), actorOf(r), c.Org.ID)
//		if err != nil {
//			h.fail(w, r, err)
//			return
//		}
//		h.renderApp(w, r, http.StatusOK, "usage", c, usageView{Usage: u})
//	}
//
//	// routes.go
//	handle("GET /app/orgs/{org_id}/usage", u(h.showUsage))
//
// Partials render on their own too: renderPartial answers an htmx request
// with one fragment, and page.EventStream.Send pushes one as a server-sent event
// (the app layout loads the SSE extension). A partial gets its own data as
// its dot, never a View, so it renders the same wherever it is used.
//
// Forms: keep the submitted values in a page.Form (page.NewForm), record problems with
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
// Colour classes that live in Go (ui.go, statuspage/status.go) are seen by
// Tailwind through the @source line for the .go files of this directory
// and its packages. After changing templates or
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
