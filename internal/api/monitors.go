package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// MonitorRequest is a monitor as clients send it. On create, absent
// fields take their defaults; on update (PATCH, and PUT by slug of an
// existing monitor), absent fields stay as they are. Durations are
// Go-style strings: "90s", "10m", "1h30m", "24h".
type MonitorRequest struct {
	ProjectID         *string        `json:"project_id,omitempty" doc:"Project to create the monitor in (default: the key's project, or the organization's first)."`
	Name              *string        `json:"name,omitempty" maxLength:"200" doc:"A name for people (default: the slug)." example:"nightly backup"`
	Slug              *string        `json:"slug,omitempty" maxLength:"100" doc:"Unique in the project: 1-100 lower-case letters, digits and dashes, not starting with a dash. The slug ping URL uses it." example:"nightly-backup"`
	Description       *string        `json:"description,omitempty" maxLength:"1000" doc:"Free text for people (max 1000 characters)."`
	Period            *string        `json:"period,omitempty" doc:"Expect a success ping this often, 1m to 365 days (default 24h). Give period or cron; giving one replaces the other." example:"10m"`
	Cron              *string        `json:"cron,omitempty" doc:"Expect a success ping at each time of this cron expression (5 fields, or @hourly, @daily …) in timezone." example:"0 3 * * *"`
	Timezone          *string        `json:"timezone,omitempty" doc:"IANA time zone of cron (default UTC)." example:"Europe/Oslo"`
	Grace             *string        `json:"grace,omitempty" doc:"How long after the expected time a missing ping is only late; then the monitor is down and alerts. 1m to 365 days (default 1h)." example:"15m"`
	MaxRuntime        *string        `json:"max_runtime,omitempty" doc:"A start ping without an end within this is a failure (ran too long). 1s to 365 days; \"\" removes it." example:"30m"`
	MinRuntime        *string        `json:"min_runtime,omitempty" doc:"A success sooner than this after its start is a failure (finished too soon). 1s to 365 days; \"\" removes it." example:"5s"`
	FailThreshold     *int           `json:"fail_threshold,omitempty" minimum:"1" maximum:"100" doc:"Alert after this many failures in a row (default 1)."`
	RecoveryThreshold *int           `json:"recovery_threshold,omitempty" minimum:"1" maximum:"100" doc:"Back up after this many successes in a row (default 1)."`
	RealertEvery      *string        `json:"realert_every,omitempty" doc:"Alert again this often while still down, at least 1m; \"\" or \"0\" turns it off (the default)." example:"6h"`
	ManualResume      *bool          `json:"manual_resume,omitempty" doc:"Once down, stay down until resumed by hand; pings are still recorded (default false)."`
	Notify            *string        `json:"notify,omitempty" enum:"project,muted,custom" doc:"Who hears about it: the project's channels (default), nobody, or channel_ids."`
	ChannelIDs        *[]string      `json:"channel_ids,omitempty" doc:"Channels for notify=custom."`
	Window            *MonitorWindow `json:"window,omitempty" doc:"A recurring maintenance window that mutes alerts; cron \"\" removes it."`
}

// MonitorWindow is a recurring maintenance window: it opens at each time
// of cron in timezone and stays open for duration.
type MonitorWindow struct {
	Cron     *string `json:"cron,omitempty" doc:"When the window opens, as a cron expression; \"\" removes the window." example:"0 2 * * 0"`
	Timezone *string `json:"timezone,omitempty" doc:"IANA time zone of cron (default UTC)." example:"Europe/Oslo"`
	Duration *string `json:"duration,omitempty" doc:"How long it stays open, 1m to 7 days." example:"2h"`
}

// input converts a request into the service's input.
func (r *MonitorRequest) input() (*service.MonitorInput, error) {
	in := &service.MonitorInput{Name: r.Name, Slug: r.Slug, Description: r.Description, Period: r.Period, Cron: r.Cron,
		TimeZone: r.Timezone, Grace: r.Grace, MaxRuntime: r.MaxRuntime, MinRuntime: r.MinRuntime, FailThreshold: r.FailThreshold,
		RecoveryThreshold: r.RecoveryThreshold, RealertEvery: r.RealertEvery, ManualResume: r.ManualResume, Notify: r.Notify}
	if w := r.Window; w != nil {
		in.WindowCron, in.WindowTimeZone, in.WindowDuration = w.Cron, w.Timezone, w.Duration
	}
	var v prikke.Validation
	if r.ProjectID != nil {
		id, err := prikke.ParseID(*r.ProjectID)
		if err != nil {
			v.Add("project_id", "is not a valid id")
		} else {
			in.ProjectID = &id
		}
	}
	if r.ChannelIDs != nil {
		ids := make([]prikke.ID, 0, len(*r.ChannelIDs))
		for i, s := range *r.ChannelIDs {
			id, err := prikke.ParseID(s)
			if err != nil {
				v.Add("channel_ids["+strconv.Itoa(i)+"]", "is not a valid id")
				continue
			}
			ids = append(ids, id)
		}
		in.ChannelIDs = &ids
	}
	return in, v.Err()
}

// Monitor is a monitor as the API returns it.
type Monitor struct {
	ID                string           `json:"id" doc:"The monitor's id."`
	ProjectID         string           `json:"project_id" doc:"The project the monitor belongs to."`
	Name              string           `json:"name" doc:"A name for people." example:"nightly backup"`
	Slug              string           `json:"slug" doc:"Unique in the project; the slug ping URL uses it." example:"nightly-backup"`
	Description       string           `json:"description" doc:"Free text for people."`
	Status            string           `json:"status" enum:"new,up,late,running,down,paused" doc:"new (never pinged), up, late (past due, inside the grace time), running (started, not ended), down (alerted) or paused." example:"up"`
	PauseReason       string           `json:"pause_reason,omitempty" enum:"plan," doc:"plan when a downgrade paused the monitor because the new plan does not allow it (an upgrade resumes it); absent when it runs or you paused it."`
	Period            string           `json:"period,omitempty" doc:"A success ping is expected this often; absent for a cron schedule." example:"10m"`
	Cron              string           `json:"cron,omitempty" doc:"A success ping is expected at each time of this cron expression; absent for a period." example:"0 3 * * *"`
	Timezone          string           `json:"timezone,omitempty" doc:"IANA time zone of cron." example:"Europe/Oslo"`
	Grace             string           `json:"grace" doc:"How long after the expected time a missing ping is only late." example:"1h"`
	MaxRuntime        string           `json:"max_runtime,omitempty" doc:"A run longer than this is a failure; absent when none." example:"30m"`
	MinRuntime        string           `json:"min_runtime,omitempty" doc:"A run shorter than this is a failure; absent when none." example:"5s"`
	FailThreshold     int              `json:"fail_threshold" doc:"Failures in a row before it alerts." example:"1"`
	RecoveryThreshold int              `json:"recovery_threshold" doc:"Successes in a row before it is up again." example:"1"`
	RealertEvery      string           `json:"realert_every,omitempty" doc:"How often it alerts again while still down; absent when off." example:"6h"`
	ManualResume      bool             `json:"manual_resume" doc:"Once down, it stays down until resumed by hand."`
	Notify            string           `json:"notify" doc:"Who hears about it: project (its channels), muted, or custom (channel_ids)." example:"project"`
	ChannelIDs        []string         `json:"channel_ids,omitempty" doc:"The channels alerted when notify is custom." example:"[]"`
	Window            *WindowOut       `json:"window,omitempty" doc:"The maintenance window that mutes its alerts; absent when none."`
	SnoozeUntil       *time.Time       `json:"snooze_until,omitempty" doc:"Alerts are muted until then; absent when not snoozed."`
	PingURL           string           `json:"ping_url" doc:"Ping this URL (with /start, /fail, /log or /<exit status> appended as needed); it is the monitor's only credential." example:"https://prikke.example/ping/0b9f3a52-7c1e-4d9a-9a57-2f4e8c1d6b0a"`
	SlugPingURL       string           `json:"slug_ping_url,omitempty" doc:"The same by the project's ping key and the slug."`
	BadgeURL          string           `json:"badge_url" doc:"A public SVG badge showing the status."`
	LastPingAt        *time.Time       `json:"last_ping_at,omitempty" doc:"When the last ping came; absent before the first."`
	LastPingKind      string           `json:"last_ping_kind,omitempty" enum:"start,success,fail,log," doc:"What the last ping said."`
	LastDuration      string           `json:"last_duration,omitempty" doc:"How long the last finished run took (from its start ping)." example:"1m12.4s"`
	DueAt             *time.Time       `json:"due_at,omitempty" doc:"When the next success ping is expected (late after it, down after it plus grace); absent while new or paused."`
	NextDeadline      *time.Time       `json:"next_deadline,omitempty" doc:"The next instant Prikke acts on the monitor without a ping (end of grace, a run's max runtime, a re-alert, the end of a mute)."`
	OpenRuns          []*MonitorRunOut `json:"open_runs" doc:"Runs started and not ended, oldest first."`
	CreatedAt         time.Time        `json:"created_at" doc:"When the monitor was created."`
	UpdatedAt         time.Time        `json:"updated_at" doc:"When the monitor last changed."`
}

// WindowOut is a maintenance window as the API returns it.
type WindowOut struct {
	Cron     string `json:"cron" doc:"When the window opens." example:"0 2 * * 0"`
	Timezone string `json:"timezone" doc:"IANA time zone of cron." example:"UTC"`
	Duration string `json:"duration" doc:"How long it stays open." example:"2h"`
}

// MonitorRunOut is a run that started and has not ended.
type MonitorRunOut struct {
	RID       string    `json:"rid,omitempty" doc:"The rid its start ping carried."`
	StartedAt time.Time `json:"started_at" doc:"When it started."`
}

// monitorOut renders m; p is its project (for the slug ping URL).
func (a *API) monitorOut(m *prikke.Monitor, p *prikke.Project) *Monitor {
	out := &Monitor{ID: m.ID.String(), ProjectID: m.ProjectID.String(), Name: m.Name, Slug: m.Slug, Description: m.Description,
		Status: string(m.StatusAt(a.svc.NowFunc())), Cron: m.Cron, Grace: durationOut(m.Grace), MaxRuntime: durationOut(m.MaxRuntime),
		MinRuntime: durationOut(m.MinRuntime), FailThreshold: m.FailThreshold, RecoveryThreshold: m.RecoveryThreshold,
		RealertEvery: durationOut(m.RealertEvery), ManualResume: m.ManualResume, Notify: string(m.NotifyMode),
		SnoozeUntil: m.SnoozeUntil, PingURL: a.svc.PingURL(m), SlugPingURL: a.svc.SlugPingURL(p, m), BadgeURL: a.svc.BadgeURL(m),
		LastPingAt: m.LastPingAt, LastPingKind: string(m.LastPingKind), PauseReason: m.PauseReason, DueAt: m.DueAt, NextDeadline: m.DeadlineAt,
		OpenRuns: []*MonitorRunOut{}, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if m.Cron != "" {
		out.Timezone = m.TimeZone
	} else {
		out.Period = durationOut(m.Period)
	}
	for _, c := range m.ChannelIDs {
		out.ChannelIDs = append(out.ChannelIDs, c.String())
	}
	if !m.Window.IsZero() {
		out.Window = &WindowOut{Cron: m.Window.Cron, Timezone: m.Window.TimeZone, Duration: durationOut(m.Window.Duration)}
	}
	if m.LastDuration != nil {
		out.LastDuration = service.FormatDuration(m.LastDuration.Round(time.Millisecond))
	}
	for _, r := range m.OpenRuns {
		out.OpenRuns = append(out.OpenRuns, &MonitorRunOut{RID: r.RID, StartedAt: r.StartedAt})
	}
	return out
}

// durationOut writes a duration as it is sent; "" for none.
func durationOut(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return service.FormatDuration(d)
}

// monitorsOut renders monitors, loading each project once.
func (a *API) monitorsOut(ctx context.Context, ms ...*prikke.Monitor) ([]*Monitor, error) {
	projects := map[prikke.ID]*prikke.Project{}
	out := make([]*Monitor, 0, len(ms))
	for _, m := range ms {
		p, ok := projects[m.ProjectID]
		if !ok {
			var err error
			if p, err = a.svc.Project(ctx, actorOf(ctx), m.ProjectID); err != nil {
				return nil, err
			}
			projects[m.ProjectID] = p
		}
		out = append(out, a.monitorOut(m, p))
	}
	return out, nil
}

func (a *API) monitorBody(ctx context.Context, m *prikke.Monitor) (*monitorBody, error) {
	out, err := a.monitorsOut(ctx, m)
	if err != nil {
		return nil, err
	}
	return &monitorBody{out[0]}, nil
}

type monitorBody struct{ Body *Monitor }

type monitorIDInput struct {
	MonitorID string `path:"monitor_id" doc:"The monitor's id."`
}

type monitorUpdateInput struct {
	MonitorID string `path:"monitor_id" doc:"The monitor's id."`
	bodyInput
}

type monitorPutInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
	Slug      string `path:"slug" doc:"The monitor's slug in the project."`
	bodyInput
}

type monitorPutOutput struct {
	Status int
	Body   *Monitor
}

type monitorListInput struct {
	ProjectID string `query:"project_id" doc:"Only this project's monitors."`
	Status    string `query:"status" enum:"new,up,late,running,down,paused," doc:"Only monitors with this status now."`
	Search    string `query:"search" maxLength:"200" doc:"Substring of the name or slug."`
	Limit     int    `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50; larger values are clamped to 100)."`
	Cursor    string `query:"cursor" doc:"next_cursor from the previous page."`
}

// MonitorPage is one page of monitors.
type MonitorPage struct {
	Monitors   []*Monitor `json:"monitors" doc:"The monitors, oldest first."`
	NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

// queryFields renames the service's field errors about names into query
// parameters ("before" → "query.before").
func queryFields(err error, names ...string) error { return renameFields(err, "query.", names...) }

// renameFields puts prefix before the service's field errors about names.
func renameFields(err error, prefix string, names ...string) error {
	var pe *prikke.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return err
	}
	out := *pe
	out.Fields = slices.Clone(pe.Fields)
	for i, f := range out.Fields {
		if slices.Contains(names, f.Field) {
			out.Fields[i].Field = prefix + f.Field
		}
	}
	return &out
}

func (a *API) handleMonitorCreate(ctx context.Context, in *bodyOnly) (*monitorBody, error) {
	var req MonitorRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	m, err := a.svc.CreateMonitor(ctx, actorOf(ctx), si)
	if err != nil {
		return nil, err
	}
	return a.monitorBody(ctx, m)
}

func (a *API) handleMonitorList(ctx context.Context, in *monitorListInput) (*struct{ Body *MonitorPage }, error) {
	c, err := parseCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	pid, err := optID("query.project_id", in.ProjectID)
	if err != nil {
		return nil, err
	}
	if err := service.ValidateSearch("query.search", in.Search); err != nil {
		return nil, err
	}
	n := limit(in.Limit)
	f := service.MonitorFilter{ProjectID: pid, Status: in.Status, Search: in.Search, Limit: n + 1}
	if in.Cursor != "" {
		f.After, f.AfterCreatedAt = &c.ID, c.At
	}
	ms, err := a.svc.Monitors(ctx, actorOf(ctx), f)
	if err != nil {
		return nil, queryFields(err, "status", "search")
	}
	page := &MonitorPage{}
	if len(ms) > n {
		page.NextCursor = cursor{At: ms[n-1].CreatedAt, ID: ms[n-1].ID}.String()
		ms = ms[:n]
	}
	if page.Monitors, err = a.monitorsOut(ctx, ms...); err != nil {
		return nil, err
	}
	return &struct{ Body *MonitorPage }{page}, nil
}

func (a *API) handleMonitorGet(ctx context.Context, in *monitorIDInput) (*monitorBody, error) {
	return a.monitorAction(ctx, in, a.svc.Monitor)
}

func (a *API) handleMonitorUpdate(ctx context.Context, in *monitorUpdateInput) (*monitorBody, error) {
	id, err := parseID(in.MonitorID)
	if err != nil {
		return nil, err
	}
	var req MonitorRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	m, err := a.svc.UpdateMonitor(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, err
	}
	return a.monitorBody(ctx, m)
}

func (a *API) handleMonitorPut(ctx context.Context, in *monitorPutInput) (*monitorPutOutput, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	var req MonitorRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	m, created, err := a.svc.PutMonitorBySlug(ctx, actorOf(ctx), pid, in.Slug, si)
	if err != nil && req.Slug == nil {
		return nil, renameFields(err, "path.", "slug") // the path's slug
	}
	if err != nil {
		return nil, err
	}
	b, err := a.monitorBody(ctx, m)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return &monitorPutOutput{Status: status, Body: b.Body}, nil
}

func (a *API) handleMonitorDelete(ctx context.Context, in *monitorIDInput) (*struct{}, error) {
	id, err := parseID(in.MonitorID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteMonitor(ctx, actorOf(ctx), id)
}

func (a *API) handleMonitorPause(ctx context.Context, in *monitorIDInput) (*monitorBody, error) {
	return a.monitorAction(ctx, in, a.svc.PauseMonitor)
}

func (a *API) handleMonitorResume(ctx context.Context, in *monitorIDInput) (*monitorBody, error) {
	return a.monitorAction(ctx, in, a.svc.ResumeMonitor)
}

func (a *API) monitorAction(ctx context.Context, in *monitorIDInput, fn func(context.Context, *service.Actor, prikke.ID) (*prikke.Monitor, error)) (*monitorBody, error) {
	id, err := parseID(in.MonitorID)
	if err != nil {
		return nil, err
	}
	m, err := fn(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return a.monitorBody(ctx, m)
}

// SnoozeRequest mutes alerts until an instant.
type SnoozeRequest struct {
	Until *string `json:"until" nullable:"true" doc:"RFC 3339 instant with an offset, in the future and at most 365 days ahead; null ends the snooze." example:"2026-12-24T18:00:00+01:00"`
}

// until parses the request's instant (nil: unsnooze).
func (r *SnoozeRequest) until() (*time.Time, error) {
	if r.Until == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *r.Until)
	if err != nil {
		return nil, prikke.InvalidField("until", "must be an RFC 3339 instant like 2026-05-01T10:00:00Z, or null to end the snooze")
	}
	return &t, nil
}

type monitorSnoozeInput struct {
	MonitorID string `path:"monitor_id" doc:"The monitor's id."`
	bodyInput
}

func (a *API) handleMonitorSnooze(ctx context.Context, in *monitorSnoozeInput) (*monitorBody, error) {
	id, err := parseID(in.MonitorID)
	if err != nil {
		return nil, err
	}
	var req SnoozeRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	until, err := req.until()
	if err != nil {
		return nil, err
	}
	m, err := a.svc.SnoozeMonitor(ctx, actorOf(ctx), id, until)
	if err != nil {
		return nil, err
	}
	return a.monitorBody(ctx, m)
}

// ProjectSnooze is a project's snooze.
type ProjectSnooze struct {
	ProjectID   string     `json:"project_id" doc:"The project's id."`
	SnoozeUntil *time.Time `json:"snooze_until,omitempty" doc:"Every alert of the project's jobs and monitors is muted until then; absent when not snoozed."`
}

type projectSnoozeInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
	bodyInput
}

func (a *API) handleProjectSnooze(ctx context.Context, in *projectSnoozeInput) (*struct{ Body *ProjectSnooze }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	var req SnoozeRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	until, err := req.until()
	if err != nil {
		return nil, err
	}
	p, err := a.svc.SnoozeProject(ctx, actorOf(ctx), id, until)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *ProjectSnooze }{&ProjectSnooze{ProjectID: p.ID.String(), SnoozeUntil: p.SnoozeUntil}}, nil
}

// Ping is one ping as the API returns it.
type Ping struct {
	ID            string    `json:"id" doc:"The ping's id."`
	MonitorID     string    `json:"monitor_id" doc:"The monitor pinged."`
	Kind          string    `json:"kind" enum:"start,success,fail,log" doc:"What it said: start, success, fail (including a non-zero exit status) or log."`
	ExitStatus    *int      `json:"exit_status,omitempty" doc:"The exit status in the URL (0-255), when it carried one." example:"0"`
	RID           string    `json:"rid,omitempty" doc:"The rid pairing a start with its end."`
	Duration      string    `json:"duration,omitempty" doc:"For an end paired with its start: how long the run took." example:"1m12.4s"`
	Method        string    `json:"method" doc:"The HTTP method of the ping." example:"POST"`
	SourceIP      string    `json:"source_ip" doc:"The address the ping came from." example:"203.0.113.7"`
	UserAgent     string    `json:"user_agent" doc:"The ping's User-Agent." example:"curl/8.5.0"`
	BodySize      int       `json:"body_size" doc:"The size of the body received, in bytes, before any cut." example:"42"`
	BodyTruncated bool      `json:"body_truncated" doc:"The body was longer than the tier keeps (10 KB on Free, 100 KB on Pro) and was cut."`
	Body          *string   `json:"body,omitempty" doc:"The body stored (GET of one ping only): as text when it is UTF-8, else base64 (body_encoding)."`
	BodyEncoding  string    `json:"body_encoding,omitempty" enum:"base64," doc:"base64 when the body is not UTF-8 text."`
	CreatedAt     time.Time `json:"created_at" doc:"When the ping came."`
}

func pingOut(p *prikke.Ping, full bool) *Ping {
	out := &Ping{ID: p.ID.String(), MonitorID: p.MonitorID.String(), Kind: string(p.Kind), ExitStatus: p.ExitStatus, RID: p.RID,
		Method: p.Method, SourceIP: p.SourceIP, UserAgent: p.UserAgent, BodySize: p.BodySize, BodyTruncated: p.BodyTruncated,
		CreatedAt: p.CreatedAt}
	if p.Duration != nil {
		out.Duration = service.FormatDuration(p.Duration.Round(time.Millisecond))
	}
	if full {
		body := string(p.Body)
		if !utf8.Valid(p.Body) || strings.ContainsRune(body, 0) {
			body, out.BodyEncoding = base64.StdEncoding.EncodeToString(p.Body), "base64"
		}
		out.Body = &body
	}
	return out
}

type pingListInput struct {
	MonitorID string   `path:"monitor_id" doc:"The monitor's id."`
	Kind      []string `query:"kind" explode:"false" doc:"Only these kinds (comma-separated): start, success, fail, log."`
	Limit     int      `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50)."`
	Before    string   `query:"before" doc:"Only pings older than this one (a ping id: next_before of the previous page)."`
}

// PingPage is one page of pings, newest first.
type PingPage struct {
	Pings      []*Ping `json:"pings" doc:"The pings, newest first, without bodies."`
	NextBefore string  `json:"next_before,omitempty" doc:"Pass as before for the next page; absent on the last page."`
}

func (a *API) handleMonitorPings(ctx context.Context, in *pingListInput) (*struct{ Body *PingPage }, error) {
	id, err := parseID(in.MonitorID)
	if err != nil {
		return nil, err
	}
	n := limit(in.Limit)
	f := service.PingFilter{Limit: n + 1}
	var v prikke.Validation
	for _, k := range in.Kind {
		switch kind := prikke.PingKind(k); kind {
		case prikke.PingStart, prikke.PingSuccess, prikke.PingFail, prikke.PingLog:
			f.Kinds = append(f.Kinds, kind)
		default:
			v.Add("query.kind", "%q is not a kind; use start, success, fail or log", k)
		}
	}
	if in.Before != "" {
		b, err := prikke.ParseID(in.Before)
		if err != nil {
			v.Add("query.before", "is not a ping id; pass next_before of the previous page")
		}
		f.Before = &b
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	ps, err := a.svc.MonitorPings(ctx, actorOf(ctx), id, f)
	if err != nil {
		return nil, queryFields(err, "kind", "before")
	}
	page := &PingPage{Pings: []*Ping{}}
	if len(ps) > n {
		page.NextBefore = ps[n-1].ID.String()
		ps = ps[:n]
	}
	for _, p := range ps {
		page.Pings = append(page.Pings, pingOut(p, false))
	}
	return &struct{ Body *PingPage }{page}, nil
}

type pingIDInput struct {
	MonitorID string `path:"monitor_id" doc:"The monitor's id."`
	PingID    string `path:"ping_id" doc:"The ping's id."`
}

func (a *API) handleMonitorPing(ctx context.Context, in *pingIDInput) (*struct{ Body *Ping }, error) {
	mid, err := parseID(in.MonitorID)
	if err != nil {
		return nil, err
	}
	pid, err := parseID(in.PingID)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.MonitorPing(ctx, actorOf(ctx), mid, pid)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Ping }{pingOut(p, true)}, nil
}

// Flip is a change of a monitor's status.
type Flip struct {
	ID          string     `json:"id" doc:"The flip's id."`
	Event       string     `json:"event" enum:"monitor.down,monitor.up,monitor.failed,monitor.too_long,monitor.realert" doc:"What happened: down (a ping is missing, or failures reached the threshold), up, failed (a run failed), too_long (a run outlived max_runtime) or realert (still down)."`
	From        string     `json:"from" doc:"The status before." example:"up"`
	To          string     `json:"to" doc:"The status after." example:"down"`
	Detail      string     `json:"detail" doc:"What was missing or how the run failed (exit status, the last lines of the body)."`
	PingID      string     `json:"ping_id,omitempty" doc:"The ping that caused it; absent for a deadline."`
	PrikkeDown  bool       `json:"prikke_down" doc:"The deadline passed while Prikke itself was not running: the ping may have been lost on Prikke's side."`
	Muted       bool       `json:"muted" doc:"Snoozed or in a maintenance window: recorded, not sent."`
	CreatedAt   time.Time  `json:"created_at" doc:"When it happened."`
	ProcessedAt *time.Time `json:"processed_at,omitempty" doc:"When the notifier was done with it (sent to every channel, or skipped when muted); absent until then."`
}

func flipOut(f *prikke.MonitorFlip) *Flip {
	out := &Flip{ID: f.ID.String(), Event: string(f.Event), From: string(f.From), To: string(f.To), Detail: f.Detail,
		PrikkeDown: f.PrikkeDown, Muted: f.Muted, CreatedAt: f.CreatedAt, ProcessedAt: f.ProcessedAt}
	if f.PingID != nil {
		out.PingID = f.PingID.String()
	}
	return out
}

type flipListInput struct {
	MonitorID string `path:"monitor_id" doc:"The monitor's id."`
	Limit     int    `query:"limit" minimum:"1" doc:"How many, 1-100 (default 50)."`
}

// FlipList is a monitor's latest flips.
type FlipList struct {
	Flips []*Flip `json:"flips" doc:"The flips, newest first."`
}

func (a *API) handleMonitorFlips(ctx context.Context, in *flipListInput) (*struct{ Body *FlipList }, error) {
	id, err := parseID(in.MonitorID)
	if err != nil {
		return nil, err
	}
	fs, err := a.svc.MonitorFlips(ctx, actorOf(ctx), id, limit(in.Limit))
	if err != nil {
		return nil, err
	}
	out := &FlipList{Flips: []*Flip{}}
	for _, f := range fs {
		out.Flips = append(out.Flips, flipOut(f))
	}
	return &struct{ Body *FlipList }{out}, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opMonitors = operation{ID: "monitors", Tag: "Monitors",
		Summary:     "List monitors",
		Description: "Oldest first, paged with next_cursor; status filters on the status shown now (late included)."}

	opMonitorCreate = operation{ID: "monitor-create", Tag: "Monitors", Status: http.StatusCreated, Body: MonitorRequest{},
		Summary:     "Create a monitor",
		Description: "A monitor expects pings from your own cron job: every period, or at each time of a cron expression in a time zone, within the grace time. It counts against the tier's job limit (jobs and monitors together)."}

	opMonitor = operation{ID: "monitor", Tag: "Monitors",
		Summary:     "Get a monitor",
		Description: "The monitor with its status, its ping URLs, its last ping and its next deadline."}

	opMonitorUpdate = operation{ID: "monitor-update", Tag: "Monitors", Body: MonitorRequest{},
		Summary:     "Change a monitor",
		Description: "Only the fields given change; the due time and deadlines are recomputed from the new configuration."}

	opMonitorPut = operation{ID: "monitor-put", Tag: "Monitors", Status: http.StatusCreated, Body: MonitorRequest{},
		Summary:     "Create or update a monitor by slug",
		Description: "For monitors as code: creates the project's monitor with this slug (201), or changes the fields given of the existing one (200). The same request twice changes nothing the second time.",
		Responses: func(a *API) map[string]*huma.Response {
			return map[string]*huma.Response{
				"201": {Description: "The monitor was created."},
				"200": {Description: "The monitor existed; the fields given were applied (none changed when they were already so).",
					Content: map[string]*huma.MediaType{"application/json": {Schema: a.schema(Monitor{})}}},
			}
		}}

	opMonitorDelete = operation{ID: "monitor-delete", Tag: "Monitors", Status: http.StatusNoContent,
		Summary:     "Delete a monitor with its pings",
		Description: "Deletes the monitor, its pings and its flips; its ping URLs answer 404 from then on. Pause it instead to keep its history."}

	opMonitorPause = operation{ID: "monitor-pause", Tag: "Monitors",
		Summary:     "Pause a monitor",
		Description: "Pings are still recorded, but nothing is late or alerts until it is resumed. A ping resumes it, unless manual_resume is set or the plan paused it (pause_reason plan: it stays paused until an upgrade or a resume within the plan's limit)."}

	opMonitorResume = operation{ID: "monitor-resume", Tag: "Monitors",
		Summary:     "Resume a monitor",
		Description: "Watches the monitor again, as new: its schedule starts at the next ping. Also the way back up for a monitor with manual_resume."}

	opMonitorSnooze = operation{ID: "monitor-snooze", Tag: "Monitors", Body: SnoozeRequest{},
		Summary:     "Snooze a monitor's alerts",
		Description: "Mutes its alerts until the instant given (null ends the snooze). Pings and status changes are still recorded; if it is still down when the snooze ends, it alerts then."}

	opProjectSnooze = operation{ID: "project-snooze", Tag: "Projects", Body: SnoozeRequest{},
		Summary:     "Snooze a project's alerts",
		Description: "Mutes the alerts of every job and monitor of the project until the instant given (null ends the snooze), as for one monitor."}

	opMonitorPings = operation{ID: "monitor-pings", Tag: "Pings",
		Summary:     "List a monitor's pings",
		Description: "Newest first, without bodies, filtered by kind and paged with before. Pings are kept within the tier's history window (at least the newest 100)."}

	opMonitorPing = operation{ID: "monitor-ping", Tag: "Pings",
		Summary:     "Get a ping with its body",
		Description: "One ping with the body stored: text when it is UTF-8, else base64."}

	opMonitorFlips = operation{ID: "monitor-flips", Tag: "Pings",
		Summary:     "List a monitor's status changes",
		Description: "Newest first: when it went down, came back up, failed or ran too long, and whether the alert was muted."}
)
