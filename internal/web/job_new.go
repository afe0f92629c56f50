package web

import (
	"net/http"
	"slices"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// jobEditor assembles the editor page's data around a form, with the
// project's channels for the notification choice.
func (h *Web) jobEditor(r *http.Request, c *appContext, form *page.Form, job *prikke.Job) (jobFormView, error) {
	p := c.Project
	v := jobFormView{Form: form, Project: p, Job: job, Zones: cron.Zones(), CanManage: c.Can(string(prikke.PermManageProjects)),
		Action:     "/app/projects/" + p.ID.String() + "/jobs",
		PreviewURL: "/app/projects/" + p.ID.String() + "/schedule-preview",
		TestURL:    "/app/projects/" + p.ID.String() + "/jobs/test",
		RequestURL: "/app/projects/" + p.ID.String() + "/jobs/preview",
		Headers:    headerRows(form),
		Template:   headerTemplate,
	}
	if job != nil {
		v.Action = "/app/jobs/" + job.ID.String()
		v.RequestURL += "?job=" + job.ID.String()
	}
	v.NextHeader = v.Headers[len(v.Headers)-1].Index + 1
	v.Preview = h.schedulePreview(withViewerZone(form.Values, r), c.Org.Tier)
	cs, err := h.svc.Channels(r.Context(), actorOf(r), p.ID)
	if err != nil {
		return v, err
	}
	checked := form.Values["channel_ids"]
	for _, ch := range cs {
		key := ch.ID.String()
		v.Channels = append(v.Channels, notifyChannel{Channel: ch, Key: key, State: channelState(ch), Checked: slices.Contains(checked, key)})
	}
	keys, err := h.svc.FlowKeys(r.Context(), actorOf(r), p.ID)
	if err != nil {
		return v, err
	}
	for _, k := range keys {
		v.FlowKeys = append(v.FlowKeys, k.Key)
	}
	wfs, err := h.svc.Workflows(r.Context(), actorOf(r), service.WorkflowFilter{ProjectID: &p.ID, Limit: workflowsShown})
	if err != nil {
		return v, err
	}
	if len(wfs) > 0 {
		v.Workflows = []page.Option{{Value: "", Label: "None: call the URL"}}
		for _, wf := range wfs {
			v.Workflows = append(v.Workflows, page.Option{Value: wf.ID.String(), Label: wf.Name})
		}
	}
	return v, nil
}

// showJobNew shows the editor for a new job in the project.
func (h *Web) showJobNew(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.projectContext(w, r, id, "jobs")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.forbid(w, r, c, prikke.PermManageJobs, "create jobs") {
		return
	}
	v, err := h.jobEditor(r, c, newJobForm(), nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Fresh = true
	h.renderApp(w, r, http.StatusOK, "job_form", c, v)
}

// createJob saves a new job, or shows the editor again with the problems
// beside the fields.
func (h *Web) createJob(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.projectContext(w, r, id, "jobs")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	in, idx := jobInput(form, nil)
	in.ProjectID = &id
	job, err := h.svc.CreateJob(r.Context(), actorOf(r), in)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		addJobErrors(form, err, idx)
		h.renderEditor(w, r, statusOf(err), c, form, nil)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Job “" + jobName(job) + "” created."})
	http.Redirect(w, r, "/app/jobs/"+job.ID.String(), http.StatusSeeOther)
}

// renderEditor renders the job editor with a form.
func (h *Web) renderEditor(w http.ResponseWriter, r *http.Request, status int, c *appContext, form *page.Form, job *prikke.Job) {
	v, err := h.jobEditor(r, c, form, job)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, status, "job_form", c, v)
}
