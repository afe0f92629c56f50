package page

import "time"

// View is the data of every full page. Page-specific data goes in Data;
// the layouts use the rest.
type View struct {
	Path       string  // the request path, to mark the current navigation item
	Data       any     // the page's own data
	Flashes    []Flash // messages from the previous request (and this one)
	RequestID  string  // set by the httpserver middleware, for error pages
	BaseURL    string
	Production bool
	Now        time.Time
	// App is the dashboard's context (user, organization, project, role,
	// navigation: package web's appContext); nil outside the dashboard.
	App any
	// Events is the URL of the page's server-sent event stream, or "". The
	// app layout opens one EventSource for it around the page.
	Events string
	// Incidents are Prikke's open incidents, which the app layout shows
	// above the page; nil outside the dashboard.
	Incidents []IncidentBanner
	// SSRFAllow is what the relaxed SSRF guard lets through (Deps.SSRFAllow),
	// which the app layout shows above the page; nil outside the dashboard.
	SSRFAllow []string
	// SignedIn says the visitor has a live session: the public header
	// offers the dashboard instead of "Log in" and "Start for free".
	SignedIn bool
	// Zone is the zone instants are shown in: the signed-in user's chosen
	// one, else UTC ({{timeTag .CreatedAt $.Zone}}).
	Zone *time.Location
}

// IncidentBanner is one of Prikke's open incidents as the dashboard shows
// it above every page, so customers learn of an outage where they work
// and not only on /status.
type IncidentBanner struct {
	Title      string
	Status     string   // investigating, identified or monitoring
	Message    string   // the latest update's
	Components []string // as /status names them
}
