package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/web/page"
)

// schedulePreview is what the editor shows under the schedule as the user
// types: the schedule in words and its next fire times in the job's zone
// and the viewer's, daylight-saving changes flagged, and whether the
// organization's tier allows it. The "schedule_preview" partial draws it.
type schedulePreview struct {
	Kind        string
	Description string
	Error       string // why the schedule cannot be saved as typed
	TierProblem string // the schedule is valid but too frequent for the tier
	Zone        string
	ViewerZone  string // "" when unknown or the same as Zone
	ViewerKnown bool   // the request said the viewer's zone (app.js ran)
	Fires       []previewFire
}

// previewFire is one fire time.
type previewFire struct {
	ISO        string // UTC, for <time datetime>
	Job        string // in the job's zone
	Viewer     string // in the viewer's zone
	DSTShifted bool
	Repeated   bool
	Offset     string // the new UTC offset when it changed before this fire
}

// previewCount is how many fire times the editor lists.
const previewCount = 10

// previewSchedule answers the editor's htmx requests with the
// "schedule_preview" fragment. Whatever was typed, the answer is a 200
// that explains it.
func (h *Web) previewSchedule(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.svc.Project(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	o, _, err := h.svc.Organization(ctx, a, p.OrganizationID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.renderPartial(w, r, http.StatusOK, "schedule_preview", h.schedulePreview(withViewerZone(r.URL.Query(), r), o.Tier))
}

// withViewerZone is q with the signed-in user's chosen zone as the
// viewer's ("Your time"), whatever zone the browser is in: the dashboard
// shows every time in that one zone.
func withViewerZone(q url.Values, r *http.Request) url.Values {
	a := actorOf(r)
	if a == nil || a.User == nil {
		return q
	}
	out := make(url.Values, len(q)+1)
	for k, v := range q {
		out[k] = v
	}
	out.Set("viewer_tz", page.UserLocation(a.User).String())
	return out
}

// schedulePreview explains the schedule fields of q (the editor's names)
// for an organization of tier.
func (h *Web) schedulePreview(q url.Values, tier prikke.Tier) schedulePreview {
	zone := page.Clip(strings.TrimSpace(q.Get("timezone")))
	if zone == "" {
		zone = "UTC"
	}
	pv := schedulePreview{Kind: q.Get("schedule_kind"), Zone: zone}
	if pv.Kind == "" {
		pv.Kind = kindCron
	}
	loc, err := cron.LoadLocation(zone)
	if err != nil {
		pv.Error = page.Capitalize(err.Error()) + "."
		return pv
	}
	var viewer *time.Location
	if vz := q.Get("viewer_tz"); vz != "" {
		if l, err := cron.LoadLocation(vz); err == nil {
			pv.ViewerKnown = true
			if vz != zone {
				viewer, pv.ViewerZone = l, vz
			}
		}
	}
	fire := func(t time.Time) previewFire {
		f := previewFire{ISO: t.UTC().Format(time.RFC3339), Job: t.In(loc).Format(page.LayoutFull)}
		if viewer != nil {
			f.Viewer = t.In(viewer).Format(page.LayoutFull)
		}
		return f
	}

	var expr string
	switch pv.Kind {
	case kindOnce:
		t, err := parseLocal(strings.TrimSpace(q.Get("scheduled_at")), loc)
		switch {
		case err != nil:
			pv.Error = page.Capitalize(err.Error()) + "."
		case t.Before(h.now()):
			pv.Error = "That time has passed; choose a future one."
		case t.After(h.now().Add(prikke.MaxRunAhead)):
			pv.Error = "That is too far ahead: at most a year."
		default:
			pv.Description = "Once, at " + t.In(loc).Format(page.LayoutFull)
			pv.Fires = []previewFire{fire(t)}
		}
		return pv
	case kindInterval:
		e, ok := prikke.Interval(q.Get("interval")).Cron()
		if !ok {
			pv.Error = "Choose one of the intervals in the list, from every minute to weekly."
			return pv
		}
		expr = e
	default:
		expr = page.Clip(strings.TrimSpace(q.Get("cron_expression")))
		if expr == "" {
			pv.Error = "Type a cron expression, such as 30 9 * * 1-5 (09:30 on weekdays)."
			return pv
		}
	}
	prev, err := h.svc.SchedulePreview(expr, zone, previewCount)
	if err != nil {
		pv.Error = previewError(err)
		return pv
	}
	pv.Description = prev.Description
	for _, f := range prev.Fires {
		pf := fire(f.Time)
		pf.DSTShifted, pf.Repeated = f.DSTShifted, f.DSTRepeated
		if f.OffsetChange {
			pf.Offset = f.Time.In(loc).Format("UTC-07:00")
		}
		pv.Fires = append(pv.Fires, pf)
	}
	if min := tier.Limits().MinInterval; prev.MinInterval < min {
		// Upgrading is offered only where this Prikke sells plans.
		pro := "upgrade to Pro"
		if !h.billingOn() {
			pro = "ask this Prikke's operator for the Pro plan"
		}
		pv.TierProblem = fmt.Sprintf("This runs every %s, but the %s plan's shortest interval is %s, so it cannot be saved. Choose a less frequent schedule, or %s, which runs jobs as often as every %s.",
			gapText(prev.MinInterval), tierName(tier), gapText(min), pro, strings.TrimPrefix(gapText(prikke.TierPro.Limits().MinInterval), "1 "))
	}
	return pv
}

// previewError is the first field message of a preview error, as a
// sentence.
func previewError(err error) string {
	for _, fe := range prikke.ErrorFields(err) {
		msg := page.Capitalize(fe.Message)
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
		return msg
	}
	return prikke.ErrorMessage(err)
}

// gapText writes an interval: "5 minutes", "1 hour", "2 days".
func gapText(d time.Duration) string {
	unit, n := "minute", int(d/time.Minute)
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		unit, n = "day", int(d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		unit, n = "hour", int(d/time.Hour)
	}
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func tierName(t prikke.Tier) string {
	if t == prikke.TierPro {
		return "Pro"
	}
	return "Free"
}
