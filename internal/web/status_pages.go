package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// A project's customer-facing status pages: a list, an editor (title,
// slug, published, and the jobs and monitors shown under display names), and
// deletion. The public page itself is /s/{slug} (web/statuspage).

// statusPagesView is the data of a project's status pages list.
type statusPagesView struct {
	Project *prikke.Project
	Pages   []*prikke.StatusPage
	BaseURL string
}

func (h *Web) showStatusPages(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "status-pages")
	if !ok {
		return
	}
	ps, err := h.svc.StatusPages(r.Context(), actorOf(r), c.Project.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "status_pages", c, statusPagesView{Project: c.Project, Pages: ps, BaseURL: h.baseURL})
}

// statusPageFormView is the data of the status page editor.
type statusPageFormView struct {
	Form    *page.Form
	Project *prikke.Project
	Page    *prikke.StatusPage // nil for a new page
	Action  string
	BaseURL string
	Jobs    []statusPageJobRow
	// Monitors are the project's monitors, the page's first.
	Monitors []statusPageMonitorRow
}

// statusPageMonitorRow is one monitor of the project in the editor.
type statusPageMonitorRow struct {
	Monitor *prikke.Monitor
	Key     string // the monitor's id, in the inputs' names
	Checked bool
	Name    page.Field // the display name input
}

// CheckboxID is the id of the row's checkbox.
func (r statusPageMonitorRow) CheckboxID() string { return page.FieldID("monitor-" + r.Key) }

// monitorNameKey is the name of a monitor's display name input.
func monitorNameKey(id prikke.ID) string { return "monitor_names[" + id.String() + "]" }

// statusPageJobRow is one job of the project in the editor: whether the
// page shows it, and under which name.
type statusPageJobRow struct {
	Job     *prikke.Job
	Key     string // the job's id, in the inputs' names
	Checked bool
	Name    page.Field // the display name input
}

// CheckboxID is the id of the row's checkbox.
func (r statusPageJobRow) CheckboxID() string { return page.FieldID("job-" + r.Key) }

// statusPageJobsLimit is how many of the project's jobs the editor offers.
const statusPageJobsLimit = 500

// displayNameKey is the name of a job's display name input.
func displayNameKey(id prikke.ID) string { return "display_names[" + id.String() + "]" }

// statusPageForm fills the editor from a page.
func statusPageForm(p *prikke.StatusPage) *page.Form {
	v := url.Values{"title": {p.Title}, "slug": {p.Slug}}
	if p.Published {
		v.Set("published", "on")
	}
	for _, j := range p.Jobs {
		v.Add("job_ids", j.JobID.String())
		v.Set(displayNameKey(j.JobID), j.DisplayName)
	}
	for _, m := range p.Monitors {
		v.Add("monitor_ids", m.MonitorID.String())
		v.Set(monitorNameKey(m.MonitorID), m.DisplayName)
	}
	return page.NewForm(v)
}

// statusPageEditor assembles the editor: the page's jobs first, in their
// order, then the project's other jobs, each with its display name input.
func (h *Web) statusPageEditor(r *http.Request, c *appContext, form *page.Form, sp *prikke.StatusPage) (statusPageFormView, error) {
	a, ctx := actorOf(r), r.Context()
	v := statusPageFormView{Form: form, Project: c.Project, Page: sp, BaseURL: h.baseURL,
		Action: "/app/projects/" + c.Project.ID.String() + "/status-pages"}
	if sp != nil {
		v.Action = "/app/status-pages/" + sp.ID.String()
	}
	jobs, err := h.svc.Jobs(ctx, a, service.JobFilter{ProjectID: &c.Project.ID, Limit: statusPageJobsLimit})
	if err != nil {
		return v, err
	}
	byID := map[prikke.ID]*prikke.Job{}
	for _, j := range jobs {
		byID[j.ID] = j
	}
	var ordered []*prikke.Job
	if sp != nil {
		for _, pj := range sp.Jobs {
			j := byID[pj.JobID]
			if j == nil {
				if j, err = h.svc.Job(ctx, a, pj.JobID); err != nil {
					continue // deleted since
				}
			}
			ordered = append(ordered, j)
			delete(byID, pj.JobID)
		}
	}
	for _, j := range jobs {
		if byID[j.ID] != nil {
			ordered = append(ordered, j)
		}
	}
	checked := form.Values["job_ids"]
	for _, j := range ordered {
		key := j.ID.String()
		// No suggestion: a job's own name may be private, so the page
		// shows only a name someone typed for it.
		name := form.Field(displayNameKey(j.ID), "Display name for "+jobName(j), "autocomplete=off")
		v.Jobs = append(v.Jobs, statusPageJobRow{Job: j, Key: key, Checked: slices.Contains(checked, key), Name: name})
	}
	ms, err := h.svc.Monitors(ctx, a, service.MonitorFilter{ProjectID: &c.Project.ID, Limit: statusPageJobsLimit})
	if err != nil {
		return v, err
	}
	first := map[prikke.ID]int{} // the page's monitors first, in their order
	if sp != nil {
		for i, pm := range sp.Monitors {
			first[pm.MonitorID] = i + 1
		}
	}
	slices.SortStableFunc(ms, func(x, y *prikke.Monitor) int {
		fx, fy := first[x.ID], first[y.ID]
		switch {
		case fx == 0 && fy == 0:
			return 0
		case fx == 0:
			return 1
		case fy == 0:
			return -1
		}
		return fx - fy
	})
	checked = form.Values["monitor_ids"]
	for _, m := range ms {
		key := m.ID.String()
		name := form.Field(monitorNameKey(m.ID), "Display name for "+m.Name, "autocomplete=off")
		v.Monitors = append(v.Monitors, statusPageMonitorRow{Monitor: m, Key: key, Checked: slices.Contains(checked, key), Name: name})
	}
	return v, nil
}

var (
	statusPageJobKey     = regexp.MustCompile(`^jobs\[(\d+)\]\.(job_id|display_name)$`)
	statusPageMonitorKey = regexp.MustCompile(`^monitors\[(\d+)\]\.(monitor_id|display_name)$`)
)

// statusPageInput reads the editor into the service's input, in the
// editor's order. It returns the job of each position and the monitor of
// each position, to put the service's errors about jobs[i] and
// monitors[i] beside the right row.
func statusPageInput(f *page.Form, rows []statusPageJobRow, mrows []statusPageMonitorRow) (service.StatusPageInput, []prikke.ID, []prikke.ID) {
	slug, title, published := f.Get("slug"), f.Get("title"), f.Get("published") != ""
	in := service.StatusPageInput{Slug: &slug, Title: &title, Published: &published}
	jobs := []prikke.StatusPageJob{}
	var order []prikke.ID
	checked := f.Values["job_ids"]
	for _, row := range rows {
		if !slices.Contains(checked, row.Key) {
			continue
		}
		jobs = append(jobs, prikke.StatusPageJob{JobID: row.Job.ID, DisplayName: f.Get(displayNameKey(row.Job.ID))})
		order = append(order, row.Job.ID)
	}
	in.Jobs = &jobs
	monitors := []prikke.StatusPageMonitor{}
	var morder []prikke.ID
	checked = f.Values["monitor_ids"]
	for _, row := range mrows {
		if !slices.Contains(checked, row.Key) {
			continue
		}
		monitors = append(monitors, prikke.StatusPageMonitor{MonitorID: row.Monitor.ID, DisplayName: f.Get(monitorNameKey(row.Monitor.ID))})
		morder = append(morder, row.Monitor.ID)
	}
	in.Monitors = &monitors
	return in, order, morder
}

// addStatusPageErrors puts the service's errors beside the editor's
// fields: a display name's beside its row.
func addStatusPageErrors(f *page.Form, err error, order, morder []prikke.ID) {
	fields := prikke.ErrorFields(err)
	if len(fields) == 0 {
		f.AddErrors(err)
		return
	}
	for _, fe := range fields {
		if m := statusPageJobKey.FindStringSubmatch(fe.Field); m != nil {
			if i, _ := strconv.Atoi(m[1]); i < len(order) && m[2] == "display_name" {
				f.SetError(displayNameKey(order[i]), fe.Message)
				continue
			}
			f.SetError("jobs", fe.Message)
			continue
		}
		if m := statusPageMonitorKey.FindStringSubmatch(fe.Field); m != nil {
			if i, _ := strconv.Atoi(m[1]); i < len(morder) && m[2] == "display_name" {
				f.SetError(monitorNameKey(morder[i]), fe.Message)
				continue
			}
			f.SetError("monitors", fe.Message)
			continue
		}
		switch fe.Field {
		case "title", "slug", "jobs", "monitors":
			f.SetError(fe.Field, fe.Message)
		default:
			f.SetError("", fe.Field+": "+fe.Message)
		}
	}
}

func (h *Web) showStatusPageNew(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "status-pages")
	if !ok || h.forbid(w, r, c, prikke.PermManageProjects, "create status pages") {
		return
	}
	v, err := h.statusPageEditor(r, c, page.NewForm(url.Values{"published": {"on"}}), nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "status_page_form", c, v)
}

func (h *Web) createStatusPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "status-pages")
	if !ok {
		return
	}
	h.saveStatusPage(w, r, c, nil)
}

func (h *Web) showStatusPageEdit(w http.ResponseWriter, r *http.Request) {
	p, c, ok := h.loadStatusPage(w, r)
	if !ok || h.forbid(w, r, c, prikke.PermManageProjects, "change status pages") {
		return
	}
	v, err := h.statusPageEditor(r, c, statusPageForm(p), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "status_page_form", c, v)
}

func (h *Web) updateStatusPage(w http.ResponseWriter, r *http.Request) {
	p, c, ok := h.loadStatusPage(w, r)
	if !ok {
		return
	}
	h.saveStatusPage(w, r, c, p)
}

// saveStatusPage creates (sp nil) or changes a page from the posted
// editor, or shows the editor again with the problems beside the fields.
func (h *Web) saveStatusPage(w http.ResponseWriter, r *http.Request, c *appContext, sp *prikke.StatusPage) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	v, err := h.statusPageEditor(r, c, form, sp)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, order, morder := statusPageInput(form, v.Jobs, v.Monitors)
	var saved *prikke.StatusPage
	if sp == nil {
		saved, err = h.svc.CreateStatusPage(r.Context(), actorOf(r), c.Project.ID, in)
	} else {
		saved, err = h.svc.UpdateStatusPage(r.Context(), actorOf(r), sp.ID, in)
	}
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		addStatusPageErrors(form, err, order, morder)
		if v, err = h.statusPageEditor(r, c, form, sp); err != nil { // the names with their errors
			h.fail(w, r, err)
			return
		}
		h.renderApp(w, r, http.StatusUnprocessableEntity, "status_page_form", c, v)
		return
	}
	msg := "Status page “" + saved.Title + "” saved."
	if saved.Published {
		msg += " It is public at /s/" + saved.Slug + "."
	} else {
		msg += " It is not published: only your team sees it here."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, "/app/projects/"+saved.ProjectID.String()+"/status-pages", http.StatusSeeOther)
}

func (h *Web) showStatusPageDelete(w http.ResponseWriter, r *http.Request) {
	p, c, ok := h.loadStatusPage(w, r)
	if !ok || h.forbid(w, r, c, prikke.PermManageProjects, "delete status pages") {
		return
	}
	h.renderApp(w, r, http.StatusOK, "status_page_delete", c, p)
}

func (h *Web) deleteStatusPage(w http.ResponseWriter, r *http.Request) {
	p, _, ok := h.loadStatusPage(w, r)
	if !ok || h.readForm(w, r) == nil {
		return
	}
	if err := h.svc.DeleteStatusPage(r.Context(), actorOf(r), p.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Status page “" + p.Title + "” is deleted; /s/" + p.Slug + " no longer exists."})
	http.Redirect(w, r, "/app/projects/"+p.ProjectID.String()+"/status-pages", http.StatusSeeOther)
}

// loadStatusPage loads the status page of the URL's {status_page_id} and
// its project's context; on failure it has answered the request.
func (h *Web) loadStatusPage(w http.ResponseWriter, r *http.Request) (*prikke.StatusPage, *appContext, bool) {
	id, err := pathID(r, "status_page_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	p, err := h.svc.StatusPage(r.Context(), actorOf(r), id, prikke.PermRead)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	c, err := h.projectContext(w, r, p.ProjectID, "status-pages")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	return p, c, true
}
