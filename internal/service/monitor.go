package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/store"
)

// MonitorInput is a monitor as a client writes it. Nil fields are absent:
// on create they take defaults, on update they stay. Durations are
// Go-style strings ("10m", "1h30m", "90s").
type MonitorInput struct {
	ProjectID         *prikke.ID
	Name, Slug        *string
	Description       *string
	Period            *string // exactly one of Period and Cron (giving one on update replaces the schedule)
	Cron              *string
	TimeZone          *string
	Grace             *string
	MaxRuntime        *string // "" clears
	MinRuntime        *string // "" clears
	FailThreshold     *int
	RecoveryThreshold *int
	RealertEvery      *string // "" or "0" turns it off
	ManualResume      *bool
	Notify            *string // project | muted | custom
	ChannelIDs        *[]prikke.ID
	WindowCron        *string // "" clears the window
	WindowTimeZone    *string
	WindowDuration    *string
}

// MonitorFilter selects monitors for a listing; the organization is the
// actor's (or the project's, when one is named).
type MonitorFilter struct {
	ProjectID *prikke.ID
	Status    string // one of the statuses, late included; "" for all
	Search    string
	Limit     int // 0 means 100; at most 1000
	// After is a cursor: monitors created after this one. AfterCreatedAt,
	// when given, saves looking it up.
	After          *prikke.ID
	AfterCreatedAt time.Time
}

// PingFilter selects a monitor's pings, newest first.
type PingFilter struct {
	Kinds []prikke.PingKind
	// Before is a cursor: pings older than this one. BeforeCreatedAt,
	// when given, saves looking it up.
	Before          *prikke.ID
	BeforeCreatedAt time.Time
	Limit           int // 0 means 100; at most 1000
}

// pageSize is a listing's size: 0 means 100; at most 1000.
func pageSize(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 1000)
}

// maxSnooze bounds how far ahead a snooze may end.
const maxSnooze = 365 * 24 * time.Hour

// durationMessage is the fix for a duration that does not parse.
const durationMessage = "must be a duration such as 10m or 1h30m"

// applyMonitor merges in into m and validates the result (monitor.Validate
// sets the defaults it owns). create says whether m is new.
func applyMonitor(m *prikke.Monitor, in *MonitorInput, create bool) error {
	var v prikke.Validation
	if create {
		m.Period, m.Grace, m.NotifyMode, m.Status = prikke.DefaultMonitorPeriod, prikke.DefaultMonitorGrace, prikke.NotifyProject, prikke.MonitorNew
	}
	setString(&m.Slug, in.Slug)
	setString(&m.Name, in.Name)
	if create && in.Name == nil {
		m.Name = m.Slug
	}
	setString(&m.Description, in.Description)
	switch {
	case in.Period != nil && in.Cron != nil:
		v.Add("period", "give either period or cron, not both")
	case in.Period != nil:
		if d, ok := parseDuration(&v, "period", *in.Period); ok {
			m.Period, m.Cron = d, ""
		}
	case in.Cron != nil:
		m.Cron, m.Period = strings.TrimSpace(*in.Cron), 0
		if m.Cron == "" {
			v.Add("cron", "is empty: give a cron expression such as \"0 3 * * *\", or a period instead")
		}
	}
	setString(&m.TimeZone, in.TimeZone)
	if m.Cron != "" && m.TimeZone == "" {
		m.TimeZone = "UTC"
	}
	setDuration(&v, "grace", &m.Grace, in.Grace, false)
	setDuration(&v, "max_runtime", &m.MaxRuntime, in.MaxRuntime, true)
	setDuration(&v, "min_runtime", &m.MinRuntime, in.MinRuntime, true)
	if in.RealertEvery != nil && *in.RealertEvery == "0" {
		m.RealertEvery = 0
	} else {
		setDuration(&v, "realert_every", &m.RealertEvery, in.RealertEvery, true)
	}
	setThreshold(&v, "fail_threshold", &m.FailThreshold, in.FailThreshold)
	setThreshold(&v, "recovery_threshold", &m.RecoveryThreshold, in.RecoveryThreshold)
	if in.ManualResume != nil {
		m.ManualResume = *in.ManualResume
	}
	if in.Notify != nil {
		m.NotifyMode = prikke.NotifyMode(*in.Notify)
		switch m.NotifyMode {
		case prikke.NotifyProject, prikke.NotifyMuted, prikke.NotifyCustom:
		default:
			v.Add("notify", `must be "project", "muted" or "custom"`)
		}
	}
	if in.ChannelIDs != nil {
		m.ChannelIDs = *in.ChannelIDs
	}
	applyWindow(&v, &m.Window, in)
	if err := monitor.Validate(m); err != nil {
		if prikke.ErrorCode(err) != prikke.EINVALID {
			return err
		}
		for _, f := range prikke.ErrorFields(err) {
			if !v.Has(f.Field) {
				v.Add(f.Field, "%s", f.Message)
			}
		}
	}
	return v.Err()
}

// applyWindow merges the window fields of in into w.
func applyWindow(v *prikke.Validation, w *prikke.Window, in *MonitorInput) {
	if in.WindowCron != nil {
		w.Cron = strings.TrimSpace(*in.WindowCron)
		if w.Cron == "" {
			*w = prikke.Window{}
			return
		}
	}
	setString(&w.TimeZone, in.WindowTimeZone)
	setDuration(v, "window.duration", &w.Duration, in.WindowDuration, true)
	if w.Cron == "" && (in.WindowTimeZone != nil || (in.WindowDuration != nil && *in.WindowDuration != "")) {
		v.Add("window.cron", "is required for a maintenance window: give the cron expression that opens it, such as \"0 2 * * 0\"")
		return
	}
	if w.Cron != "" && w.TimeZone == "" {
		w.TimeZone = "UTC"
	}
	if w.Cron != "" && w.Duration == 0 && !v.Has("window.duration") {
		v.Add("window.duration", "is required with window.cron: how long the window stays open, such as 30m or 2h")
	}
}

// setThreshold sets a threshold when given (monitor.Validate would take
// 0 for the default 1, so a 0 given is refused here).
func setThreshold(v *prikke.Validation, field string, dst, src *int) {
	if src == nil {
		return
	}
	if *src < 1 || *src > prikke.MaxAlertThreshold {
		v.Add(field, "must be between 1 and %d", prikke.MaxAlertThreshold)
	}
	*dst = *src
}

func setString(dst, src *string) {
	if src != nil {
		*dst = *src
	}
}

// setDuration parses src into dst when given; "" clears it when
// clearable.
func setDuration(v *prikke.Validation, field string, dst *time.Duration, src *string, clearable bool) {
	switch {
	case src == nil:
	case *src == "" && clearable:
		*dst = 0
	default:
		if d, ok := parseDuration(v, field, *src); ok {
			*dst = d
		}
	}
}

// parseDuration parses a Go-style duration ("10m", "1h30m").
func parseDuration(v *prikke.Validation, field, s string) (time.Duration, bool) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		v.Add(field, "%s", durationMessage)
		return 0, false
	}
	return d, true
}

// FormatDuration writes d as the API and the dashboard show it, the way
// it is written back: "10m", "1h30m", "90s" → "1m30s", "24h".
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// newBadgeToken returns 22 random URL-safe characters (128 bits).
func newBadgeToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// monitor loads a monitor the actor may act on with perm; another
// tenant's (or another project's, for a project key) is ENOTFOUND.
func (s *Service) monitor(ctx context.Context, a *Actor, id prikke.ID, perm prikke.Permission, what string) (*prikke.Monitor, error) {
	m, err := s.store.MonitorGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil && *a.APIKey.ProjectID != m.ProjectID {
		return nil, notFound()
	}
	if _, err := s.can(ctx, a, m.OrganizationID, perm, what); err != nil {
		return nil, err
	}
	return m, nil
}

// checkMonitorChannels checks that a custom channel list names channels
// of the monitor's project.
func (s *Service) checkMonitorChannels(ctx context.Context, m *prikke.Monitor) error {
	if m.NotifyMode != prikke.NotifyCustom {
		m.ChannelIDs = nil
		return nil
	}
	for i, id := range m.ChannelIDs {
		c, err := s.store.ChannelGet(ctx, id)
		if err != nil || c.ProjectID != m.ProjectID {
			return prikke.InvalidField(fmt.Sprintf("channel_ids[%d]", i), "is not a channel of this monitor's project")
		}
	}
	return nil
}

// slugTaken turns the store's ECONFLICT on a monitor's slug into the
// error naming the field.
func slugTaken(err error, slug string) error {
	if !isCode(err, prikke.ECONFLICT) {
		return err
	}
	return &prikke.Error{Code: prikke.ECONFLICT, Message: fmt.Sprintf("A monitor with the slug %q already exists in this project.", slug),
		Fields: []prikke.FieldError{{Field: "slug", Message: "is taken by another monitor of this project; choose another slug"}}}
}

// CreateMonitor creates a monitor in the input's project (or the actor's
// default project), within the tier's job limit.
func (s *Service) CreateMonitor(ctx context.Context, a *Actor, in *MonitorInput) (*prikke.Monitor, error) {
	p, err := s.targetProject(ctx, a, in.ProjectID, "create jobs")
	if err != nil {
		return nil, err
	}
	return s.createMonitor(ctx, a, p, in)
}

func (s *Service) createMonitor(ctx context.Context, a *Actor, p *prikke.Project, in *MonitorInput) (*prikke.Monitor, error) {
	o, err := s.organization(ctx, p.OrganizationID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	m := &prikke.Monitor{ID: prikke.NewID(), ProjectID: p.ID, OrganizationID: o.ID, Tier: o.Tier, ProjectSnoozeUntil: p.SnoozeUntil,
		PingToken: uuid.NewString(), BadgeToken: newBadgeToken(), CreatedAt: now, UpdatedAt: now}
	if err := applyMonitor(m, in, true); err != nil {
		return nil, err
	}
	if err := s.checkMonitorChannels(ctx, m); err != nil {
		return nil, err
	}
	if err := s.store.MonitorCreateWithin(ctx, m, o.Tier.Limits().MaxJobs); err != nil {
		return nil, slugTaken(limitError(err, o.Tier), m.Slug)
	}
	s.record(ctx, a, &o.ID, prikke.AuditMonitorCreate, "monitor", m.ID.String(), m.Name)
	return s.store.MonitorGet(ctx, m.ID)
}

// Monitor returns one monitor.
func (s *Service) Monitor(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Monitor, error) {
	return s.monitor(ctx, a, id, prikke.PermRead, "see this monitor")
}

// Monitors lists monitors the actor may see, oldest first. A status
// filter is on the status shown at the time (late included).
func (s *Service) Monitors(ctx context.Context, a *Actor, f MonitorFilter) ([]*prikke.Monitor, error) {
	if err := ValidateSearch("search", f.Search); err != nil {
		return nil, err
	}
	want := prikke.MonitorStatus(f.Status)
	sf := store.MonitorFilter{Search: f.Search, Limit: f.Limit}
	switch want {
	case "":
	case prikke.MonitorLate, prikke.MonitorUp, prikke.MonitorRunning:
		// Late is derived from up and running; those shown late are not
		// shown up or running.
		sf.Statuses = []prikke.MonitorStatus{prikke.MonitorUp, prikke.MonitorRunning}
	case prikke.MonitorNew, prikke.MonitorDown, prikke.MonitorPaused:
		sf.Statuses = []prikke.MonitorStatus{want}
	default:
		return nil, prikke.InvalidField("status", "must be one of new, up, late, running, down, paused")
	}
	sf.Limit = pageSize(sf.Limit)
	switch {
	case f.ProjectID != nil:
		p, err := s.project(ctx, a, *f.ProjectID, prikke.PermRead, "see monitors")
		if err != nil {
			return nil, err
		}
		sf.ProjectID = &p.ID
	case a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil:
		sf.ProjectID = a.APIKey.ProjectID
	default:
		o, err := s.DefaultOrganization(ctx, a)
		if err != nil {
			return nil, err
		}
		if _, err := s.can(ctx, a, o.ID, prikke.PermRead, "see monitors"); err != nil {
			return nil, err
		}
		sf.OrganizationID = &o.ID
	}
	if f.After != nil {
		sf.AfterID, sf.AfterCreatedAt = *f.After, f.AfterCreatedAt
		if sf.AfterCreatedAt.IsZero() {
			m, err := s.store.MonitorGet(ctx, *f.After)
			if err != nil {
				return nil, prikke.InvalidField("after", "is not a monitor of this listing")
			}
			sf.AfterCreatedAt = m.CreatedAt
		}
	}
	if want == "" || len(sf.Statuses) == 1 && want != prikke.MonitorUp && want != prikke.MonitorRunning {
		return s.store.MonitorList(ctx, sf)
	}
	// Filter on the status shown now, reading on until the page is full.
	now := s.now()
	var out []*prikke.Monitor
	for {
		ms, err := s.store.MonitorList(ctx, sf)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.StatusAt(now) == want && len(out) < sf.Limit {
				out = append(out, m)
			}
		}
		if len(ms) < sf.Limit || len(out) == sf.Limit {
			return out, nil
		}
		last := ms[len(ms)-1]
		sf.AfterCreatedAt, sf.AfterID = last.CreatedAt, last.ID
	}
}

// UpdateMonitor changes a monitor's configuration. An input that changes
// nothing writes nothing.
func (s *Service) UpdateMonitor(ctx context.Context, a *Actor, id prikke.ID, in *MonitorInput) (*prikke.Monitor, error) {
	m, err := s.monitor(ctx, a, id, prikke.PermManageJobs, "change monitors")
	if err != nil {
		return nil, err
	}
	return s.updateMonitor(ctx, a, m, in)
}

func (s *Service) updateMonitor(ctx context.Context, a *Actor, m *prikke.Monitor, in *MonitorInput) (*prikke.Monitor, error) {
	if in.ProjectID != nil && *in.ProjectID != m.ProjectID {
		return nil, prikke.InvalidField("project_id", "cannot be changed; create the monitor in the other project instead")
	}
	// Validate on a copy first (channel checks read the store), then
	// apply again inside the locked step.
	c := copyMonitor(m)
	if err := applyMonitor(c, in, false); err != nil {
		return nil, err
	}
	if err := s.checkMonitorChannels(ctx, c); err != nil {
		return nil, err
	}
	if sameConfig(m, c) {
		return m, nil
	}
	now := s.now()
	out, err := s.store.MonitorModify(ctx, m.ID, func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		if err := applyMonitor(m, in, false); err != nil {
			return nil, err
		}
		if m.NotifyMode != prikke.NotifyCustom {
			m.ChannelIDs = nil
		}
		return monitor.Reconfigure(m, now), nil
	})
	if err != nil {
		return nil, slugTaken(err, c.Slug)
	}
	s.record(ctx, a, &out.OrganizationID, prikke.AuditMonitorUpdate, "monitor", out.ID.String(), out.Name)
	return out, nil
}

// copyMonitor copies m deeply enough for applyMonitor.
func copyMonitor(m *prikke.Monitor) *prikke.Monitor {
	c := *m
	c.ChannelIDs = slices.Clone(m.ChannelIDs)
	return &c
}

// sameConfig reports whether a and b are configured alike (the state is
// not compared).
func sameConfig(a, b *prikke.Monitor) bool {
	return a.Name == b.Name && a.Slug == b.Slug && a.Description == b.Description && a.Period == b.Period &&
		a.Cron == b.Cron && a.TimeZone == b.TimeZone && a.Grace == b.Grace && a.MaxRuntime == b.MaxRuntime &&
		a.MinRuntime == b.MinRuntime && a.FailThreshold == b.FailThreshold && a.RecoveryThreshold == b.RecoveryThreshold &&
		a.RealertEvery == b.RealertEvery && a.Window == b.Window && a.ManualResume == b.ManualResume &&
		a.NotifyMode == b.NotifyMode && slices.Equal(a.ChannelIDs, b.ChannelIDs)
}

// PutMonitorBySlug creates the project's monitor with this slug, or
// updates it with the fields given (idempotent: the same input twice
// changes nothing the second time); created reports which.
func (s *Service) PutMonitorBySlug(ctx context.Context, a *Actor, projectID prikke.ID, slug string, in *MonitorInput) (*prikke.Monitor, bool, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermManageJobs, "change monitors")
	if err != nil {
		return nil, false, err
	}
	if in.ProjectID != nil && *in.ProjectID != p.ID {
		return nil, false, prikke.InvalidField("project_id", "must be the project in the path (or absent)")
	}
	if in.Slug != nil && *in.Slug != slug {
		return nil, false, prikke.InvalidField("slug", "must be the slug in the path (or absent); to rename a monitor, PATCH it")
	}
	cp := *in
	cp.ProjectID, cp.Slug = &p.ID, &slug
	for range 2 {
		m, err := s.store.MonitorGetBySlug(ctx, p.ID, slug)
		switch {
		case err == nil:
			m, err = s.updateMonitor(ctx, a, m, &cp)
			return m, false, err
		case !isCode(err, prikke.ENOTFOUND):
			return nil, false, err
		}
		m, err = s.createMonitor(ctx, a, p, &cp)
		if !isCode(err, prikke.ECONFLICT) {
			return m, err == nil, err
		}
		// Created meanwhile by another request: update that one.
	}
	return nil, false, prikke.Errorf(prikke.ECONFLICT, "The monitor changed while it was being saved; try again.")
}

// DeleteMonitor deletes a monitor with its pings and flips.
func (s *Service) DeleteMonitor(ctx context.Context, a *Actor, id prikke.ID) error {
	m, err := s.monitor(ctx, a, id, prikke.PermManageJobs, "delete monitors")
	if err != nil {
		return err
	}
	if err := s.store.MonitorDelete(ctx, id); err != nil {
		return err
	}
	s.record(ctx, a, &m.OrganizationID, prikke.AuditMonitorDelete, "monitor", m.ID.String(), m.Name)
	return nil
}

// stepMonitor moves a monitor the actor may change by one step of the
// state machine, and audits it.
func (s *Service) stepMonitor(ctx context.Context, a *Actor, id prikke.ID, what, detail string, step func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip) (*prikke.Monitor, error) {
	if _, err := s.monitor(ctx, a, id, prikke.PermManageJobs, what); err != nil {
		return nil, err
	}
	now := s.now()
	m, err := s.store.MonitorModify(ctx, id, func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		return step(m, now), nil
	})
	if err != nil {
		return nil, err
	}
	s.record(ctx, a, &m.OrganizationID, prikke.AuditMonitorUpdate, "monitor", m.ID.String(), m.Name+": "+detail)
	return m, nil
}

// PauseMonitor stops watching a monitor: pings are still recorded, no
// deadline runs and nothing alerts. A monitor paused for the plan is the
// user's pause from now on (an upgrade leaves it paused).
func (s *Service) PauseMonitor(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Monitor, error) {
	return s.stepMonitor(ctx, a, id, "pause monitors", "paused", func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
		m.PauseReason = ""
		return monitor.Pause(m, now)
	})
}

// ResumeMonitor watches a paused (or manually resumed, down) monitor
// again, as new: the next ping starts its schedule. A paused monitor
// resumes only within the tier's limit of running jobs and monitors.
func (s *Service) ResumeMonitor(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Monitor, error) {
	m, err := s.monitor(ctx, a, id, prikke.PermManageJobs, "resume monitors")
	if err != nil {
		return nil, err
	}
	if m.Status == prikke.MonitorPaused || s.BillingEnabled() {
		o, changed, err := s.syncedOrganization(ctx, m.OrganizationID)
		if err != nil {
			return nil, err
		}
		if changed {
			// The plan change may have paused this monitor.
			if m, err = s.store.MonitorGet(ctx, id); err != nil {
				return nil, err
			}
		}
		if m.Status == prikke.MonitorPaused {
			if err := s.activeLimit(ctx, o); err != nil {
				return nil, err
			}
		}
	}
	paused, reason := m.Status == prikke.MonitorPaused, m.PauseReason
	out, err := s.stepMonitor(ctx, a, id, "resume monitors", "resumed", func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
		m.PauseReason = ""
		return monitor.Resume(m, now)
	})
	if err != nil || !paused {
		return out, err
	}
	o, err := s.store.OrganizationGet(ctx, out.OrganizationID)
	if err != nil {
		return nil, err
	}
	if lerr := s.resumedWithin(ctx, o); lerr != nil {
		// A concurrent resume took the last place: pause it again as it was.
		now := s.now()
		if _, err := s.store.MonitorModify(ctx, id, func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
			m.PauseReason = reason
			return monitor.Pause(m, now), nil
		}); err != nil {
			return nil, err
		}
		s.record(ctx, a, &out.OrganizationID, prikke.AuditMonitorUpdate, "monitor", out.ID.String(), out.Name+": paused again (over the plan's limit)")
		return nil, lerr
	}
	return out, nil
}

// checkSnooze checks a snooze's end: in the future, at most a year ahead.
func (s *Service) checkSnooze(until *time.Time) error {
	if until == nil {
		return nil
	}
	now := s.now()
	switch {
	case !until.After(now):
		return prikke.InvalidField("until", "must be in the future; send null to end the snooze")
	case until.Sub(now) > maxSnooze:
		return prikke.InvalidField("until", "must be at most 365 days ahead")
	}
	return nil
}

// SnoozeMonitor mutes a monitor's alerts until an instant (nil ends the
// snooze). Pings are still recorded; at the end, a monitor still down
// alerts.
func (s *Service) SnoozeMonitor(ctx context.Context, a *Actor, id prikke.ID, until *time.Time) (*prikke.Monitor, error) {
	if err := s.checkSnooze(until); err != nil {
		return nil, err
	}
	detail := "unsnoozed"
	if until != nil {
		u := until.UTC()
		until, detail = &u, "snoozed until "+u.Format(time.RFC3339)
	}
	return s.stepMonitor(ctx, a, id, "snooze monitors", detail, func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
		return monitor.Snooze(m, until, now)
	})
}

// SnoozeProject mutes the alerts of a project's jobs and monitors until
// an instant (nil ends the snooze), and moves its monitors' deadlines to
// match.
func (s *Service) SnoozeProject(ctx context.Context, a *Actor, projectID prikke.ID, until *time.Time) (*prikke.Project, error) {
	if err := s.checkSnooze(until); err != nil {
		return nil, err
	}
	p, err := s.project(ctx, a, projectID, prikke.PermManageJobs, "snooze projects")
	if err != nil {
		return nil, err
	}
	detail := "unsnoozed"
	if until != nil {
		u := until.UTC()
		until, detail = &u, "snoozed until "+u.Format(time.RFC3339)
	}
	p.SnoozeUntil, p.UpdatedAt = until, s.now()
	if err := s.store.ProjectSetSnooze(ctx, p.ID, p.SnoozeUntil, p.UpdatedAt); err != nil {
		return nil, err
	}
	s.record(ctx, a, &p.OrganizationID, prikke.AuditProjectUpdate, "project", p.ID.String(), detail)
	if err := s.remuteMonitors(ctx, p.ID); err != nil {
		return nil, err
	}
	return p, nil
}

// remuteMonitors recomputes the deadlines of a project's monitors after
// its snooze changed (the end of a mute is one of them).
func (s *Service) remuteMonitors(ctx context.Context, projectID prikke.ID) error {
	f := store.MonitorFilter{ProjectID: &projectID, Limit: 100}
	for {
		ms, err := s.store.MonitorList(ctx, f)
		if err != nil {
			return err
		}
		for _, m := range ms {
			now := s.now()
			_, err := s.store.MonitorModify(ctx, m.ID, func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
				return monitor.Snooze(m, m.SnoozeUntil, now), nil
			})
			if err != nil && !isCode(err, prikke.ENOTFOUND) {
				return err
			}
		}
		if len(ms) < f.Limit {
			return nil
		}
		f.AfterCreatedAt, f.AfterID = ms[len(ms)-1].CreatedAt, ms[len(ms)-1].ID
	}
}

// MonitorPings lists a monitor's pings, newest first, without bodies.
func (s *Service) MonitorPings(ctx context.Context, a *Actor, id prikke.ID, f PingFilter) ([]*prikke.Ping, error) {
	m, err := s.monitor(ctx, a, id, prikke.PermRead, "see pings")
	if err != nil {
		return nil, err
	}
	for _, k := range f.Kinds {
		switch k {
		case prikke.PingStart, prikke.PingSuccess, prikke.PingFail, prikke.PingLog:
		default:
			return nil, prikke.InvalidField("kind", "has %q; kinds are start, success, fail and log", k)
		}
	}
	sf := store.PingFilter{MonitorID: m.ID, Kinds: f.Kinds, Limit: f.Limit}
	sf.Limit = pageSize(sf.Limit)
	if f.Before != nil {
		sf.BeforeID, sf.BeforeCreatedAt = *f.Before, f.BeforeCreatedAt
		if sf.BeforeCreatedAt.IsZero() {
			p, err := s.store.PingGet(ctx, m.ID, *f.Before)
			if err != nil {
				return nil, prikke.InvalidField("before", "is not a ping of this monitor")
			}
			sf.BeforeCreatedAt = p.CreatedAt
		}
	}
	return s.store.PingList(ctx, sf)
}

// MonitorPing returns one ping of a monitor, with its body.
func (s *Service) MonitorPing(ctx context.Context, a *Actor, monitorID, pingID prikke.ID) (*prikke.Ping, error) {
	m, err := s.monitor(ctx, a, monitorID, prikke.PermRead, "see pings")
	if err != nil {
		return nil, err
	}
	return s.store.PingGet(ctx, m.ID, pingID)
}

// MonitorFlips lists a monitor's status changes, newest first.
func (s *Service) MonitorFlips(ctx context.Context, a *Actor, id prikke.ID, limit int) ([]*prikke.MonitorFlip, error) {
	m, err := s.monitor(ctx, a, id, prikke.PermRead, "see this monitor")
	if err != nil {
		return nil, err
	}
	return s.store.MonitorFlipList(ctx, m.ID, pageSize(limit))
}

// SubscribeMonitorPings returns a monitor the actor may see and a
// subscription to store.TopicPings, whose events name the pings recorded
// (of every monitor: filter by the monitor's id). Load each through
// MonitorPing, which checks it again. The caller closes the subscription.
func (s *Service) SubscribeMonitorPings(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Monitor, *store.Subscription, error) {
	m, err := s.Monitor(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	return m, s.store.Subscribe(store.TopicPings), nil
}

// CreateMonitorByPingKey is the ping API's ?create=1: there is no actor,
// the project's ping key is the credential. The monitor takes the
// defaults (period 1 day, grace 1 hour) and its slug as its name, within
// the tier's job limit. created is false when it already existed.
func (s *Service) CreateMonitorByPingKey(ctx context.Context, pingKey, slug string) (*prikke.Monitor, bool, error) {
	p, err := s.store.ProjectGetByPingKey(ctx, pingKey)
	if err != nil {
		return nil, false, err
	}
	for range 2 {
		m, err := s.store.MonitorGetBySlug(ctx, p.ID, slug)
		if !isCode(err, prikke.ENOTFOUND) {
			return m, false, err
		}
		m, err = s.createMonitor(ctx, nil, p, &MonitorInput{Slug: &slug})
		if !isCode(err, prikke.ECONFLICT) {
			return m, err == nil, err
		}
	}
	return nil, false, prikke.Errorf(prikke.ECONFLICT, "The monitor changed while it was being created; try again.")
}

// MonitorByBadgeToken is the public badge's lookup: no actor, the token
// is the credential.
func (s *Service) MonitorByBadgeToken(ctx context.Context, token string) (*prikke.Monitor, error) {
	if token == "" {
		return nil, notFound()
	}
	return s.store.MonitorGetByBadgeToken(ctx, token)
}

// PingURL is the monitor's ping URL, <base>/ping/<token>.
func (s *Service) PingURL(m *prikke.Monitor) string { return s.url("/ping/" + m.PingToken) }

// SlugPingURL is the monitor's slug ping URL, <base>/ping/<ping
// key>/<slug>; "" when the project has no ping key.
func (s *Service) SlugPingURL(p *prikke.Project, m *prikke.Monitor) string {
	if p == nil || p.PingKey == "" {
		return ""
	}
	return s.url("/ping/" + p.PingKey + "/" + m.Slug)
}

// BadgeURL is the monitor's public SVG badge, <base>/badge/<token>.svg.
func (s *Service) BadgeURL(m *prikke.Monitor) string { return s.url("/badge/" + m.BadgeToken + ".svg") }
