package statuspage

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/status"
	"github.com/prikke/prikke/internal/web/page"
)

// The public status pages: Prikke's own at /status (and /status.json),
// and the customer pages projects publish at /s/{slug}. They need no
// session and read none, set no cookies, and may be cached for a short
// while by browsers and proxies.

const (
	// CacheStatus and CacheCustomer are the Cache-Control of /status (and
	// /status.json) and of a customer page.
	CacheStatus   = "public, max-age=30"
	CacheCustomer = "public, max-age=60"
	// TTL is how long one evaluation of Prikke's status answers
	// /status and /status.json, so a crowd refreshing the page during an
	// incident costs the database one evaluation every few seconds.
	TTL = 5 * time.Second
	// statusTimeout bounds one evaluation.
	statusTimeout = 5 * time.Second
)

// statusCache keeps the last report for TTL (by the web clock).
type statusCache struct {
	mu     sync.Mutex
	at     time.Time
	report *status.Report
}

// statusReport evaluates Prikke's status at the web clock's now, or
// returns the evaluation of the last TTL.
func (h *Pages) statusReport(r *http.Request) *status.Report {
	now := h.deps.Now()
	h.statusCache.mu.Lock()
	defer h.statusCache.mu.Unlock()
	if c := &h.statusCache; c.report != nil && !now.Before(c.at) && now.Sub(c.at) < TTL {
		return c.report
	}
	// The report answers other visitors too, so one who goes away
	// mid-evaluation must not leave a half-read report in the cache: the
	// evaluation outlives its request, up to statusTimeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), statusTimeout)
	defer cancel()
	rep := h.deps.Service.StatusReport(ctx, now)
	h.statusCache.at, h.statusCache.report = now, rep
	return rep
}

// componentLabels are Prikke's components as the page names them.
var componentLabels = map[string][2]string{
	"api":       {"API", "The REST API at /api/v1."},
	"dashboard": {"Dashboard", "This website and the dashboard."},
	"scheduler": {"Scheduler", "Puts every job's runs in the queue on time."},
	"delivery":  {"Webhook delivery", "Sends the requests, on time, and records the responses."},
}

// statusView is the data of /status and of a customer page.
type statusView struct {
	Title      string
	Headline   string
	Overall    page.Badge
	Tone       string // the banner's colour classes
	Components []componentView
	Active     []status.Incident // open incidents
	Past       []status.Incident // resolved in the last 90 days
	UpdatedAt  time.Time
}

// componentView is one row: a component of Prikke, or a job or a
// monitor under its display name.
type componentView struct {
	Name   string
	About  string
	State  page.Badge
	Detail string
	Uptime string // "" while no day has data
	Bars   uptimeBars
	// Current: the component has no days, only its current state (a
	// monitor), so the page draws no bars for it.
	Current bool
}

// newComponentView draws a component's state and days.
func newComponentView(c status.Component, name, about string) componentView {
	v := componentView{Name: name, About: about, State: componentBadge(c.Status), Detail: c.Detail, Bars: newUptimeBars(c.Days, c.Uptime),
		Current: len(c.Days) == 0}
	for _, d := range c.Days {
		if d.Status != "" {
			v.Uptime = formatUptime(c.Uptime)
			break
		}
	}
	return v
}

// uptimeBars is the "uptime_bars" partial: one bar per day, oldest first.
type uptimeBars struct {
	Bars  []page.Bar
	Width float64
	Label string
}

// componentStates are the states as badges.
var componentStates = map[prikke.ComponentStatus]page.Badge{
	prikke.StatusOperational: {Label: "Operational", Icon: "circle-check", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"},
	prikke.StatusDegraded:    {Label: "Degraded", Icon: "triangle-alert", Class: "bg-amber-50 text-amber-800 ring-amber-600/30"},
	prikke.StatusOutage:      {Label: "Outage", Icon: "circle-x", Class: "bg-red-50 text-red-800 ring-red-600/30"},
}

func componentBadge(s prikke.ComponentStatus) page.Badge {
	if b, ok := componentStates[s]; ok {
		return b
	}
	return page.Badge{Label: string(s), Icon: "info", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
}

// dayFill is the fill class of a day's bar.
var dayFill = map[prikke.ComponentStatus]string{
	prikke.StatusOperational: "fill-emerald-500",
	prikke.StatusDegraded:    "fill-amber-400",
	prikke.StatusOutage:      "fill-red-500",
}

func newUptimeBars(days []status.Day, uptime float64) uptimeBars {
	const step = 4.0
	b := uptimeBars{Width: step * float64(len(days))}
	for i, d := range days {
		fill, title := dayFill[d.Status], d.Date+": no data"
		if fill == "" {
			fill = "fill-slate-200"
		} else {
			title = fmt.Sprintf("%s: %s%% up", d.Date, formatUptime(d.Uptime))
		}
		if d.Maintenance > 0 {
			fill = "fill-sky-500"
			title += fmt.Sprintf(", %s of planned maintenance (not counted)", roundMaintenance(d.Maintenance))
		}
		b.Bars = append(b.Bars, page.Bar{X: float64(i) * step, Y: 0, W: step - 1, H: 32, Class: fill, Title: title})
	}
	b.Label = fmt.Sprintf("Uptime over the last %d days: %s%%", len(days), formatUptime(uptime))
	if !slices.ContainsFunc(days, func(d status.Day) bool { return d.Status != "" }) {
		b.Label = fmt.Sprintf("No data yet for the last %d days", len(days))
	}
	return b
}

// roundMaintenance writes seconds of maintenance as "4 min" or "1 h 5 min".
func roundMaintenance(secs int) string {
	m := (secs + 59) / 60
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

// formatUptime writes a percentage with up to two decimals: 100, 99.5, 99.98.
func formatUptime(p float64) string {
	s := fmt.Sprintf("%.2f", p)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// headline says the overall state in words, with its banner's colours.
func headline(s prikke.ComponentStatus) (string, string) {
	switch s {
	case prikke.StatusOutage:
		return "Some systems are down", "bg-red-50 text-red-900 ring-red-600/30"
	case prikke.StatusDegraded:
		return "Some systems are degraded", "bg-amber-50 text-amber-900 ring-amber-600/30"
	}
	return "All systems operational", "bg-emerald-50 text-emerald-900 ring-emerald-600/30"
}

// ShowStatus is Prikke's own status page.
func (h *Pages) ShowStatus(w http.ResponseWriter, r *http.Request) {
	rep := h.statusReport(r)
	v := statusView{Title: "Prikke status", Overall: componentBadge(rep.Status), UpdatedAt: rep.UpdatedAt}
	v.Headline, v.Tone = headline(rep.Status)
	for _, c := range rep.Components {
		v.Components = append(v.Components, newComponentView(c, componentLabel(c.Name), componentLabels[c.Name][1]))
	}
	for _, inc := range rep.Incidents {
		if inc.ResolvedAt == nil {
			v.Active = append(v.Active, inc)
		} else {
			v.Past = append(v.Past, inc)
		}
	}
	w.Header().Set("Cache-Control", CacheStatus)
	h.deps.RenderPublic(w, r, http.StatusOK, "status", v)
}

// ShowStatusJSON is /status.json: the same report, for machines.
func (h *Pages) ShowStatusJSON(w http.ResponseWriter, r *http.Request) {
	b, err := json.Marshal(h.statusReport(r))
	if err != nil {
		h.deps.ServerError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", CacheStatus)
	w.Header().Set("Access-Control-Allow-Origin", "*") // public data, for status widgets on other sites
	w.WriteHeader(http.StatusOK)
	w.Write(append(b, '\n'))
}

// ShowCustomerStatus is a project's published status page: the chosen
// jobs under their display names, their state and 90 days of bars, and
// the chosen monitors with their current status (up, late, down …), and
// nothing else about them (status.CustomerPage reads no URL, header,
// body, error, ping or ping token).
func (h *Pages) ShowCustomerStatus(w http.ResponseWriter, r *http.Request) {
	page, err := h.deps.Service.PublicStatus(r.Context(), r.PathValue("slug"), h.deps.Now())
	if err != nil {
		h.deps.Fail(w, r, err)
		return
	}
	v := statusView{Title: page.Title, Overall: componentBadge(page.Status), UpdatedAt: page.UpdatedAt}
	v.Headline, v.Tone = headline(page.Status)
	if page.Status == prikke.StatusOperational {
		v.Headline = "Everything is running"
	}
	for _, c := range page.Components {
		v.Components = append(v.Components, newComponentView(c, c.Name, ""))
	}
	w.Header().Set("Cache-Control", CacheCustomer)
	h.deps.RenderPublic(w, r, http.StatusOK, "customer_status", v)
}
