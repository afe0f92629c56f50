package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// monitorsView is the data of a project's monitors list.
type monitorsView struct {
	Project *prikke.Project
	Form    *page.Form // the search box and the status filter
	Rows    []monitorRow
	Next    string // the next page's URL, or ""
	Back    string // this page, for the actions' redirect
	// Snoozed: the whole project's alerts are snoozed (until
	// Project.SnoozeUntil).
	Snoozed bool
}

// SnoozeOptions are the project snooze buttons' durations.
func (monitorsView) SnoozeOptions() []page.Option { return monitorView{}.SnoozeOptions() }

// monitorRow is one monitor in the list.
type monitorRow struct {
	Monitor  *prikke.Monitor
	Status   monitorStatusView
	Schedule string
	LastPing string // "3 minutes ago", "never"
}

// monitorsPage is how many monitors one page lists.
const monitorsPage = 100

// monitorStatusOptions are the list's status filter.
var monitorStatusOptions = []page.Option{
	{Value: "", Label: "Any status"},
	{Value: string(prikke.MonitorNew), Label: "New"},
	{Value: string(prikke.MonitorUp), Label: "Up"},
	{Value: string(prikke.MonitorLate), Label: "Late"},
	{Value: string(prikke.MonitorRunning), Label: "Running"},
	{Value: string(prikke.MonitorDown), Label: "Down"},
	{Value: string(prikke.MonitorPaused), Label: "Paused"},
}

// StatusOptions are the choices of the status filter, for the template.
func (monitorsView) StatusOptions() []page.Option { return monitorStatusOptions }

func (h *Web) showMonitors(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	c, ok := h.loadProject(w, r, "monitors")
	if !ok {
		return
	}
	id := c.Project.ID
	q := r.URL.Query()
	form := page.NewForm(url.Values{"q": {q.Get("q")}, "status": {q.Get("status")}})
	f := service.MonitorFilter{ProjectID: &id, Search: q.Get("q"), Status: q.Get("status"), Limit: monitorsPage}
	if after, err := prikke.ParseID(q.Get("after")); err == nil {
		f.After = &after
	}
	v := monitorsView{Project: c.Project, Form: form, Back: r.URL.RequestURI(),
		Snoozed: c.Project.SnoozeUntil != nil && c.Project.SnoozeUntil.After(h.now())}
	ms, err := h.svc.Monitors(ctx, a, f)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		// An impossible search or status: say so beside the box.
		for _, fe := range prikke.ErrorFields(err) {
			name := fe.Field
			if name != "status" {
				name = "q"
			}
			form.SetError(name, fe.Message)
		}
		if form.Valid() {
			form.AddErrors(err)
		}
		h.renderApp(w, r, statusOf(err), "monitors", c, v)
		return
	}
	now := h.now()
	for _, m := range ms {
		v.Rows = append(v.Rows, monitorRow{Monitor: m, Status: monitorStatus(m.StatusAt(now)), Schedule: monitorSchedule(m),
			LastPing: agoText(m.LastPingAt, now)})
	}
	if len(ms) == monitorsPage {
		nq := url.Values{"after": {ms[len(ms)-1].ID.String()}}
		for _, k := range []string{"q", "status"} {
			if s := q.Get(k); s != "" {
				nq.Set(k, s)
			}
		}
		v.Next = r.URL.Path + "?" + nq.Encode()
	}
	h.renderApp(w, r, http.StatusOK, "monitors", c, v)
}

// monitorStatusView is how a monitor status shows: a coloured dot and a
// word (the "monitor_status" partial).
type monitorStatusView struct {
	Status prikke.MonitorStatus
	Label  string
	Dot    string // the dot's Tailwind classes
	Text   string // the word's colour
}

// The dots of the monitor statuses. They live in Go, like the execution
// badges, so every page shows a status alike; app.css's @source line
// makes Tailwind see them.
var monitorStatuses = map[prikke.MonitorStatus]monitorStatusView{
	prikke.MonitorNew:     {Label: "New", Dot: "bg-slate-300", Text: "text-slate-600"},
	prikke.MonitorUp:      {Label: "Up", Dot: "bg-emerald-500", Text: "text-emerald-800"},
	prikke.MonitorLate:    {Label: "Late", Dot: "bg-amber-400", Text: "text-amber-800"},
	prikke.MonitorRunning: {Label: "Running", Dot: "bg-sky-500 motion-safe:animate-pulse", Text: "text-sky-800"},
	prikke.MonitorDown:    {Label: "Down", Dot: "bg-red-500", Text: "text-red-800"},
	prikke.MonitorPaused:  {Label: "Paused", Dot: "bg-white ring-2 ring-inset ring-slate-400", Text: "text-slate-600"},
}

// monitorStatus returns the view of a status; an unknown one shows as a
// grey dot with its raw name.
func monitorStatus(s prikke.MonitorStatus) monitorStatusView {
	v, ok := monitorStatuses[s]
	if !ok {
		v = monitorStatusView{Label: string(s), Dot: "bg-slate-300", Text: "text-slate-600"}
	}
	v.Status = s
	return v
}

// monitorSchedule says when a monitor expects its pings: "Every 10
// minutes", or a cron expression described in words with its zone.
func monitorSchedule(m *prikke.Monitor) string {
	if m.Cron == "" {
		return "Every " + durationWords(m.Period)
	}
	s, err := cron.Parse(m.Cron)
	if err != nil {
		return m.Cron
	}
	zone := m.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	return s.Describe() + " (" + zone + ")"
}

// durationWords writes a duration as people say it: "10 minutes", "1
// hour 30 minutes", "2 days", "45 seconds". Zero is "0 seconds".
func durationWords(d time.Duration) string {
	if d <= 0 {
		return "0 seconds"
	}
	var parts []string
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"day", 24 * time.Hour}, {"hour", time.Hour}, {"minute", time.Minute}, {"second", time.Second}} {
		n := int64(d / u.size)
		if n == 0 {
			continue
		}
		d -= time.Duration(n) * u.size
		if n == 1 {
			parts = append(parts, "1 "+u.name)
		} else {
			parts = append(parts, fmt.Sprintf("%d %ss", n, u.name))
		}
	}
	if len(parts) == 0 {
		return d.String()
	}
	return strings.Join(parts, " ")
}

// agoText writes how long ago t was, at now: "just now", "5 seconds
// ago", "3 minutes ago", "2 hours ago", "4 days ago"; "never" for nil.
func agoText(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	d := now.Sub(*t)
	unit, n := "", int64(0)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		unit, n = "second", int64(d/time.Second)
	case d < time.Hour:
		unit, n = "minute", int64(d/time.Minute)
	case d < 48*time.Hour:
		unit, n = "hour", int64(d/time.Hour)
	default:
		unit, n = "day", int64(d/(24*time.Hour))
	}
	if n == 1 {
		return "1 " + unit + " ago"
	}
	return fmt.Sprintf("%d %ss ago", n, unit)
}
