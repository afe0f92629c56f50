// Package page is the plumbing Prikke's HTML surfaces render with: the
// templates (a base set of layouts and partials, and a clone per page,
// ParseTemplates), the View every layout reads, the static assets with
// their content hashes (Static), the shared template functions (Funcs:
// icons, numbers, code spans, and the one way instants are written,
// TimeTag), forms that carry values and field errors back into a page
// (Form), one-time flash messages (SetFlash, TakeFlashes), badges, and
// server-sent events whose data is a rendered partial (EventStream).
//
// It knows nothing of the dashboard, the docs or the status pages, and
// imports no service: package web embeds the template and static trees
// (internal/web/templates, internal/web/static) and hands them in, and
// the surfaces (web, web/docs, web/statuspage) render through it.
package page
