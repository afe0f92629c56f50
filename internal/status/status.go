// Package status derives Prikke's own health from live signals — the
// scheduler's heartbeat, how late deliveries start, the backlog of due
// work, the share of attempts that got no answer, whether the database
// answers — never from hand-set flags. It serves /status and /status.json
// with that state, 90 days of uptime bars and the incidents operators post
// with `prikke incident`. It also computes customer status pages: chosen
// jobs under display names, with their current state and uptime bars, and
// nothing private.
package status

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// Thresholds of the live signals.
const (
	// The scheduler's heartbeat is written every few seconds by the leader.
	SchedulerDegradedAfter = 30 * time.Second
	SchedulerOutageAfter   = 2 * time.Minute
	// A node's delivery statistics are reported every ReportEvery.
	ReportEvery = 15 * time.Second
	nodeStale   = 2 * time.Minute
	// Deliveries starting this late (p99) degrade delivery.
	LatenessDegraded = 30 * time.Second
	// Due work waiting this long means delivery is degraded.
	BacklogDegraded = time.Minute
	BacklogOutage   = 10 * time.Minute
	// Attempts with no HTTP answer at all, over this share (with enough
	// attempts to judge), degrade delivery.
	NoReplyDegraded = 0.5
	minAttempts     = 20
	// Days of uptime bars.
	Days = 90
)

// Component is one part of Prikke, or one job on a customer page.
type Component struct {
	Name   string                 `json:"name"`
	Status prikke.ComponentStatus `json:"status"`
	Detail string                 `json:"detail,omitempty"`
	Days   []Day                  `json:"days,omitempty"`
	Uptime float64                `json:"uptime_percent"`
}

// Day is one bar: the share of the day's measured time (of a job's runs)
// that was fine. Planned maintenance is shown, not counted.
type Day struct {
	Date        string                 `json:"date"`
	Status      prikke.ComponentStatus `json:"status,omitempty"` // empty: no data
	Uptime      float64                `json:"uptime_percent"`
	Checks      int                    `json:"checks"`
	Maintenance int                    `json:"maintenance_seconds,omitempty"`
}

// Report is the whole status page.
type Report struct {
	Status     prikke.ComponentStatus `json:"status"`
	Components []Component            `json:"components"`
	Incidents  []Incident             `json:"incidents"`
	UpdatedAt  time.Time              `json:"updated_at"`
}

// Incident is an operator's notice, as the page shows it.
type Incident struct {
	ID         string           `json:"id"`
	Title      string           `json:"title"`
	Status     string           `json:"status"`
	Components []string         `json:"components"`
	CreatedAt  time.Time        `json:"created_at"`
	ResolvedAt *time.Time       `json:"resolved_at,omitempty"`
	Updates    []IncidentUpdate `json:"updates"`
}

// IncidentUpdate is one message of an incident.
type IncidentUpdate struct {
	Status    string    `json:"status"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
}

// Checker evaluates the live signals.
type Checker struct {
	store store.Store
}

// NewChecker returns a checker over the store.
func NewChecker(s store.Store) *Checker { return &Checker{store: s} }

// NodeReport is what each node writes in its "node:<id>" heartbeat.
type NodeReport struct {
	Attempts      int     `json:"attempts"`
	NoReply       int     `json:"no_reply"`
	LatenessP99MS float64 `json:"lateness_p99_ms"`
	InFlight      int     `json:"in_flight"`
}

// Live evaluates the components now (database clock when now is zero),
// without history.
func (c *Checker) Live(ctx context.Context, now time.Time) []Component {
	comps := make([]Component, 0, len(prikke.Components))
	down := func(detail string) []Component {
		for _, n := range prikke.Components {
			comps = append(comps, Component{Name: n, Status: prikke.StatusOutage, Detail: detail})
		}
		return comps
	}
	if err := c.store.Ping(ctx); err != nil {
		return down("The database is not answering.")
	}
	if now.IsZero() {
		var err error
		if now, err = c.store.Now(ctx); err != nil {
			return down("The database is not answering.")
		}
	}
	ok := func(name string) Component { return Component{Name: name, Status: prikke.StatusOperational} }
	comps = append(comps, ok("api"), ok("dashboard"), c.scheduler(ctx, now), c.delivery(ctx, now))
	return comps
}

func (c *Checker) scheduler(ctx context.Context, now time.Time) Component {
	comp := Component{Name: "scheduler", Status: prikke.StatusOperational}
	at, _, err := c.store.HeartbeatGet(ctx, "scheduler")
	switch {
	case err != nil:
		// A new installation, in its first seconds.
		comp.Status, comp.Detail = prikke.StatusDegraded, "Starting: no scheduler has reported yet."
	case now.Sub(at) > SchedulerOutageAfter:
		comp.Status, comp.Detail = prikke.StatusOutage, fmt.Sprintf("The scheduler last reported %s ago.", roundAge(now.Sub(at)))
	case now.Sub(at) > SchedulerDegradedAfter:
		comp.Status, comp.Detail = prikke.StatusDegraded, fmt.Sprintf("The scheduler last reported %s ago.", roundAge(now.Sub(at)))
	}
	return comp
}

func (c *Checker) delivery(ctx context.Context, now time.Time) Component {
	comp := Component{Name: "delivery", Status: prikke.StatusOperational}
	worse := func(s prikke.ComponentStatus, detail string) {
		if rank(s) > rank(comp.Status) {
			comp.Status, comp.Detail = s, detail
		}
	}
	hs, err := c.store.HeartbeatList(ctx, "node:")
	if err != nil {
		worse(prikke.StatusOutage, "Delivery state is unavailable.")
		return comp
	}
	alive, attempts, noReply := 0, 0, 0
	p99 := 0.0
	for _, h := range hs {
		if now.Sub(h.At) > nodeStale {
			continue
		}
		alive++
		var r NodeReport
		if json.Unmarshal([]byte(h.Detail), &r) == nil {
			attempts += r.Attempts
			noReply += r.NoReply
			p99 = max(p99, r.LatenessP99MS)
		}
	}
	if next, ok, err := c.store.ExecutionNextDue(ctx); err == nil && ok {
		waiting := now.Sub(next)
		switch {
		case alive == 0 && waiting > 0:
			worse(prikke.StatusOutage, "No delivery node is running and work is due.")
		case waiting > BacklogOutage:
			worse(prikke.StatusOutage, fmt.Sprintf("Due deliveries have waited %s.", roundAge(waiting)))
		case waiting > BacklogDegraded:
			worse(prikke.StatusDegraded, fmt.Sprintf("Due deliveries have waited %s.", roundAge(waiting)))
		}
	}
	if p99 > float64(LatenessDegraded/time.Millisecond) {
		worse(prikke.StatusDegraded, fmt.Sprintf("Deliveries start late (p99 %.1f s).", p99/1000))
	}
	if attempts >= minAttempts && float64(noReply)/float64(attempts) > NoReplyDegraded {
		worse(prikke.StatusDegraded, fmt.Sprintf("%d of %d recent attempts got no answer.", noReply, attempts))
	}
	return comp
}

func rank(s prikke.ComponentStatus) int {
	switch s {
	case prikke.StatusOutage:
		return 2
	case prikke.StatusDegraded:
		return 1
	}
	return 0
}

// Overall is the worst status of the components.
func Overall(cs []Component) prikke.ComponentStatus {
	worst := prikke.StatusOperational
	for _, c := range cs {
		if rank(c.Status) > rank(worst) {
			worst = c.Status
		}
	}
	return worst
}

func roundAge(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// Report is the public page: live state, 90-day bars and incidents.
func (c *Checker) Report(ctx context.Context, now time.Time) *Report {
	comps := c.Live(ctx, now)
	if now.IsZero() {
		now = time.Now().UTC()
	}
	r := &Report{Components: comps, Incidents: []Incident{}, UpdatedAt: now.UTC()}
	first := now.UTC().AddDate(0, 0, -(Days - 1)).Format("2006-01-02")
	samples, err := c.store.StatusSampleList(ctx, first)
	if err == nil {
		byComp := map[string]map[string]*prikke.StatusSample{}
		for _, s := range samples {
			if byComp[s.Component] == nil {
				byComp[s.Component] = map[string]*prikke.StatusSample{}
			}
			byComp[s.Component][s.Day] = s
		}
		for i := range r.Components {
			r.Components[i].Days, r.Components[i].Uptime = bars(now, func(day string) dayCounts {
				if s := byComp[r.Components[i].Name][day]; s != nil {
					return dayCounts{checks: s.Checks, good: float64(s.OperationalSeconds), degraded: float64(s.DegradedSeconds),
						bad: float64(s.OutageSeconds), maintenance: s.MaintenanceSeconds}
				}
				return dayCounts{}
			})
		}
	}
	if incs, err := c.store.IncidentList(ctx, now.AddDate(0, 0, -Days)); err == nil {
		for _, inc := range incs {
			out := Incident{ID: inc.ID.String(), Title: inc.Title, Status: string(inc.Status), Components: inc.Components,
				CreatedAt: inc.CreatedAt, ResolvedAt: inc.ResolvedAt, Updates: []IncidentUpdate{}}
			if out.Components == nil {
				out.Components = []string{}
			}
			for _, u := range inc.Updates {
				out.Updates = append(out.Updates, IncidentUpdate{Status: string(u.Status), Message: u.Message, CreatedAt: u.CreatedAt})
			}
			r.Incidents = append(r.Incidents, out)
			// An open incident that names a component makes it at least degraded.
			if inc.ResolvedAt == nil {
				for i := range r.Components {
					if contains(inc.Components, r.Components[i].Name) && r.Components[i].Status == prikke.StatusOperational {
						r.Components[i].Status, r.Components[i].Detail = prikke.StatusDegraded, inc.Title
					}
				}
			}
		}
	}
	r.Status = Overall(r.Components)
	return r
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if strings.EqualFold(x, y) {
			return true
		}
	}
	return false
}

// dayCounts is one day of one component or job: its checks (or runs), and
// how much of it (seconds, or runs) was good, degraded or bad, and the
// seconds of planned maintenance.
type dayCounts struct {
	checks              int
	good, degraded, bad float64
	maintenance         int
}

// bars turns per-day counts into Days bars, oldest first, and the uptime
// over the days with data. Degraded time counts as half down;
// maintenance is left out.
func bars(now time.Time, counts func(day string) dayCounts) ([]Day, float64) {
	out := make([]Day, 0, Days)
	var total, good float64
	for i := Days - 1; i >= 0; i-- {
		day := now.UTC().AddDate(0, 0, -i).Format("2006-01-02")
		c := counts(day)
		d := Day{Date: day, Checks: c.checks, Maintenance: c.maintenance}
		if all := c.good + c.degraded + c.bad; all > 0 {
			ok := c.good + c.degraded/2
			d.Uptime = round2(100 * ok / all)
			total += all
			good += ok
			switch {
			case d.Uptime >= 99.9:
				d.Status = prikke.StatusOperational
			case d.Uptime >= 99:
				d.Status = prikke.StatusDegraded
			default:
				d.Status = prikke.StatusOutage
			}
		}
		out = append(out, d)
	}
	if total == 0 {
		return out, 100
	}
	return out, round2(100 * good / total)
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }
