package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// monitorView is the data of a monitor's page: its state, the URLs to
// ping, ready-to-paste snippets, a chart of its runs, its ping log (which
// the page's event stream keeps current) and its history of flips.
type monitorView struct {
	Monitor  *prikke.Monitor
	Summary  monitorSummary
	PingURL  string
	SlugURL  string
	BadgeURL string
	Snippets []monitor.Snippet
	Chart    durationChart
	Pings    []pingRow
	Older    string // the log's next page, or ""
	Newest   string // the log's first page when this is a later one
	Flips    []flipRow
	Back     string // this page, for the actions' redirect
	// Channels are the monitor's own channels when it chose them
	// (notify custom).
	Channels []*prikke.Channel
	Zone     *time.Location
}

// BadgePath is the badge on this site, for the page's <img> (the public
// URL names the configured host, which a development browser may reach
// by another name, and the CSP allows images from this origin only).
func (v monitorView) BadgePath() string { return "/badge/" + v.Monitor.BadgeToken + ".svg" }

// EventsURL is the page's event stream: new pings and the monitor's
// state.
func (v monitorView) EventsURL() string { return "/app/monitors/" + v.Monitor.ID.String() + "/events" }

// LiveRows is how the ping log takes live rows: new ones on top on the
// first page; a later page is not live.
func (v monitorView) LiveRows() string {
	if v.Newest != "" {
		return ""
	}
	return "prepend"
}

// SnoozeOptions are the snooze buttons' durations.
func (monitorView) SnoozeOptions() []page.Option {
	return []page.Option{{Value: "1h", Label: "1 hour"}, {Value: "24h", Label: "1 day"}, {Value: "168h", Label: "1 week"}}
}

// SnoozeMin is the earliest value of the custom snooze input: now, in
// the viewer's zone.
func (v monitorView) SnoozeMin() string { return v.Summary.Now.In(v.Zone).Format(datetimeLocal) }

// Definition lines: a duration or "—".
func (monitorView) Words(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return durationWords(d)
}

// monitorSummary is the "monitor_summary" partial: the monitor's state,
// which the event stream refreshes after every ping.
type monitorSummary struct {
	Monitor  *prikke.Monitor
	Status   monitorStatusView
	Since    *time.Time // the last flip to the current status, else creation
	LastPing string     // "3 minutes ago"
	Now      time.Time
	Zone     *time.Location // the viewer's, for the times
}

// Snoozed reports whether the monitor's alerts are snoozed at Now.
func (s monitorSummary) Snoozed() bool {
	return s.Monitor.SnoozeUntil != nil && s.Monitor.SnoozeUntil.After(s.Now)
}

// LastDuration is the last finished run's length.
func (s monitorSummary) LastDuration() string {
	if s.Monitor.LastDuration == nil {
		return "—"
	}
	return page.Duration(int(*s.Monitor.LastDuration / time.Millisecond))
}

// flipsShown and chartRuns are how many flips the page lists and how many
// finished runs its chart draws; pingsShown is the length of the log.
const (
	flipsShown = 20
	chartRuns  = 50
	pingsShown = 50
)

func (h *Web) showMonitor(w http.ResponseWriter, r *http.Request) {
	m, c, ok := h.loadMonitor(w, r)
	if !ok {
		return
	}
	a, ctx, loc := actorOf(r), r.Context(), zoneOf(r)
	v := monitorView{Monitor: m, BadgeURL: h.svc.BadgeURL(m), Back: r.URL.RequestURI(), Zone: loc}
	// The ping URLs are credentials that write: the token moves the
	// monitor, and the project's ping key creates monitors (?create=1).
	// A viewer, who may change nothing, is not shown them.
	if c.Can(string(prikke.PermManageJobs)) {
		v.PingURL, v.SlugURL = h.svc.PingURL(m), h.svc.SlugPingURL(c.Project, m)
		v.Snippets = monitor.Snippets(v.PingURL)
	}
	flips, err := h.svc.MonitorFlips(ctx, a, m.ID, flipsShown)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, f := range flips {
		v.Flips = append(v.Flips, newFlipRow(f, loc))
	}
	v.Summary = h.monitorSummary(m, flips, loc)
	pf := service.PingFilter{Limit: pingsShown}
	if before, err := prikke.ParseID(r.URL.Query().Get("before")); err == nil {
		pf.Before = &before
		v.Newest = r.URL.Path
	}
	pings, err := h.svc.MonitorPings(ctx, a, m.ID, pf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, p := range pings {
		v.Pings = append(v.Pings, newPingRow(p, loc))
	}
	if len(pings) == pingsShown {
		v.Older = r.URL.Path + "?before=" + pings[len(pings)-1].ID.String() + "#pings-title"
	}
	runs, err := h.svc.MonitorPings(ctx, a, m.ID, service.PingFilter{Kinds: []prikke.PingKind{prikke.PingSuccess, prikke.PingFail}, Limit: chartRuns})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Chart = newRunChart(runs, loc)
	if m.NotifyMode == prikke.NotifyCustom {
		cs, err := h.svc.Channels(ctx, a, m.ProjectID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, ch := range cs {
			if slices.Contains(m.ChannelIDs, ch.ID) {
				v.Channels = append(v.Channels, ch)
			}
		}
	}
	h.renderApp(w, r, http.StatusOK, "monitor", c, v)
}

// monitorSummary is the state partial's data at the clock's now; flips
// are the monitor's newest first (the first that led to the current
// status dates it).
func (h *Web) monitorSummary(m *prikke.Monitor, flips []*prikke.MonitorFlip, loc *time.Location) monitorSummary {
	now := h.now()
	s := monitorSummary{Monitor: m, Status: monitorStatus(m.StatusAt(now)), LastPing: agoText(m.LastPingAt, now), Now: now, Zone: loc}
	since := m.CreatedAt
	for _, f := range flips {
		if f.To == m.Status {
			since = f.CreatedAt
			break
		}
	}
	s.Since = &since
	return s
}

// pingRow is one row of the ping log: the "ping_row" partial, which the
// page renders in a loop and the event stream sends as pings arrive.
type pingRow struct {
	ID         prikke.ID
	MonitorID  prikke.ID
	Kind       prikke.PingKind
	Exit       string // the exit status, or ""
	Duration   string
	Method     string
	SourceIP   string
	UserAgent  string
	BodySize   int
	CreatedAt  time.Time
	Zone       *time.Location
	KindBadge  page.Badge
	Truncated  bool
	HasPayload bool
}

// DOMID is the row's element id.
func (p pingRow) DOMID() string { return "ping-" + p.ID.String() }

// URL is the ping's own page, with its body.
func (p pingRow) URL() string {
	return "/app/monitors/" + p.MonitorID.String() + "/pings/" + p.ID.String()
}

// The badges of the ping kinds.
var pingKindBadges = map[prikke.PingKind]page.Badge{
	prikke.PingStart:   {Label: "Start", Icon: "loader-circle", Class: "bg-sky-50 text-sky-800 ring-sky-600/30"},
	prikke.PingSuccess: {Label: "Success", Icon: "circle-check", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"},
	prikke.PingFail:    {Label: "Fail", Icon: "circle-x", Class: "bg-red-50 text-red-800 ring-red-600/30"},
	prikke.PingLog:     {Label: "Log", Icon: "info", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"},
}

func pingKindBadge(k prikke.PingKind) page.Badge {
	if b, ok := pingKindBadges[k]; ok {
		return b
	}
	return page.Badge{Label: string(k), Icon: "info", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
}

func newPingRow(p *prikke.Ping, loc *time.Location) pingRow {
	row := pingRow{ID: p.ID, MonitorID: p.MonitorID, Kind: p.Kind, Method: p.Method, SourceIP: p.SourceIP, UserAgent: p.UserAgent,
		BodySize: p.BodySize, CreatedAt: p.CreatedAt, Zone: loc, KindBadge: pingKindBadge(p.Kind), Truncated: p.BodyTruncated,
		Duration: "—", HasPayload: p.BodySize > 0}
	if p.ExitStatus != nil {
		row.Exit = strconv.Itoa(*p.ExitStatus)
	}
	if p.Duration != nil {
		row.Duration = page.Duration(int(*p.Duration / time.Millisecond))
	}
	if len(row.UserAgent) > 160 {
		row.UserAgent = clip160(row.UserAgent)
	}
	return row
}

// flipRow is one change of status in the monitor's history.
type flipRow struct {
	Flip      *prikke.MonitorFlip
	From, To  monitorStatusView
	Event     string
	CreatedAt time.Time
	Zone      *time.Location
}

// flipEvents say what each flip event was.
var flipEvents = map[prikke.NotificationEvent]string{
	prikke.EventMonitorDown:    "Down: a ping is missing",
	prikke.EventMonitorUp:      "Up again",
	prikke.EventMonitorFailed:  "A run failed",
	prikke.EventMonitorTooLong: "A run took too long",
	prikke.EventMonitorRealert: "Still down (reminder)",
}

func newFlipRow(f *prikke.MonitorFlip, loc *time.Location) flipRow {
	ev, ok := flipEvents[f.Event]
	if !ok {
		ev = string(f.Event)
	}
	return flipRow{Flip: f, From: monitorStatus(f.From), To: monitorStatus(f.To), Event: ev, CreatedAt: f.CreatedAt, Zone: loc}
}

// newRunChart draws a monitor's finished runs (success and fail pings,
// newest first as the service lists them) like a job's executions: a bar
// per run, its height the run's duration, green or red, oldest on the
// left. An end without a paired start has no duration and gets a stub.
func newRunChart(pings []*prikke.Ping, loc *time.Location) durationChart {
	c := durationChart{Width: chartWidth, Height: chartHeight}
	if len(pings) == 0 {
		return c
	}
	ms := func(p *prikke.Ping) int {
		if p.Duration == nil {
			return 0
		}
		return int(*p.Duration / time.Millisecond)
	}
	maxMS := 1
	for _, p := range pings {
		maxMS = max(maxMS, ms(p))
	}
	n := len(pings)
	slot := float64(chartWidth) / float64(max(n, 20))
	seen := map[prikke.ExecutionStatus]bool{}
	for i := range pings {
		p := pings[n-1-i]
		st := prikke.ExecutionStatusSuccess
		if p.Kind == prikke.PingFail {
			st = prikke.ExecutionStatusFailed
		}
		hgt := float64(ms(p)) / float64(maxMS) * (chartHeight - 4)
		dur := "no start ping"
		if p.Duration != nil {
			dur = page.Duration(ms(p))
		}
		if hgt < 3 {
			hgt = 3
		}
		c.Bars = append(c.Bars, page.Bar{X: float64(i)*slot + slot*0.15, Y: chartHeight - hgt, W: slot * 0.7, H: hgt,
			Class: fillOf(st), Title: fmt.Sprintf("%s · %s · %s", p.CreatedAt.In(loc).Format(page.LayoutFull), statusBadge(st).Label, dur)})
		seen[st] = true
	}
	for _, st := range []prikke.ExecutionStatus{prikke.ExecutionStatusSuccess, prikke.ExecutionStatusFailed} {
		if seen[st] {
			c.Legend = append(c.Legend, statusBadge(st))
		}
	}
	c.Max = page.Duration(maxMS)
	c.From = pings[n-1].CreatedAt.In(loc).Format(page.LayoutFull)
	c.To = pings[0].CreatedAt.In(loc).Format(page.LayoutFull)
	c.Label = fmt.Sprintf("Duration and outcome of the last %d runs, oldest first; the longest took %s", n, c.Max)
	return c
}

// loadMonitor loads the monitor of the URL's {monitor_id} and its
// project's context; on failure it has answered the request.
func (h *Web) loadMonitor(w http.ResponseWriter, r *http.Request) (*prikke.Monitor, *appContext, bool) {
	id, err := pathID(r, "monitor_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	m, err := h.svc.Monitor(r.Context(), actorOf(r), id)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	c, err := h.projectContext(w, r, m.ProjectID, "monitors")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	return m, c, true
}

// monitorPingView is the data of one ping's page: its request and body.
type monitorPingView struct {
	Monitor *prikke.Monitor
	Ping    *prikke.Ping
	Row     pingRow
	Body    bodyView
}

// showMonitorPing shows one ping with its body.
func (h *Web) showMonitorPing(w http.ResponseWriter, r *http.Request) {
	m, c, ok := h.loadMonitor(w, r)
	if !ok {
		return
	}
	pid, err := pathID(r, "ping_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.svc.MonitorPing(r.Context(), actorOf(r), m.ID, pid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "monitor_ping", c, monitorPingView{Monitor: m, Ping: p, Row: newPingRow(p, zoneOf(r)), Body: viewBody(p.Body, p.BodyTruncated)})
}
