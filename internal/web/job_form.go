package web

import (
	"fmt"
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

// The job editor: one form for creating and editing a job. Its inputs are
// named after the service's fields (url, timeout_ms, cron_expression,
// headers[0].name …), so the service's field errors land beside them.

// Schedule kinds, the editor's radio buttons.
const (
	kindCron     = "cron"
	kindInterval = "interval"
	kindOnce     = "once"
)

// datetimeLocal is the format of <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// jobFormView is the data of the editor page.
type jobFormView struct {
	Form       *page.Form
	Project    *prikke.Project
	Job        *prikke.Job // nil for a new job
	Action     string      // where the form posts
	PreviewURL string
	TestURL    string
	RequestURL string // the "Preview next request" fragment
	Headers    []headerRow
	NextHeader int       // the index app.js gives the next added header row
	Template   headerRow // the row app.js copies
	Preview    schedulePreview
	Zones      []string
	Fresh      bool // a new, unsubmitted form: app.js may start the zone at the viewer's
	Channels   []notifyChannel
	CanManage  bool     // may manage the project's channels (links to them)
	FlowKeys   []string // the project's flow keys, the flow key field's suggestions
	// Workflows are the project's workflows a job may start instead of
	// calling a URL (the first option: none); empty when it has none.
	Workflows []page.Option
}

// FlowPlaceholder is the flow key field's placeholder: the key the job
// gets when it names none, its URL's host:port.
func (v jobFormView) FlowPlaceholder() string {
	if k := prikke.DefaultFlowKey(strings.TrimSpace(v.Form.Get("url"))); k != "" {
		return k
	}
	return "the URL's host:port"
}

// notifyChannel is one channel of the project in the editor's custom list.
type notifyChannel struct {
	Channel *prikke.Channel
	Key     string // the channel's id, the checkbox's value
	State   page.Badge
	Checked bool
}

// CheckboxID is the id of the channel's checkbox.
func (c notifyChannel) CheckboxID() string { return page.FieldID("channel-" + c.Key) }

// Notify is the notification choice the form shows.
func (v jobFormView) Notify() string {
	switch n := v.Form.Get("notify"); n {
	case string(prikke.NotifyMuted), string(prikke.NotifyCustom):
		return n
	}
	return string(prikke.NotifyProject)
}

// Kind is the schedule kind the form shows.
func (v jobFormView) Kind() string {
	switch k := v.Form.Get("schedule_kind"); k {
	case kindInterval, kindOnce:
		return k
	}
	return kindCron
}

// Option lists for the editor's selects.
var (
	methodOptions   = func() []page.Option { return optionsOf(prikke.Methods...) }()
	intervalOptions = func() []page.Option {
		o := make([]page.Option, len(prikke.Intervals))
		for i, iv := range prikke.Intervals {
			o[i] = page.Option{Value: string(iv), Label: intervalLabel(iv)}
		}
		return o
	}()
	catchUpOptions = []page.Option{{Value: "latest", Label: "Run the latest missed run once"}, {Value: "skip", Label: "Skip missed runs (record them as missed)"}}
	overlapOptions = []page.Option{{Value: "allow", Label: "Run anyway"}, {Value: "skip", Label: "Skip this run (record it as skipped)"}}
	windowOptions  = []page.Option{{Value: "300", Label: "5 minutes"}, {Value: "900", Label: "15 minutes"}, {Value: "3600", Label: "1 hour"}, {Value: "21600", Label: "6 hours"}, {Value: "86400", Label: "1 day"}, {Value: "604800", Label: "7 days"}}
	retryOptions   = func() []page.Option {
		var o []page.Option
		for i := 0; i <= prikke.MaxRetryAttempts; i++ {
			o = append(o, page.Option{Value: strconv.Itoa(i), Label: strconv.Itoa(i)})
		}
		return o
	}()
)

// intervalLabel says what an interval does, in the words of the select.
func intervalLabel(iv prikke.Interval) string {
	switch iv {
	case prikke.IntervalEveryMinute:
		return "Every minute"
	case prikke.IntervalHourly:
		return "Every hour, on the hour"
	case prikke.IntervalDaily:
		return "Every day at 00:00"
	case prikke.IntervalWeekly:
		return "Every Monday at 00:00"
	}
	var n int
	if _, err := fmt.Sscanf(string(iv), "every_%d_minutes", &n); err == nil {
		return fmt.Sprintf("Every %d minutes", n)
	}
	if _, err := fmt.Sscanf(string(iv), "every_%d_hours", &n); err == nil {
		return fmt.Sprintf("Every %d hours (00:00, %02d:00, %02d:00 …)", n, n, 2*n)
	}
	return string(iv)
}

func optionsOf(values ...string) []page.Option {
	o := make([]page.Option, len(values))
	for i, v := range values {
		o[i] = page.Option{Value: v, Label: v}
	}
	return o
}

// Options returns the choices of a select by field name, for the template.
func (v jobFormView) Options(field string) []page.Option {
	switch field {
	case "method":
		return methodOptions
	case "interval":
		return intervalOptions
	case "catch_up":
		return catchUpOptions
	case "overlap":
		return overlapOptions
	case "catch_up_window_seconds":
		return windowOptions
	case "retry_attempts":
		return retryOptions
	case "alert_policy.window.timezone":
		o := []page.Option{{Value: "", Label: "The job's time zone"}}
		for _, z := range v.Zones {
			o = append(o, page.Option{Value: z, Label: z})
		}
		return o
	}
	return nil
}

// headerRow is one key/value row of the headers list. Index is the row's
// number in the input names (headers[Index].name), which need not be
// contiguous: rows come and go in the browser.
type headerRow struct {
	Index      int
	Key        string // Index as text; "__INDEX__" in the row template app.js copies
	Name       string
	Value      string
	NameError  string
	ValueError string
}

// NameID and ValueID are the inputs' element ids, as Form.Field makes
// them, so the error summary's links reach them.
func (h headerRow) NameID() string  { return page.FieldID("headers[" + h.Key + "].name") }
func (h headerRow) ValueID() string { return page.FieldID("headers[" + h.Key + "].value") }

// headerTemplate is the empty row app.js copies to add a header.
var headerTemplate = headerRow{Key: "__INDEX__"}

var headerKey = regexp.MustCompile(`^headers\[(\d{1,3})\]\.(name|value)$`)

// headerRows reads the header rows of a form in index order, with the
// form's errors for them. At least one (empty) row is always there, so
// headers can be added without JavaScript too.
func headerRows(f *page.Form) []headerRow {
	byIndex := map[int]*headerRow{}
	for k, vs := range f.Values {
		m := headerKey.FindStringSubmatch(k)
		if m == nil || len(vs) == 0 {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		row := byIndex[i]
		if row == nil {
			row = &headerRow{Index: i}
			byIndex[i] = row
		}
		if m[2] == "name" {
			row.Name = vs[0]
		} else {
			row.Value = vs[0]
		}
	}
	var rows []headerRow
	for _, row := range byIndex {
		row.NameError = f.Errors[fmt.Sprintf("headers[%d].name", row.Index)]
		row.ValueError = f.Errors[fmt.Sprintf("headers[%d].value", row.Index)]
		row.Key = strconv.Itoa(row.Index)
		rows = append(rows, *row)
	}
	slices.SortFunc(rows, func(a, b headerRow) int { return a.Index - b.Index })
	if len(rows) == 0 || rows[len(rows)-1].Name != "" || rows[len(rows)-1].Value != "" {
		next := 0
		if len(rows) > 0 {
			next = rows[len(rows)-1].Index + 1
		}
		rows = append(rows, headerRow{Index: next, Key: strconv.Itoa(next)})
	}
	return rows
}

// jobFormValues fills a form from a job, for editing.
func jobFormValues(j *prikke.Job) *page.Form {
	v := url.Values{
		"name": {j.Name}, "url": {j.URL}, "method": {j.Method}, "body": {j.Body},
		"timeout_ms": {strconv.Itoa(j.TimeoutMS)}, "retry_attempts": {strconv.Itoa(j.RetryAttempts)},
		"catch_up": {string(j.CatchUp)}, "catch_up_window_seconds": {strconv.Itoa(int(j.CatchUpWindow / time.Second))},
		"overlap": {string(j.Overlap)}, "timezone": {j.TimeZone}, "cron_expression": {j.CronExpression},
		"interval": {string(j.Interval)}, "schedule_kind": {kindCron}, "notify": {string(j.NotifyMode)},
		"flow_key": {j.FlowKey},
	}
	if j.WorkflowID != nil {
		v.Set("workflow_id", j.WorkflowID.String())
	}
	for _, id := range j.ChannelIDs {
		v.Add("channel_ids", id.String())
	}
	switch {
	case j.Kind == prikke.JobKindOnce:
		v.Set("schedule_kind", kindOnce)
		if j.RunAt != nil {
			loc, err := cron.LoadLocation(j.TimeZone)
			if err != nil {
				loc = time.UTC
			}
			v.Set("scheduled_at", j.RunAt.In(loc).Format(datetimeLocal))
		}
	case j.Interval != "":
		v.Set("schedule_kind", kindInterval)
	}
	if v.Get("interval") == "" {
		v.Set("interval", string(prikke.IntervalHourly))
	}
	alertPolicyValues(v, j)
	// The Content-Type header has a field of its own.
	i := 0
	for _, hd := range j.Headers {
		if strings.EqualFold(hd.Name, "Content-Type") {
			v.Set("content_type", hd.Value)
			continue
		}
		v.Set(fmt.Sprintf("headers[%d].name", i), hd.Name)
		v.Set(fmt.Sprintf("headers[%d].value", i), hd.Value)
		i++
	}
	f := page.NewForm(v)
	expectValues(f, j.Expect)
	return f
}

// newJobForm is the form of a new job: the service's defaults.
func newJobForm() *page.Form {
	return page.NewForm(url.Values{
		"method": {"GET"}, "timeout_ms": {strconv.Itoa(prikke.DefaultTimeoutMS)},
		"retry_attempts": {strconv.Itoa(prikke.DefaultRetryAttempts)}, "catch_up": {string(prikke.CatchUpLatest)},
		"catch_up_window_seconds": {strconv.Itoa(int(prikke.DefaultCatchUpWindow / time.Second))},
		"overlap":                 {string(prikke.OverlapAllow)}, "timezone": {"UTC"}, "schedule_kind": {kindCron},
		"cron_expression": {"0 9 * * 1-5"}, "interval": {string(prikke.IntervalHourly)},
		"notify": {string(prikke.NotifyProject)}, "alert_policy.fail_threshold": {""},
		"alert_policy.recovery_threshold": {"1"}, "expect.status": {""},
	})
}

// jobFields are the fields the editor draws; errors about anything else
// (notify, project_id …) go above the form.
var jobFields = map[string]bool{
	"name": true, "url": true, "method": true, "body": true, "content_type": true, "timeout_ms": true, "retry_attempts": true,
	"catch_up": true, "catch_up_window_seconds": true, "overlap": true, "timezone": true, "cron_expression": true,
	"interval": true, "scheduled_at": true, "schedule_kind": true, "headers": true,
	"notify": true, "channel_ids": true, "flow_key": true, "workflow_id": true,
	"alert_policy.fail_threshold": true, "alert_policy.recovery_threshold": true, "alert_policy.realert_every": true,
	"alert_policy.snooze_until": true, "alert_policy.window.cron": true, "alert_policy.window.timezone": true,
	"alert_policy.window.duration": true,
}

var channelKey = regexp.MustCompile(`^channel_ids\[\d+\]$`)

// jobInput reads the editor's form into the service's input. Problems
// only the form can see (a number that is not a number, an empty date)
// are recorded on the form, and the input gets a value the service is
// sure to refuse for that field, so the job is never saved with a default
// in place of what was typed. It returns the header rows' input indexes
// by position, to put the service's header errors beside the right row.
// current is the job being edited (nil for a new one).
func jobInput(f *page.Form, current *prikke.Job) (in *service.JobInput, headerIdx []int) {
	str := func(name string) *string { s := f.Get(name); return &s }
	num := func(name string) *int {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		if err != nil {
			f.SetError(name, "must be a whole number")
			n = -1
		}
		return &n
	}
	in = &service.JobInput{Name: str("name"), URL: str("url"), Method: str("method"), Body: str("body"),
		TimeoutMS: num("timeout_ms"), RetryAttempts: num("retry_attempts"), CatchUp: str("catch_up"),
		CatchUpWindowSeconds: num("catch_up_window_seconds"), Overlap: str("overlap"), TimeZone: str("timezone")}
	switch f.Get("schedule_kind") {
	case kindCron, "":
		in.CronExpression = str("cron_expression")
	case kindInterval:
		in.Interval = str("interval")
	case kindOnce:
		in.ScheduledAt = scheduledAt(f, current)
	default:
		f.SetError("schedule_kind", "choose a cron expression, an interval or a date and time")
		in.Interval = str("schedule_kind") // refused by the service too
	}
	hs := []prikke.Header{}
	for _, row := range headerRows(f) {
		if row.Name == "" && row.Value == "" {
			continue
		}
		hs = append(hs, prikke.Header{Name: strings.TrimSpace(row.Name), Value: row.Value})
		headerIdx = append(headerIdx, row.Index)
	}
	in.Headers = &hs
	if _, ok := f.Values["content_type"]; ok {
		in.ContentType = str("content_type")
	}
	if _, ok := f.Values["flow_key"]; ok {
		in.FlowKey = new(strings.TrimSpace(f.Get("flow_key")))
	}
	workflowTargetInput(f, in)
	notifyInput(f, in)
	alertPolicyInput(f, in, current)
	expectInput(f, in)
	return in, headerIdx
}

// notifyInput reads the notification choice: "project", "muted" or
// "custom" with the ticked channels. A form without the choice (an older
// page) leaves the job's setting as it is.
func notifyInput(f *page.Form, in *service.JobInput) {
	if _, ok := f.Values["notify"]; !ok {
		return
	}
	in.Notify = new(f.Get("notify"))
	ids := []prikke.ID{}
	for _, s := range f.Values["channel_ids"] {
		id, err := prikke.ParseID(s)
		if err != nil {
			id = prikke.NilID // refused by the service when the choice is custom; ignored otherwise
		}
		ids = append(ids, id)
	}
	in.ChannelIDs = &ids
}

// scheduledAt turns the date-time input, read in the job's zone, into the
// RFC 3339 instant the service takes. An unchanged time of an edited job
// is not sent again (it may have passed: the job ran).
func scheduledAt(f *page.Form, current *prikke.Job) *string {
	raw := strings.TrimSpace(f.Get("scheduled_at"))
	loc, err := cron.LoadLocation(f.Get("timezone"))
	if err != nil {
		loc = time.UTC // the service reports the zone
	}
	if current != nil && current.Kind == prikke.JobKindOnce && current.RunAt != nil &&
		current.RunAt.In(loc).Format(datetimeLocal) == raw && current.TimeZone == f.Get("timezone") {
		return nil
	}
	t, err := parseLocal(raw, loc)
	if err != nil {
		f.SetError("scheduled_at", err.Error())
		bad := "not a time"
		return &bad
	}
	s := t.Format(time.RFC3339)
	return &s
}

// parseLocal reads a datetime-local value (seconds optional) in loc.
func parseLocal(raw string, loc *time.Location) (time.Time, error) {
	if raw == "" {
		return time.Time{}, fmt.Errorf("choose the date and time to run at")
	}
	for _, layout := range []string{datetimeLocal, datetimeLocal + ":05"} {
		if t, err := time.ParseInLocation(layout, raw, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("is not a date and time: write it like 2026-12-24T18:00")
}

// addJobErrors records the service's errors on the editor's form: header
// errors beside the row they are about, errors about fields the editor
// does not draw above it. The form's own messages win (SetError keeps the
// first).
func addJobErrors(f *page.Form, err error, headerIdx []int) {
	fields := prikke.ErrorFields(err)
	if len(fields) == 0 {
		f.AddErrors(err)
		return
	}
	for _, fe := range fields {
		name := fe.Field
		if m := headerKey.FindStringSubmatch(name); m != nil {
			if i, _ := strconv.Atoi(m[1]); i < len(headerIdx) {
				f.SetError(fmt.Sprintf("headers[%d].%s", headerIdx[i], m[2]), fe.Message)
				continue
			}
		}
		if name == "run_at" {
			name = "scheduled_at"
		}
		if expectStatusKey.MatchString(name) {
			name = "expect.status"
		}
		if channelKey.MatchString(name) {
			name = "channel_ids"
		}
		if !jobFields[name] {
			f.SetError("", name+": "+fe.Message)
			continue
		}
		f.SetError(name, fe.Message)
	}
}

// workflowTargetInput reads the "start a workflow" choice: a workflow
// chosen replaces the URL (the job's body becomes the run's payload); none
// chosen keeps the URL, which makes a job that started a workflow call
// its URL again. A form without the choice changes nothing.
func workflowTargetInput(f *page.Form, in *service.JobInput) {
	if _, ok := f.Values["workflow_id"]; !ok {
		return
	}
	s := strings.TrimSpace(f.Get("workflow_id"))
	if s == "" {
		return
	}
	id, err := prikke.ParseID(s)
	if err != nil {
		f.SetError("workflow_id", "choose one of the project's workflows")
		return
	}
	in.WorkflowID, in.URL = &id, nil
}
