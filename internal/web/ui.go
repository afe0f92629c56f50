package web

import (
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// The Tailwind class sets of the execution statuses. They live in Go so
// every page shows a status the same way; app.css's @source line makes
// Tailwind see them.
var statusBadges = map[prikke.ExecutionStatus]page.Badge{
	prikke.ExecutionStatusPending:       {Label: "Pending", Icon: "circle-dashed", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"},
	prikke.ExecutionStatusRunning:       {Label: "Running", Icon: "loader-circle", Class: "bg-sky-50 text-sky-800 ring-sky-600/30", Spin: true},
	prikke.ExecutionStatusSuccess:       {Label: "Success", Icon: "circle-check", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"},
	prikke.ExecutionStatusFailed:        {Label: "Failed", Icon: "circle-x", Class: "bg-red-50 text-red-800 ring-red-600/30"},
	prikke.ExecutionStatusTimeout:       {Label: "Timeout", Icon: "hourglass", Class: "bg-orange-50 text-orange-800 ring-orange-600/30"},
	prikke.ExecutionStatusMissed:        {Label: "Missed", Icon: "calendar-x", Class: "bg-amber-50 text-amber-800 ring-amber-600/30"},
	prikke.ExecutionStatusSkipped:       {Label: "Skipped", Icon: "skip-forward", Class: "bg-slate-50 text-slate-600 ring-slate-400/30"},
	prikke.ExecutionStatusQuotaExceeded: {Label: "Quota exceeded", Icon: "ban", Class: "bg-violet-50 text-violet-800 ring-violet-600/30"},
}

// statusBadge returns the badge of an execution status; templates use it
// as {{template "badge" (statusBadge .Status)}}. An unknown status still
// renders, as a neutral badge with its raw name.
func statusBadge(s prikke.ExecutionStatus) page.Badge {
	if b, ok := statusBadges[s]; ok {
		return b
	}
	return page.Badge{Label: strings.ReplaceAll(string(s), "_", " "), Icon: "info", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
}

// publicNav is the public site's header navigation. /pricing is
// "Plans" when this Prikke sells none: it shows limits, not prices.
func (h *Web) publicNav() []page.NavItem {
	plans := "Pricing"
	if !h.billingOn() {
		plans = "Plans"
	}
	return []page.NavItem{
		{Label: "Docs", Href: "/docs"},
		{Label: "Use cases", Href: "/use-cases"},
		{Label: plans, Href: "/pricing"},
	}
}

// appNav is the dashboard's sidebar for a page without a dashboard
// context (/dev/ui); signed-in pages build theirs from the current
// project and organization (appContext.Nav).
var appNav = []page.NavItem{
	{Label: "Dashboard", Href: "/app", Icon: "layers"},
	{Label: "Account", Href: "/app/account", Icon: "lock"},
	{Label: "Docs", Href: "/docs", Icon: "book-open"},
}

// jobBadge says how a job stands: paused by a person or by a plan change
// (a downgrade), disabled by Prikke (a 410 Gone, say), failing, healthy,
// or not run yet.
func jobBadge(j *prikke.Job) page.Badge {
	switch {
	case !j.Enabled && j.DisabledReason != "":
		return page.Badge{Label: "Disabled", Icon: "ban", Class: "bg-red-50 text-red-800 ring-red-600/30"}
	case !j.Enabled && j.PauseReason == prikke.PauseForPlan:
		return page.Badge{Label: "Paused by plan", Icon: "circle-dashed", Class: "bg-amber-50 text-amber-800 ring-amber-600/30"}
	case !j.Enabled:
		return page.Badge{Label: "Paused", Icon: "circle-dashed", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
	case j.Kind == prikke.JobKindOnce && j.NextRunAt == nil && j.LastStatus != "" && j.LastStatus.Terminal() && j.Health != prikke.JobFailing:
		return page.Badge{Label: "Done", Icon: "check", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
	case j.Health == prikke.JobFailing:
		return page.Badge{Label: "Failing", Icon: "circle-x", Class: "bg-red-50 text-red-800 ring-red-600/30"}
	case j.LastStatus == "":
		return page.Badge{Label: "No runs yet", Icon: "clock", Class: "bg-sky-50 text-sky-800 ring-sky-600/30"}
	}
	return page.Badge{Label: "Healthy", Icon: "heart-pulse", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"}
}
