package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// The monitor editor: one form for creating and editing a monitor. Its
// inputs are named after the service's fields (period, cron, grace,
// max_runtime, window.cron …), so the service's field errors land beside
// them. Durations are written as the API takes them: "10m", "1h30m".

// Schedule kinds of a monitor, the editor's radio buttons.
const (
	kindPeriod = "period"
	// kindCron is shared with the job editor.
)

// monitorFormView is the data of the editor page.
type monitorFormView struct {
	Form      *page.Form
	Project   *prikke.Project
	Monitor   *prikke.Monitor // nil for a new monitor
	Action    string
	Zones     []string
	Channels  []notifyChannel
	CanManage bool // may manage the project's channels (links to them)
}

// Kind is the schedule kind the form shows.
func (v monitorFormView) Kind() string {
	if v.Form.Get("schedule_kind") == kindCron {
		return kindCron
	}
	return kindPeriod
}

// Notify is the notification choice the form shows.
func (v monitorFormView) Notify() string {
	switch n := v.Form.Get("notify"); n {
	case string(prikke.NotifyMuted), string(prikke.NotifyCustom):
		return n
	}
	return string(prikke.NotifyProject)
}

// goDuration writes a duration as the form takes it: "10m", "1h30m",
// "90s" ("" for zero).
func goDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return service.FormatDuration(d)
}

// monitorFormValues fills a form from a monitor, for editing.
func monitorFormValues(m *prikke.Monitor) *page.Form {
	v := url.Values{
		"name": {m.Name}, "slug": {m.Slug}, "description": {m.Description},
		"schedule_kind": {kindPeriod}, "period": {goDuration(m.Period)}, "cron": {m.Cron}, "timezone": {m.TimeZone},
		"grace": {goDuration(m.Grace)}, "max_runtime": {goDuration(m.MaxRuntime)}, "min_runtime": {goDuration(m.MinRuntime)},
		"fail_threshold": {strconv.Itoa(m.FailThreshold)}, "recovery_threshold": {strconv.Itoa(m.RecoveryThreshold)},
		"realert_every": {goDuration(m.RealertEvery)}, "notify": {string(m.NotifyMode)},
		"window.cron": {m.Window.Cron}, "window.timezone": {m.Window.TimeZone}, "window.duration": {goDuration(m.Window.Duration)},
	}
	if m.Cron != "" {
		v.Set("schedule_kind", kindCron)
	}
	if v.Get("timezone") == "" {
		v.Set("timezone", "UTC")
	}
	if v.Get("window.timezone") == "" {
		v.Set("window.timezone", "UTC")
	}
	if v.Get("period") == "" {
		v.Set("period", goDuration(prikke.DefaultMonitorPeriod))
	}
	if v.Get("cron") == "" {
		v.Set("cron", "0 * * * *")
	}
	if m.ManualResume {
		v.Set("manual_resume", "on")
	}
	for _, id := range m.ChannelIDs {
		v.Add("channel_ids", id.String())
	}
	return page.NewForm(v)
}

// newMonitorForm is the form of a new monitor: the service's defaults.
func newMonitorForm() *page.Form {
	return page.NewForm(url.Values{
		"schedule_kind": {kindPeriod}, "period": {goDuration(prikke.DefaultMonitorPeriod)}, "cron": {"0 * * * *"},
		"timezone": {"UTC"}, "grace": {goDuration(prikke.DefaultMonitorGrace)}, "fail_threshold": {"1"},
		"recovery_threshold": {"1"}, "notify": {string(prikke.NotifyProject)}, "window.timezone": {"UTC"},
	})
}

// monitorFields are the fields the editor draws; errors about anything
// else (project_id …) go above the form.
var monitorFields = map[string]bool{
	"name": true, "slug": true, "description": true, "schedule_kind": true, "period": true, "cron": true,
	"timezone": true, "grace": true, "max_runtime": true, "min_runtime": true, "fail_threshold": true,
	"recovery_threshold": true, "realert_every": true, "manual_resume": true, "notify": true, "channel_ids": true,
	"window.cron": true, "window.timezone": true, "window.duration": true,
}

// monitorInput reads the editor's form into the service's input. A
// number that is not a number is recorded on the form and sent as -1,
// which the service refuses too, so nothing is saved with a default in
// place of what was typed. A new monitor without a slug gets one made
// from its name.
func monitorInput(f *page.Form, create bool) *service.MonitorInput {
	str := func(name string) *string { s := strings.TrimSpace(f.Get(name)); return &s }
	num := func(name string) *int {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		if err != nil {
			f.SetError(name, "must be a whole number")
			n = -1
		}
		return &n
	}
	in := &service.MonitorInput{Name: str("name"), Slug: str("slug"), Description: str("description"),
		Grace: str("grace"), MaxRuntime: str("max_runtime"), MinRuntime: str("min_runtime"),
		FailThreshold: num("fail_threshold"), RecoveryThreshold: num("recovery_threshold"), RealertEvery: str("realert_every"),
		WindowCron: str("window.cron"), WindowTimeZone: str("window.timezone"), WindowDuration: str("window.duration")}
	if create && *in.Slug == "" {
		in.Slug = new(slugOf(*in.Name))
		f.Values.Set("slug", *in.Slug)
	}
	resume := f.Get("manual_resume") != ""
	in.ManualResume = &resume
	switch f.Get("schedule_kind") {
	case kindPeriod, "":
		in.Period = str("period")
	case kindCron:
		in.Cron, in.TimeZone = str("cron"), str("timezone")
	default:
		f.SetError("schedule_kind", "choose a period or a cron expression")
		in.Period = str("schedule_kind") // refused by the service too
	}
	if _, ok := f.Values["notify"]; ok {
		in.Notify = str("notify")
		ids := []prikke.ID{}
		for _, s := range f.Values["channel_ids"] {
			id, err := prikke.ParseID(s)
			if err != nil {
				id = prikke.NilID // refused by the service when the choice is custom
			}
			ids = append(ids, id)
		}
		in.ChannelIDs = &ids
	}
	return in
}

var slugDrop = regexp.MustCompile(`[^a-z0-9]+`)

// slugOf makes a slug from a name: lower case, runs of anything but a-z
// and 0-9 as one dash, no dash at either end, at most MaxSlugLength.
func slugOf(name string) string {
	s := strings.Trim(slugDrop.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > prikke.MaxSlugLength {
		s = strings.TrimRight(s[:prikke.MaxSlugLength], "-")
	}
	return s
}

// addMonitorErrors records the service's errors on the editor's form:
// beside their field, or above the form for the fields it does not draw.
// The form's own messages win (SetError keeps the first).
func addMonitorErrors(f *page.Form, err error) {
	fields := prikke.ErrorFields(err)
	if len(fields) == 0 {
		f.AddErrors(err)
		return
	}
	for _, fe := range fields {
		name := fe.Field
		if channelKey.MatchString(name) {
			name = "channel_ids"
		}
		if name == "window.time_zone" {
			name = "window.timezone"
		}
		if !monitorFields[name] {
			f.SetError("", name+": "+fe.Message)
			continue
		}
		f.SetError(name, fe.Message)
	}
}

// monitorEditor assembles the editor page's data around a form, with the
// project's channels for the notification choice.
func (h *Web) monitorEditor(r *http.Request, c *appContext, form *page.Form, m *prikke.Monitor) (monitorFormView, error) {
	p := c.Project
	v := monitorFormView{Form: form, Project: p, Monitor: m, Zones: cron.Zones(), CanManage: c.Can(string(prikke.PermManageProjects)),
		Action: "/app/projects/" + p.ID.String() + "/monitors"}
	if m != nil {
		v.Action = "/app/monitors/" + m.ID.String()
	}
	cs, err := h.svc.Channels(r.Context(), actorOf(r), p.ID)
	if err != nil {
		return v, err
	}
	checked := form.Values["channel_ids"]
	for _, ch := range cs {
		key := ch.ID.String()
		v.Channels = append(v.Channels, notifyChannel{Channel: ch, Key: key, State: channelState(ch), Checked: slices.Contains(checked, key)})
	}
	return v, nil
}

// renderMonitorEditor renders the monitor editor with a form.
func (h *Web) renderMonitorEditor(w http.ResponseWriter, r *http.Request, status int, c *appContext, form *page.Form, m *prikke.Monitor) {
	v, err := h.monitorEditor(r, c, form, m)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, status, "monitor_form", c, v)
}
